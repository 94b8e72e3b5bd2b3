import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toErrorResponse } from "../../src/api/server.ts";
import { AGENT_INSTRUCTIONS, AppError, agentInstructionsFor } from "../../src/domain/errors.ts";
import { firewallRuling } from "../../src/domain/inbound-firewall.ts";
import {
  attemptCursor,
  entryOrRefuse,
  patternTypeOf,
  splitEntries,
} from "../../src/domain/recipient-controls.ts";
import { nextAfterAttempt, webhookErrorOf } from "../../src/domain/webhook-retry.ts";

describe("list entries", () => {
  it("splits a bulk add into valid entries (normalised, each once) and invalid ones with the seed's reason", () => {
    const r = splitEntries(["A@Example.com", "a@example.com", " @Corp.example ", "nope", "@"]);
    assert.deepEqual(r.valid, ["a@example.com", "@corp.example"]);
    assert.deepEqual(
      r.invalid.map((i) => [i.email, i.reason]),
      [
        ["nope", "invalid_format"],
        ["@", "invalid_format"],
      ],
    );
    assert.ok(r.invalid.every((i) => i.detail.length > 0));
  });

  it("refuses a malformed entry with INVALID_EMAIL and names the pattern type of a good one", () => {
    assert.equal(entryOrRefuse("Ann@Example.com"), "ann@example.com");
    assert.throws(
      () => entryOrRefuse("ann@@example.com"),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === "INVALID_EMAIL" &&
        e.refusal === "invalid" &&
        e.details?.reason === "invalid_format",
    );
    assert.equal(patternTypeOf("@corp.example"), "domain");
    assert.equal(patternTypeOf("ann@corp.example"), "email");
  });

  it("takes back only cursors a blocked-attempts page gave", () => {
    assert.equal(attemptCursor(undefined), null);
    assert.equal(attemptCursor("42"), "42");
    for (const bad of ["0", "-1", "abc", "1e3", "99999999999999999999"])
      assert.throws(
        () => attemptCursor(bad),
        (e: unknown) => e instanceof AppError && e.refusal === "invalid",
      );
  });
});

describe("the inbound firewall's sender allowlist", () => {
  const m = { sender: "ann@partner.example", envelopeFrom: "bounce@mailer.example" };
  it("is off when not in force, and lets through a sender covered by an entry when it is", () => {
    assert.equal(firewallRuling(m, { blocked: new Set(), senderAllowlist: null }), null);
    assert.equal(
      firewallRuling(m, { blocked: new Set(), senderAllowlist: new Set(["@partner.example"]) }),
      null,
    );
    const stopped = firewallRuling(m, { blocked: new Set(), senderAllowlist: new Set() });
    assert.equal(stopped?.block.reason_code, "SENDER_NOT_ON_ALLOWLIST");
    assert.equal(stopped?.block.mode, "allowlist");
  });
});

describe("agent instructions", () => {
  it("gives each listed refusal short imperative lines", () => {
    for (const [code, lines] of Object.entries(AGENT_INSTRUCTIONS)) {
      assert.match(code, /^[A-Z][A-Z_]+$/);
      assert.ok(lines.length > 0 && lines.length <= 4, code);
      for (const l of lines) assert.ok(l.length > 10 && l.length < 160 && /[.]$/.test(l), `${code}: ${l}`);
    }
    assert.equal(agentInstructionsFor("NOT_FOUND"), null);
    assert.equal(agentInstructionsFor("toString"), null, "no inherited keys");
  });

  it("rides on the HTTP error as details.agent_instructions, beside the refusal's own details", () => {
    const r = toErrorResponse(
      new AppError("forbidden", "RECIPIENT_SUPPRESSED", "x", { email: "a@b.example", reason: "suppressed" }),
    );
    assert.equal(r.status, 403);
    assert.deepEqual(r.body.details?.agent_instructions, [...AGENT_INSTRUCTIONS.RECIPIENT_SUPPRESSED!]);
    assert.equal(r.body.details?.reason, "suppressed");
    const plain = toErrorResponse(new AppError("not_found", "NOT_FOUND", "x"));
    assert.equal(plain.body.details, undefined);
  });
});

describe("webhook health", () => {
  it("words the last error: the status and the start of the answer, or why it was abandoned", () => {
    const schedule = [1000, 1000];
    const r500 = { status: 500, error: "boom", retryAfterSeconds: null };
    assert.equal(webhookErrorOf(r500, nextAfterAttempt(r500, 1, schedule)), "HTTP 500: boom");
    const net = { status: null, error: "connect ECONNREFUSED", retryAfterSeconds: null };
    assert.equal(webhookErrorOf(net, nextAfterAttempt(net, 1, schedule)), "connect ECONNREFUSED");
    const gone = { status: 410, error: null, retryAfterSeconds: null };
    assert.match(webhookErrorOf(gone, nextAfterAttempt(gone, 1, schedule))!, /^HTTP 410: not retried/);
    const ok = { status: 200, error: null, retryAfterSeconds: null };
    assert.equal(webhookErrorOf(ok, nextAfterAttempt(ok, 1, schedule)), null);
  });
});
