import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Domain, DomainCreated } from "@postbox/sdk";
import { mailauthVerify, pythonVerify } from "../dkim-verify.ts";
import { startDnsServer, type Zone } from "../dns-server.ts";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";
import { skipPython } from "../python-dkim.ts";

const MX_HOST = "mx.test.local";

/** Publishes a domain's records (all, or those of the given purposes) in the loopback zone. */
function publish(zone: Zone, d: Domain, purposes = ["mx", "spf", "dkim", "dmarc"]) {
  for (const r of d.dns_records_json.filter((x) => purposes.includes(x.purpose))) {
    const entry = zone[r.name] ?? {};
    zone[r.name] = entry;
    if (r.type === "MX") entry.MX = [...(entry.MX ?? []), { exchange: r.value, priority: r.priority! }];
    else entry.TXT = [...(entry.TXT ?? []), r.value];
  }
}

const recordOf = (d: Domain, purpose: string) => d.dns_records_json.find((r) => r.purpose === purpose)!;

describe(`custom domains (${dbLabel})`, () => {
  const zone: Zone = {};
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  let sink: Sink;
  let t: TestServer;
  let other: { admin_key: string };
  let alpha: DomainCreated;

  async function send(to: string[], raw: string, from = "sender@example.com") {
    const smtp = smtpClient(t.pb.smtpPort!);
    try {
      return await smtp.sendMail({ envelope: { from, to }, raw });
    } finally {
      smtp.close();
    }
  }

  before(async () => {
    dns = await startDnsServer(zone);
    sink = await startSink();
    t = await startTestServer({
      POSTBOX_DNS_SERVERS: dns.address,
      POSTBOX_MX_HOST: MX_HOST,
      POSTBOX_SMTP_RELAY: sink.url,
    });
    other = await t.client().accounts.create({ name: "other-tenant" });
  });
  after(async () => {
    await t.stop();
    await sink.close();
    await dns.close();
  });

  it("lists the installation's domain, shared and verified, as the default", async () => {
    const [own, ...rest] = await t.client().domains.list();
    assert.equal(rest.length, 0);
    assert.equal(own!.domain_name, "test.local");
    assert.equal(own!.domain_type, "platform");
    assert.equal(own!.verification_status, "verified");
    assert.equal(own!.is_default, true);
    assert.equal(own!.id, "00000000-0000-0000-0000-000000000000");
    assert.equal((await t.client().domains.get("test.local")).id, own!.id);
  });

  it("adds a domain with its own DKIM key and the exact records to publish", async () => {
    alpha = await t.client().domains.create({ domain: "Alpha.Example." });
    assert.equal(alpha.domain_name, "alpha.example");
    assert.equal(alpha.domain_id, alpha.id);
    assert.equal(alpha.verification_status, "pending");
    assert.equal(alpha.is_default, false);
    assert.equal(alpha.dkim_key_source, "generated");
    assert.deepEqual(
      alpha.dns_records_json.map((r) => [r.purpose, r.type, r.name, r.required, r.status]),
      [
        ["mx", "MX", "alpha.example", true, "pending"],
        ["spf", "TXT", "alpha.example", false, "pending"],
        ["dkim", "TXT", "postbox._domainkey.alpha.example", true, "pending"],
        ["dmarc", "TXT", "_dmarc.alpha.example", false, "pending"],
      ],
    );
    assert.equal(recordOf(alpha, "mx").value, MX_HOST);
    assert.equal(recordOf(alpha, "mx").priority, 10);
    assert.equal(recordOf(alpha, "spf").value, "v=spf1 mx ~all");
    assert.match(recordOf(alpha, "dkim").value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    const installation = (await t.api("GET", "/v1/dkim")).body;
    assert.notEqual(recordOf(alpha, "dkim").value, installation.value, "a key of its own");
    // By id or by name; the list has it after the installation's domain.
    assert.equal((await t.client().domains.get("alpha.example")).id, alpha.id);
    assert.deepEqual(
      (await t.client().domains.list()).map((d) => d.domain_name),
      ["test.local", "alpha.example"],
    );
  });

  it("exports the records as a zone file", async () => {
    const res = await t.api("GET", `/v1/domains/${alpha.id}/zone-file`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/plain/);
    const text = res.body as string;
    assert.match(text, /^alpha\.example\.\tIN\tMX\t10 mx\.test\.local\.$/m);
    assert.match(text, /^alpha\.example\.\tIN\tTXT\t"v=spf1 mx ~all"$/m);
    assert.match(text, /^_dmarc\.alpha\.example\.\tIN\tTXT\t"v=DMARC1; p=quarantine; adkim=r; aspf=r"$/m);
    // The DKIM text is longer than one TXT string may be: split into quoted pieces that join to the value.
    const dkimLine = text
      .split("\n")
      .find((l) => l.startsWith("postbox._domainkey.alpha.example.\tIN\tTXT\t"))!;
    const pieces = [...dkimLine.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(pieces.length > 1 && pieces.every((p) => p.length <= 255));
    assert.equal(pieces.join(""), recordOf(alpha, "dkim").value);
    assert.equal(await t.client().domains.zoneFile("alpha.example"), text);
  });

  it("verifies against live DNS, record by record", async () => {
    const none = await t.client().domains.verify(alpha.id);
    assert.equal(none.verification_status, "failed");
    assert.deepEqual(
      none.dns_records_json.map((r) => r.status),
      ["missing", "missing", "missing", "missing"],
    );
    assert.equal(none.failed_gate, "mx");
    assert.match(none.failure_reason!, /^MX alpha\.example: missing/);
    assert.ok(none.last_checked_at);
    assert.equal(none.verified_at, null);

    // Someone else's MX and an old DKIM key: mismatches, with what was found.
    zone["alpha.example"] = { MX: [{ exchange: "mx.elsewhere.example", priority: 5 }], TXT: ["v=spf1 -all"] };
    zone["postbox._domainkey.alpha.example"] = {
      TXT: ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQstale"],
    };
    const wrong = await t.client().domains.verify(alpha.id);
    assert.equal(wrong.verification_status, "failed");
    assert.deepEqual(recordOf(wrong, "mx"), {
      ...recordOf(alpha, "mx"),
      status: "mismatch",
      found: ["mx.elsewhere.example"],
    });
    assert.equal(recordOf(wrong, "spf").status, "mismatch");
    assert.equal(recordOf(wrong, "dkim").status, "mismatch");
    assert.equal(recordOf(wrong, "dmarc").status, "missing");

    // The required records are enough to verify; the advised ones are reported on.
    delete zone["alpha.example"];
    delete zone["postbox._domainkey.alpha.example"];
    publish(zone, alpha, ["mx", "dkim"]);
    const ok = await t.client().domains.verify("alpha.example");
    assert.equal(ok.verification_status, "verified");
    assert.equal(ok.failed_gate, null);
    assert.equal(ok.failure_reason, null);
    assert.deepEqual(
      ok.dns_records_json.map((r) => r.status),
      ["verified", "missing", "verified", "missing"],
    );
    assert.ok(ok.verified_at);
    publish(zone, alpha, ["spf", "dmarc"]);
    const all = await t.client().domains.verify(alpha.id);
    assert.deepEqual(
      all.dns_records_json.map((r) => r.status),
      ["verified", "verified", "verified", "verified"],
    );
    assert.equal(all.verified_at, ok.verified_at, "verified_at is the first time");
    // A read shows the last check.
    assert.deepEqual((await t.client().domains.get(alpha.id)).dns_records_json, all.dns_records_json);
  });

  it("keeps a domain to one account, and shows it to nobody else", async () => {
    const them = t.client(other.admin_key);
    for (const domain of ["alpha.example", "ALPHA.example."]) {
      const res = await t.api("POST", "/v1/domains", { key: other.admin_key, body: { domain } });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, "DOMAIN_TAKEN");
      assert.ok(!JSON.stringify(res.body).includes(alpha.id), "the holder is not named");
    }
    const again = await t.api("POST", "/v1/domains", { body: { domain: "alpha.example" } });
    assert.equal(again.body.code, "DOMAIN_ALREADY_ADDED");
    assert.equal(again.body.details.domain_id, alpha.id);
    assert.equal(
      (await t.api("POST", "/v1/domains", { body: { domain: "test.local" } })).body.code,
      "PLATFORM_DOMAIN_NOT_TARGETABLE",
    );

    assert.deepEqual(
      (await them.domains.list()).map((d) => d.domain_name),
      ["test.local"],
    );
    for (const ref of [alpha.id, "alpha.example"]) {
      for (const [method, path] of [
        ["GET", `/v1/domains/${ref}`],
        ["POST", `/v1/domains/${ref}/verify`],
        ["GET", `/v1/domains/${ref}/zone-file`],
        ["PATCH", `/v1/domains/${ref}/set-default`],
        ["DELETE", `/v1/domains/${ref}`],
      ] as const) {
        const res = await t.api(method, path, { key: other.admin_key });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.equal(res.body.code, "NOT_FOUND");
      }
    }
    const onIt = await t.api("POST", "/v1/mailboxes", {
      key: other.admin_key,
      body: { name: "intruder", domain: "alpha.example" },
    });
    assert.equal(onIt.status, 404);
    assert.equal((await t.client().domains.get(alpha.id)).verification_status, "verified", "untouched");
  });

  it("refuses agent keys on every domain route", async () => {
    await t.client().mailboxes.create({ name: "robot" });
    const key = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["robot"] })).api_key;
    for (const [method, path, body] of [
      ["GET", "/v1/domains", undefined],
      ["POST", "/v1/domains", { domain: "agent.example" }],
      ["GET", `/v1/domains/${alpha.id}`, undefined],
      ["POST", `/v1/domains/${alpha.id}/verify`, undefined],
      ["GET", `/v1/domains/${alpha.id}/zone-file`, undefined],
      ["PATCH", `/v1/domains/${alpha.id}/set-default`, undefined],
      ["DELETE", `/v1/domains/${alpha.id}`, undefined],
    ] as const) {
      const res = await t.api(method, path, { key, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, "INSUFFICIENT_SCOPE");
    }
  });

  it("puts mailboxes on a domain; names are unique per domain", async () => {
    const onAlpha = await t.client().mailboxes.create({ name: "support", domain: "alpha.example" });
    assert.equal(onAlpha.address, "support@alpha.example");
    assert.equal(onAlpha.domain, "alpha.example");
    const onOwn = await t.client().mailboxes.create({ name: "support", domain: "test.local" });
    assert.equal(onOwn.address, "support@test.local");
    const taken = await t.api("POST", "/v1/mailboxes", { body: { name: "support", domain: alpha.id } });
    assert.equal(taken.body.code, "MAILBOX_NAME_TAKEN");
    assert.match(taken.body.error, /support@alpha\.example/);
    // A bare name means the account's oldest mailbox of that name; an address is exact.
    assert.equal((await t.client().mailboxes.get("support")).id, onAlpha.id);
    assert.equal((await t.client().mailboxes.get("support@test.local")).id, onOwn.id);
    assert.equal((await t.client().mailboxes.get("support@alpha.example")).id, onAlpha.id);
    // On its own domain the account holds the names with authority over it.
    const pm = await t.client().mailboxes.create({ name: "abuse", domain: "alpha.example" });
    assert.equal(pm.address, "abuse@alpha.example");
    const service = await t.api("POST", "/v1/mailboxes", {
      body: { name: "bounces", domain: "alpha.example" },
    });
    assert.equal(service.body.code, "MAILBOX_NAME_RESERVED", "the return path stays the service's");

    // Another account's own domain has its own support@.
    const them = t.client(other.admin_key);
    const beta = await them.domains.create({ domain: "beta.example" });
    const unverified = await t.api("POST", "/v1/mailboxes", {
      key: other.admin_key,
      body: { name: "support", domain: "beta.example" },
    });
    assert.equal(unverified.status, 409);
    assert.equal(unverified.body.code, "DOMAIN_NOT_VERIFIED");
    const notDefault = await t.api("PATCH", `/v1/domains/${beta.id}/set-default`, { key: other.admin_key });
    assert.equal(notDefault.body.code, "DOMAIN_NOT_VERIFIED");
    publish(zone, beta);
    assert.equal((await them.domains.verify(beta.id)).verification_status, "verified");
    assert.equal((await them.domains.setDefault(beta.id)).is_default, true);
    const theirs = await them.mailboxes.create({ name: "support" });
    assert.equal(theirs.address, "support@beta.example", "the default domain");
    assert.deepEqual(
      (await them.domains.list()).map((d) => [d.domain_name, d.is_default]),
      [
        ["test.local", false],
        ["beta.example", true],
      ],
    );
  });

  it("receives mail for verified domains only", async () => {
    await send(["support@alpha.example"], rawMessage({ to: "support@alpha.example", subject: "to alpha" }));
    await send(["support@beta.example"], rawMessage({ to: "support@beta.example", subject: "to beta" }));
    await t.pb.drain();
    const mine = (await t.client().messages.list("support@alpha.example")).data;
    assert.deepEqual(
      mine.map((m) => m.subject),
      ["to alpha"],
    );
    assert.equal((await t.client().messages.list("support@test.local")).data.length, 0);
    const theirs = (await t.client(other.admin_key).messages.list("support")).data;
    assert.deepEqual(
      theirs.map((m) => m.subject),
      ["to beta"],
    );

    // Pending (never verified) and unknown domains are not ours: 550 at RCPT.
    await t.client().domains.create({ domain: "pending.example" });
    zone["pending.example"] = { MX: [{ exchange: MX_HOST, priority: 10 }] };
    for (const to of ["support@pending.example", "support@nowhere.example"])
      await assert.rejects(send([to], rawMessage({ to })), (e: any) => {
        assert.equal(e.responseCode, 550, to);
        return true;
      });
    // postmaster@ works on a custom domain too, in the domain's account.
    await send(
      ["postmaster@alpha.example"],
      rawMessage({ to: "postmaster@alpha.example", subject: "hi pm" }),
    );
    await t.pb.drain();
    const pm = await t.client().mailboxes.get("postmaster@alpha.example");
    assert.equal(pm.address, "postmaster@alpha.example");
  });

  it("signs mail of two domains with their two keys; mailauth and python3-dkim verify it", async () => {
    // gamma brings its own (Ed25519) key and selector.
    const { privateKey } = generateKeyPairSync("ed25519");
    const gamma = await t.client().domains.create({
      domain: "gamma.example",
      dkim_selector: "s2026",
      dkim_private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    });
    assert.equal(gamma.dkim_key_source, "operator");
    assert.equal(recordOf(gamma, "dkim").name, "s2026._domainkey.gamma.example");
    assert.match(recordOf(gamma, "dkim").value, /^v=DKIM1; k=ed25519; p=/);
    publish(zone, gamma);
    assert.equal((await t.client().domains.verify(gamma.id)).verification_status, "verified");
    await t.client().mailboxes.create({ name: "sales", domain: "gamma.example" });

    const before = sink.received.length;
    await t.client().messages.send({
      from_mailbox: "support@alpha.example",
      to: "ann@example.com",
      subject: "From alpha",
      body: "Hello from alpha",
    });
    await t.client().messages.send({
      from_mailbox: "sales@gamma.example",
      to: "bob@example.com",
      subject: "From gamma",
      body: "Hello from gamma",
    });
    await t.pb.drain();
    await sink.waitFor(before + 2);
    const got = sink.received.slice(before);
    const byTo = (to: string) => got.find((m) => m.to.includes(to))!;
    for (const [msg, d, from] of [
      [byTo("ann@example.com"), alpha, "support@alpha.example"],
      [byTo("bob@example.com"), gamma, "sales@gamma.example"],
    ] as const) {
      const text = msg.raw.toString("latin1");
      const domain = d.domain_name;
      assert.match(text, new RegExp(`^From: ${from}`, "m"));
      assert.match(text, new RegExp(`^Message-ID: <[0-9a-f-]{36}@${domain.replace(".", "\\.")}>`, "m"));
      assert.match(
        msg.from,
        new RegExp(`^bounces\\+[0-9a-f]{32}@${domain.replace(".", "\\.")}$`),
        "VERP at the domain",
      );
      const rec = recordOf(d, "dkim");
      const r = await mailauthVerify(msg.raw, rec.name, rec.value);
      assert.equal(r.status.result, "pass", domain);
      assert.equal(r.signingDomain, domain);
      // The other domain's key does not verify it.
      const otherRec = recordOf(d === alpha ? gamma : alpha, "dkim");
      assert.notEqual((await mailauthVerify(msg.raw, rec.name, otherRec.value)).status.result, "pass");
      if (!skipPython)
        assert.equal(pythonVerify(msg.raw, rec.name, rec.value), true, `python3-dkim: ${domain}`);
    }
  });

  it("takes bounces at a custom domain's return path", async () => {
    const before = sink.received.length;
    sink.rcptHook = null;
    await t.client().messages.send({
      from_mailbox: "support@alpha.example",
      to: "gone@example.com",
      subject: "Will bounce",
      body: "x",
    });
    await t.pb.drain();
    await sink.waitFor(before + 1);
    const verp = sink.received[before]!.from;
    assert.match(verp, /@alpha\.example$/);
    // A return path at a domain that is not ours is refused like any foreign address.
    await assert.rejects(
      send(
        [verp.replace("alpha.example", "pending.example")],
        rawMessage({ to: "x" }),
        "mailer-daemon@example.com",
      ),
      (e: any) => e.responseCode === 550,
    );
    const info = await send(
      [verp],
      rawMessage({ to: verp, subject: "Undelivered Mail" }),
      "mailer-daemon@example.com",
    );
    assert.deepEqual(info.accepted, [verp]);
  });

  it("deletes a domain only when no live mailbox is on it; the default goes back", async () => {
    assert.equal((await t.client().domains.setDefault(alpha.id)).is_default, true);
    const inUse = await t.api("DELETE", `/v1/domains/${alpha.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.code, "DOMAIN_IN_USE");
    assert.equal(inUse.body.details.mailboxes, 3);
    for (const name of ["support@alpha.example", "abuse@alpha.example", "postmaster@alpha.example"])
      await t.client().mailboxes.delete(name);
    const gone = await t.client().domains.delete("alpha.example");
    assert.deepEqual(gone, { id: alpha.id, domain_name: "alpha.example", deleted: true });
    assert.equal((await t.api("GET", `/v1/domains/${alpha.id}`)).status, 404);
    const [own] = await t.client().domains.list();
    assert.equal(own!.is_default, true, "the installation's domain is the default again");
    assert.equal((await t.client().mailboxes.create({ name: "after" })).address, "after@test.local");
    const platform = await t.api("DELETE", "/v1/domains/test.local");
    assert.equal(platform.body.code, "PLATFORM_DOMAIN_NOT_TARGETABLE");
    // Its mail no longer arrives, once the SMTP listener's two-second memory of the mailbox (inbound/recipients.ts)
    // has lapsed: the test sent to this address moments ago.
    await eventually(async () => {
      try {
        await send(["support@alpha.example"], rawMessage({ to: "support@alpha.example" }));
        return false;
      } catch (e: any) {
        if (e.responseCode !== 550) throw e;
        return true;
      }
    });
  });
});
