import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findSecrets, scanOutbound, shannonEntropy } from "../../src/domain/outbound-scan.ts";
import { decideSend } from "../../src/domain/send-decision.ts";

describe("outbound scan", () => {
  it("finds PII types and applies the mailbox's actions over the platform defaults", () => {
    const text = "SSN 123-45-6780, card 4111 1111 1111 1111, call (415) 555-2671";
    const d = scanOutbound(text);
    assert.deepEqual(
      d.findings.map((f) => [f.pii_type, f.decision]),
      [
        ["ssn", "quarantine"],
        ["credit_card", "quarantine"],
        ["phone_number", "allow_with_warning"],
      ],
    );
    assert.equal(d.verdict, "quarantined");
    const custom = scanOutbound(text, {
      ssn: "block",
      credit_card: "require_human_approval",
      phone_number: "allow",
    });
    assert.deepEqual(
      custom.findings.map((f) => [f.pii_type, f.decision]),
      [
        ["ssn", "block"],
        ["credit_card", "require_human_approval"],
      ],
    );
    assert.equal(custom.verdict, "blocked");
    // Settings written before the spec's name was used still mean the same.
    const legacy = scanOutbound(text, { credit_card: "review" });
    assert.equal(
      legacy.findings.find((f) => f.pii_type === "credit_card")?.decision,
      "require_human_approval",
    );
    assert.deepEqual(scanOutbound("See you at lunch."), {
      verdict: "clean",
      categories: [],
      findings: [],
      worst: "allow",
    });
    // One entry per category, with its worst decision.
    assert.deepEqual(custom.categories, [{ category: "pii", decision: "block" }]);
  });

  it("finds secrets of well-known formats and high-entropy credentials, and blocks them", () => {
    assert.deepEqual(findSecrets("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl..."), ["private_key"]);
    assert.deepEqual(findSecrets("key AKIAIOSFODNN7EXAMPLE here"), ["aws_access_key_id"]);
    assert.deepEqual(findSecrets(`token ghp_${"a1B2".repeat(9)}`), ["github_token"]);
    assert.deepEqual(findSecrets(`sk_live_${"4eC39HqLyjWDarjtT1zdp7dc"}`), ["stripe_secret_key"]);
    assert.deepEqual(findSecrets("password: q7G!x9Lm2Vz#p4Rt"), ["credential"]);
    assert.deepEqual(findSecrets("password: see the vault"), [], "not a value");
    assert.deepEqual(findSecrets("password: hunterhunter22"), [], "low entropy");
    assert.ok(shannonEntropy("aaaaaaaa") < 1);
    const s = scanOutbound("here is the prod key AKIAIOSFODNN7EXAMPLE");
    assert.equal(s.verdict, "blocked");
    assert.equal(s.findings[0]?.category, "secret_detected");
  });

  it("stays fast on hostile input", () => {
    for (const text of ["password ".repeat(100_000), `password:${" ".repeat(200_000)}x`, "-".repeat(300_000)])
      assert.ok(Array.isArray(scanOutbound(text).findings));
  });
});

describe("send decision", () => {
  const clean = scanOutbound("hello");
  const warn = scanOutbound("call (415) 555-2671");
  const review = scanOutbound("card 4111 1111 1111 1111", { credit_card: "review" });
  it("follows the scanner, then the mailbox's human-in-the-loop mode", () => {
    assert.deepEqual(decideSend(clean, "disabled"), { status: "sent", hold: null });
    assert.equal(decideSend(warn, "disabled").status, "sent");
    assert.equal(decideSend(warn, "risky_only").status, "pending_review");
    assert.equal(decideSend(warn, "risky_only").hold?.trigger_source, "mailbox_policy");
    assert.equal(decideSend(clean, "risky_only").status, "sent");
    assert.equal(decideSend(clean, "all_outbound").hold?.trigger_source, "mailbox_policy");
    assert.equal(decideSend(review, "disabled").hold?.trigger_source, "scanner");
    assert.equal(decideSend(review, "all_outbound").hold?.trigger_source, "both");
    assert.equal(decideSend(scanOutbound("SSN 123-45-6780"), "disabled").status, "quarantined");
    assert.equal(decideSend(scanOutbound("AKIAIOSFODNN7EXAMPLE"), "all_outbound").status, "blocked");
  });
});
