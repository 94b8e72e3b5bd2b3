import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AuditEntry,
  createChainVerifier,
  entryHash,
  GENESIS_HASH,
} from "../../src/domain/audit-chain.ts";
import {
  type AuthFacts,
  aligned,
  envelopeSenderAuthenticated,
  organizationalDomain,
  summarizeAuth,
} from "../../src/domain/sender-auth.ts";

const facts = (over: Partial<AuthFacts> = {}): AuthFacts => ({
  fromDomain: "acme.com",
  spf: { result: "none", domain: null },
  dkim: [],
  dmarc: { result: "none", policy: null, domain: null },
  arc: { result: "none", instances: 0 },
  ...over,
});
const sig = (domain: string, result: AuthFacts["dkim"][number]["result"]) => ({
  domain,
  selector: "s",
  algorithm: "rsa-sha256",
  result,
  comment: null,
});

describe("sender authentication verdicts", () => {
  it("aligns by organizational domain (public suffix list)", () => {
    assert.equal(organizationalDomain("mail.eu.acme.co.uk"), "acme.co.uk");
    assert.equal(aligned("mail.acme.com", "ACME.com."), true);
    assert.equal(aligned("acme.com.evil.test", "acme.com"), false);
    assert.equal(aligned(null, "acme.com"), false);
  });

  it("classifies every combination into one verdict", () => {
    const v = (f: Partial<AuthFacts>) => summarizeAuth(facts(f)).verdict;
    assert.equal(v({ dmarc: { result: "pass", policy: "reject", domain: "acme.com" } }), "verified_aligned");
    assert.equal(
      v({ dkim: [sig("mail.acme.com", "pass")] }),
      "verified_aligned",
      "no DMARC record, aligned DKIM",
    );
    assert.equal(v({ spf: { result: "pass", domain: "bounce.acme.com" } }), "verified_aligned");
    assert.equal(v({ dkim: [sig("esp.test", "pass")] }), "authenticated_unaligned");
    assert.equal(v({ spf: { result: "pass", domain: "esp.test" } }), "authenticated_unaligned");
    assert.equal(
      v({ dkim: [sig("acme.com", "pass")], dmarc: { result: "fail", policy: "reject", domain: "acme.com" } }),
      "failed",
      "DMARC's own failure wins",
    );
    assert.equal(v({ dkim: [sig("acme.com", "neutral")] }), "failed", "a body-hash mismatch is not a pass");
    assert.equal(v({ spf: { result: "softfail", domain: "acme.com" } }), "failed");
    assert.equal(v({ spf: { result: "temperror", domain: "acme.com" } }), "error");
    assert.equal(v({}), "none");
  });

  it("reports signing domains of passing signatures only", () => {
    const a = summarizeAuth(
      facts({ dkim: [sig("acme.com", "fail"), sig("esp.test", "pass"), sig("esp.test", "pass")] }),
    );
    assert.deepEqual(a.signing_domains, ["esp.test"]);
    assert.equal(a.dkim.result, "pass");
    assert.equal(a.dkim.aligned, false);
  });

  it("lets only an authenticated envelope sender receive notifications", () => {
    const spfPass = summarizeAuth(facts({ spf: { result: "pass", domain: "partner.test" } }));
    assert.equal(envelopeSenderAuthenticated(spfPass, "bounces@partner.test"), true);
    assert.equal(envelopeSenderAuthenticated(spfPass, "victim@elsewhere.test"), false);
    assert.equal(envelopeSenderAuthenticated(spfPass, ""), false, "the null sender is never notified");
    const dkimPass = summarizeAuth(facts({ dkim: [sig("partner.test", "pass")] }));
    assert.equal(envelopeSenderAuthenticated(dkimPass, "x@mail.partner.test"), true);
  });
});

describe("audit hash chain", () => {
  const entry = (seq: number): AuditEntry => ({
    mailbox_id: "m",
    seq,
    created_at: new Date(1_800_000_000_000 + seq),
    transport: "smtp",
    envelope_sender: "a@b.test",
    header_sender: "a@b.test",
    rule_index: 0,
    outcome: "accepted",
    action: "delivered",
    reason: null,
    message_id: null,
    body_sha256: null,
    capabilities: ["x"],
  });
  const chain = (n: number) => {
    let prev = GENESIS_HASH;
    return Array.from({ length: n }, (_, i) => {
      const e = entry(i + 1);
      const hash = entryHash(prev, e);
      const row = { ...e, prev_hash: prev, hash };
      prev = hash;
      return row;
    });
  };

  it("verifies an intact chain fed in pages", () => {
    const rows = chain(5);
    const v = createChainVerifier({ seq: 0, hash: GENESIS_HASH });
    assert.equal(v.feed(rows.slice(0, 2)), null);
    assert.equal(v.feed(rows.slice(2)), null);
    assert.deepEqual(v.finish({ seq: 5, hash: rows[4]!.hash }), { checked: 5, broken: null });
  });

  it("names the first broken entry", () => {
    const rows = chain(4);
    rows[1] = { ...rows[1]!, capabilities: ["x", "admin"] };
    const v = createChainVerifier({ seq: 0, hash: GENESIS_HASH });
    assert.equal(v.feed(rows)?.problem, "entry_modified");
    assert.equal(v.finish({ seq: 4, hash: rows[3]!.hash }).broken?.seq, 2);

    const relinked = chain(3);
    relinked[2] = { ...relinked[2]!, prev_hash: GENESIS_HASH };
    assert.equal(createChainVerifier({ seq: 0, hash: GENESIS_HASH }).feed(relinked)?.problem, "link_broken");

    const tail = chain(3);
    const cut = createChainVerifier({ seq: 0, hash: GENESIS_HASH });
    cut.feed(tail.slice(0, 2));
    assert.equal(cut.finish({ seq: 3, hash: tail[2]!.hash }).broken?.problem, "entry_missing");
  });
});
