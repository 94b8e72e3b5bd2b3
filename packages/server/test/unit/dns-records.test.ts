import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkRecord,
  type DnsRecord,
  normalizeDomainName,
  type RecordCheck,
  recordsToPublish,
  statusAfterCheck,
  zoneFile,
} from "../../src/domain/dns-records.ts";

const records = recordsToPublish({
  domain: "agents.example",
  mxHost: "mx.postbox.example",
  dkimSelector: "postbox",
  dkimValue: "v=DKIM1; k=rsa; p=ABCDEF",
});
const [mx, spf, dkim, dmarc] = records as [DnsRecord, DnsRecord, DnsRecord, DnsRecord];
const status = (r: DnsRecord, values: string[]) => checkRecord(r, { values }).status;

describe("domain names", () => {
  it("normalizes case, the trailing dot and IDNs", () => {
    assert.deepEqual(normalizeDomainName(" Mail.Example.COM. "), { name: "mail.example.com" });
    assert.deepEqual(normalizeDomainName("bücher.example"), { name: "xn--bcher-kva.example" });
  });
  it("refuses what is not a domain", () => {
    for (const bad of [
      "",
      "localhost",
      "-a.example",
      "a-.example",
      "a..example",
      "10.0.0.1",
      "a b.example",
      `${"a".repeat(64)}.example`,
      "x@y.example",
    ])
      assert.ok("problem" in normalizeDomainName(bad), bad);
  });
});

describe("records to publish", () => {
  it("are MX and DKIM (required), SPF and DMARC (advised)", () => {
    assert.deepEqual(
      records.map((r) => [r.purpose, r.type, r.name, r.value, r.priority, r.required]),
      [
        ["mx", "MX", "agents.example", "mx.postbox.example", 10, true],
        ["spf", "TXT", "agents.example", "v=spf1 mx ~all", null, false],
        ["dkim", "TXT", "postbox._domainkey.agents.example", "v=DKIM1; k=rsa; p=ABCDEF", null, true],
        ["dmarc", "TXT", "_dmarc.agents.example", "v=DMARC1; p=quarantine; adkim=r; aspf=r", null, false],
      ],
    );
  });
});

describe("checking a record against a lookup", () => {
  it("MX: our host among others, in any case, with or without the dot", () => {
    assert.equal(status(mx, ["backup.example", "MX.Postbox.Example."]), "verified");
    assert.equal(status(mx, ["mx.other.example"]), "mismatch");
    assert.equal(status(mx, []), "missing");
    assert.deepEqual(checkRecord(mx, { values: ["MX.other.example."] }).found, ["mx.other.example"]);
  });
  it("SPF: the one record, spacing and case aside; other TXT records do not count", () => {
    assert.equal(status(spf, ["google-site-verification=x", "v=spf1  MX ~all"]), "verified");
    assert.equal(status(spf, ["v=spf1 include:_spf.google.com ~all"]), "mismatch");
    assert.equal(status(spf, ["google-site-verification=x"]), "missing");
    assert.deepEqual(checkRecord(spf, { values: ["other", "v=spf1 -all"] }).found, ["v=spf1 -all"]);
  });
  it("DKIM: the same public key, whatever the spacing or the other tags", () => {
    assert.equal(status(dkim, ["v=DKIM1;k=rsa; t=s; p=ABC DEF"]), "verified");
    assert.equal(status(dkim, ["v=DKIM1; k=rsa; p=OLDKEY"]), "mismatch");
    assert.equal(status(dkim, ["v=DKIM1; k=rsa; p="]), "mismatch", "a revoked key");
    assert.equal(status(dkim, ["unrelated text"]), "missing");
  });
  it("DMARC: any policy of the owner's", () => {
    assert.equal(status(dmarc, ["v=DMARC1; p=reject"]), "verified");
    assert.equal(status(dmarc, ["v=DMARC2"]), "missing");
  });
  it("a failed lookup is an error, not a missing record", () => {
    assert.deepEqual(checkRecord(mx, { error: "ETIMEOUT" }), { ...mx, status: "error", found: [] });
  });
});

describe("the domain's status after a check", () => {
  const checked = (mxStatus: RecordCheck["status"], dkimStatus: RecordCheck["status"]): RecordCheck[] => [
    { ...mx, status: mxStatus, found: [] },
    { ...spf, status: "missing", found: [] },
    { ...dkim, status: dkimStatus, found: [] },
    { ...dmarc, status: "missing", found: [] },
  ];
  it("is verified when every required record is, advice aside", () => {
    assert.equal(statusAfterCheck("pending", checked("verified", "verified")), "verified");
  });
  it("fails on a missing or wrong required record, even a verified domain", () => {
    assert.equal(statusAfterCheck("verified", checked("verified", "mismatch")), "failed");
    assert.equal(statusAfterCheck("pending", checked("missing", "verified")), "failed");
  });
  it("stays as it was when a required lookup failed", () => {
    assert.equal(statusAfterCheck("verified", checked("error", "verified")), "verified");
    assert.equal(statusAfterCheck("pending", checked("verified", "error")), "pending");
  });
});

describe("zone file", () => {
  it("writes absolute names, MX with priority, TXT quoted, escaped and split at 255", () => {
    const long = `v=DKIM1; k=rsa; p=${"A".repeat(400)}`;
    const text = zoneFile("agents.example", [
      mx,
      { ...spf, value: 'v=spf1 "quoted" \\ ~all' },
      { ...dkim, value: long },
    ]);
    assert.match(text, /^\$TTL 3600$/m);
    assert.match(text, /^agents\.example\.\tIN\tMX\t10 mx\.postbox\.example\.$/m);
    assert.match(text, /^agents\.example\.\tIN\tTXT\t"v=spf1 \\"quoted\\" \\\\ ~all"$/m);
    const line = text.split("\n").find((l) => l.startsWith("postbox._domainkey"))!;
    const pieces = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    assert.deepEqual(
      pieces.map((p) => p.length),
      [255, long.length - 255],
    );
    assert.equal(pieces.join(""), long);
  });
});
