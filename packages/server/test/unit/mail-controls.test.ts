import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  autoReplySenderAuthenticated,
  autoReplySubject,
  autoReplyTarget,
  ECHO_MAX_CHARS,
  echoSafe,
} from "../../src/domain/auto-reply.ts";
import { automatedReason } from "../../src/domain/auto-submitted.ts";
import { isHardFailure, readBounce } from "../../src/domain/bounce-report.ts";
import { redactEventData } from "../../src/domain/event-redaction.ts";
import { globMatch, matchingRules, renderTemplate, validateRuleSet } from "../../src/domain/inbound-rules.ts";
import {
  coveringEntry,
  parseEntry,
  quotaProblems,
  quotaVerdict,
  windowStart,
} from "../../src/domain/recipient-controls.ts";
import type { SenderAuthentication } from "../../src/domain/sender-auth.ts";
import { parseVerp, verpAddress } from "../../src/domain/verp.ts";
import { nextAfterAttempt } from "../../src/domain/webhook-retry.ts";
import { signatureHeader } from "../../src/domain/webhook-signature.ts";

describe("webhook retry rule", () => {
  const schedule = [10_000, 60_000];
  const r = (status: number | null, retryAfterSeconds: number | null = null) => ({
    status,
    error: status === null ? "timed out" : null,
    retryAfterSeconds,
  });
  it("delivers on 2xx, retries network errors, 429 and 5xx along the schedule, abandons the rest", () => {
    assert.deepEqual(nextAfterAttempt(r(204), 1, schedule), { state: "delivered" });
    assert.deepEqual(nextAfterAttempt(r(null), 1, schedule), { state: "pending", retryInMs: 10_000 });
    assert.deepEqual(nextAfterAttempt(r(503), 2, schedule), { state: "pending", retryInMs: 60_000 });
    assert.equal(nextAfterAttempt(r(500), 3, schedule).state, "failed", "past the schedule");
    assert.deepEqual(nextAfterAttempt(r(429, 120), 1, schedule), { state: "pending", retryInMs: 120_000 });
    assert.deepEqual(
      nextAfterAttempt(r(429, 999_999), 1, schedule),
      { state: "pending", retryInMs: 3_600_000 },
      "Retry-After capped",
    );
    for (const s of [301, 302, 400, 404, 410])
      assert.equal(nextAfterAttempt(r(s), 1, schedule).state, "failed", String(s));
  });
  it("signs with every secret given, new one first", () => {
    const h = signatureHeader("{}", ["a", "b"], 1_700_000_000.9);
    assert.match(h, /^t=1700000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
  });
});

describe("event redaction", () => {
  it("hides addresses and subjects of message events only", () => {
    assert.deepEqual(
      redactEventData("message.sent", {
        message_id: "m",
        to: ["a@x.com", "b@y.com"],
        cc: [],
        subject: "Salary",
        sender: null,
      }),
      {
        message_id: "m",
        to: ["<EMAIL_ADDRESS>", "<EMAIL_ADDRESS>"],
        cc: [],
        subject: "<REDACTED>",
        sender: null,
      },
    );
    assert.deepEqual(redactEventData("webhook.test", { url: "https://x" }), { url: "https://x" });
  });
});

describe("recipient entries and quotas", () => {
  it("parses addresses and bare domains, and matches exact domains only", () => {
    assert.deepEqual(parseEntry(" Ann@Example.COM "), { ok: true, entry: "ann@example.com" });
    assert.deepEqual(parseEntry("@Corp.com"), { ok: true, entry: "@corp.com" });
    assert.equal(parseEntry("@").ok, false);
    assert.equal(parseEntry("corp.com").ok, false);
    const set = new Set(["@corp.com", "bob@x.org"]);
    assert.equal(coveringEntry("ann@corp.com", set), "@corp.com");
    assert.equal(coveringEntry("ann@mail.corp.com", set), null);
    assert.equal(coveringEntry("BOB@x.org", set), "bob@x.org");
  });
  it("judges a counted send against every window", () => {
    const now = new Date("2026-11-22T10:30:00Z");
    const start = windowStart(now, 3600);
    assert.equal(start.toISOString(), "2026-11-22T10:00:00.000Z");
    const v = quotaVerdict(
      [{ scope: "mailbox", window_seconds: 3600, limit: 2, used: 3, window_start: start }],
      now,
    );
    assert.equal(v.exceeded?.reset_at, "2026-11-22T11:00:00.000Z");
    assert.equal(v.exceeded?.retry_after_seconds, 1800);
    assert.equal(
      quotaVerdict(
        [{ scope: "account", window_seconds: 86400, limit: 10, used: 4, window_start: start }],
        now,
      ).remaining,
      6,
    );
    assert.deepEqual(quotaProblems([{ window_seconds: 3600, limit: 5 }]), []);
    assert.ok(quotaProblems([{ window_seconds: 5, limit: -1, extra: 1 }]).length === 3);
    assert.ok(quotaProblems("nope").length === 1);
  });
});

describe("VERP", () => {
  it("round-trips a delivery id and refuses anything else", () => {
    const id = "0b7d7c1e-6a7e-4c55-9a43-2f1b8e3c9d10";
    const a = verpAddress(id, "pb.example");
    assert.equal(a, "bounces+0b7d7c1e6a7e4c559a432f1b8e3c9d10@pb.example");
    assert.equal(parseVerp(a.toUpperCase().replace("PB.EXAMPLE", "pb.example"), "pb.example"), id);
    assert.equal(parseVerp(a, "other.example"), null);
    assert.equal(parseVerp("bounces+123@pb.example", "pb.example"), null);
    assert.equal(parseVerp("bounces@pb.example", "pb.example"), null);
  });
});

describe("bounce reports", () => {
  it("reads RFC 3464 fields, folded lines included", () => {
    const r = readBounce({
      deliveryStatus:
        "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; Ann@Example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1\n  user unknown\n",
      feedbackReport: null,
      text: null,
    });
    assert.deepEqual(r.recipients, [
      { email: "ann@example.com", action: "failed", status: "5.1.1", diagnostic: "550 5.1.1 user unknown" },
    ]);
    assert.equal(r.kind, "bounce");
    assert.equal(r.hard, true);
  });
  it("tells address failures from message failures", () => {
    assert.equal(isHardFailure("5.1.1", null), true);
    assert.equal(isHardFailure("5.2.1", null), true);
    assert.equal(isHardFailure("5.2.2", "mailbox full"), false);
    assert.equal(isHardFailure("5.7.1", "rejected as spam"), false);
    assert.equal(isHardFailure("5.0.0", "550 No such user here"), true);
    assert.equal(isHardFailure("4.2.2", "user unknown"), false);
  });
  it("stays linear on hostile prose: a megabyte of letters, of @ and of digits", () => {
    for (const text of [
      "a".repeat(1 << 20),
      "@".repeat(1 << 20),
      "5.5.5 ".repeat(100_000),
      `${"a".repeat(500_000)}@${"b".repeat(500_000)}`,
    ]) {
      const r = readBounce({ deliveryStatus: null, feedbackReport: null, text });
      assert.ok(r.kind);
    }
    const big = readBounce({
      deliveryStatus: "Action: failed\n".repeat(100_000),
      feedbackReport: null,
      text: null,
    });
    assert.ok(big.recipients.length <= 200);
  });
});

describe("automated mail and inbound rules", () => {
  const h = (headers: Record<string, string>) => (name: string) => headers[name] ?? null;
  it("classifies by RFC 3834 and the usual list and robot signs", () => {
    assert.equal(automatedReason({ header: h({}), envelopeFrom: "a@x.com", from: "a@x.com" }), null);
    assert.equal(
      automatedReason({
        header: h({ "auto-submitted": "auto-generated; owner-email=x" }),
        envelopeFrom: "a@x.com",
        from: null,
      }),
      "auto-submitted: auto-generated",
    );
    assert.equal(
      automatedReason({ header: h({}), envelopeFrom: "bounces+abc@x.com", from: "a@x.com" }),
      null,
      "VERP is ordinary",
    );
    assert.equal(
      automatedReason({ header: h({}), envelopeFrom: "a@x.com", from: "no-reply@x.com" }),
      "no-reply sender",
    );
  });
  it("judges mail between our own mailboxes by its headers alone", () => {
    const local = { envelopeFrom: "noreply@pb.example", from: "noreply@pb.example", local: true };
    assert.equal(
      automatedReason({ header: h({}), ...local }),
      null,
      "a mailbox called noreply is not a robot",
    );
    assert.equal(
      automatedReason({ header: h({ "auto-submitted": "auto-replied" }), ...local }),
      "auto-submitted: auto-replied",
    );
    assert.equal(automatedReason({ header: h({}), ...local, envelopeFrom: "" }), "null sender");
  });
  it("aims an automatic reply at the envelope sender alone, once it authenticated", () => {
    assert.equal(
      autoReplyTarget({ transport: "smtp", mail_from: "Mallory@Example.org" }),
      "mallory@example.org",
    );
    assert.equal(autoReplyTarget({ transport: "smtp", mail_from: "" }), null);
    assert.equal(autoReplyTarget({ transport: "http", mail_from: null }), null);
    const auth = (
      spf: { result: string; domain: string | null },
      dkim: { domain: string; result: string }[] = [],
    ) => ({ spf, dkim: { signatures: dkim } }) as unknown as SenderAuthentication;
    const env = { transport: "smtp", mail_from: "ann@mail.example.org" };
    assert.equal(autoReplySenderAuthenticated(env, auth({ result: "pass", domain: "example.org" })), true);
    assert.equal(autoReplySenderAuthenticated(env, auth({ result: "fail", domain: "example.org" })), false);
    assert.equal(
      autoReplySenderAuthenticated(env, auth({ result: "pass", domain: "other.example" })),
      false,
      "SPF must pass for the envelope sender's own domain",
    );
    assert.equal(
      autoReplySenderAuthenticated(
        env,
        auth({ result: "none", domain: null }, [{ domain: "example.org", result: "pass" }]),
      ),
      true,
    );
    assert.equal(autoReplySenderAuthenticated(env, null), false);
    assert.equal(autoReplySenderAuthenticated({ transport: "local", mail_from: "a@pb.example" }, null), true);
  });
  it("repeats no more of the incoming subject than a short, link-free line", () => {
    assert.equal(
      echoSafe("Win at https://evil.example/x, www.evil.example or evil.example/p — ask bob@evil.example"),
      "Win at [link] [link] or [link] — ask [address]",
    );
    assert.equal(echoSafe("a\u202eb\u200bc\r\nd\te"), "a b c d e");
    const long = echoSafe("y".repeat(500));
    assert.equal([...long].length, ECHO_MAX_CHARS);
    assert.ok(long.endsWith("…"));
    assert.equal(echoSafe("Version 1.2 of the plan, e.g. today"), "Version 1.2 of the plan, e.g. today");
    assert.equal(autoReplySubject("Re: Invoice 42"), "Re: Invoice 42");
    assert.equal(autoReplySubject(null), "Automatic reply");
    assert.equal(autoReplySubject("anything http://x.example", "We got your message"), "We got your message");
    assert.equal(
      renderTemplate("{{sender}}: {{subject}}", { sender: "a@b.example", subject: "see http://x.example" }),
      "a@b.example: see [link]",
    );
  });
  it("matches globs in linear time", () => {
    assert.equal(globMatch("*@acme.com", "Ann@ACME.com"), true);
    assert.equal(globMatch("*@acme.com", "ann@acme.com.evil"), false);
    assert.equal(globMatch("a*b*c", "axxbyyc"), true);
    assert.equal(globMatch("a*b*c", "axxcyyb"), false);
    assert.equal(globMatch("*", "anything"), true);
    // Many stars against a long text: indexOf per part, never backtracking.
    assert.equal(globMatch(`${"*a".repeat(1000)}b`, "a".repeat(100_000)), false);
  });
  it("validates, matches in order and stops where told", () => {
    const v = validateRuleSet({
      rules: [
        { when: { from: "*@acme.com" }, action: { type: "label", label: "acme" } },
        { when: { subject_contains: "STOP" }, action: { type: "label", label: "stopped" }, stop: true },
        { action: { type: "label", label: "all" } },
      ],
    });
    assert.ok(v.ok);
    if (!v.ok) return;
    const run = (sender: string, subject: string) =>
      matchingRules(v.value, { sender, subject, header: () => null, authVerdict: null }).map((m) => m.index);
    assert.deepEqual(run("ann@acme.com", "hello"), [0, 2]);
    assert.deepEqual(run("ann@acme.com", "please stop"), [0, 1]);
    assert.deepEqual(validateRuleSet({ rules: [], extra: 1 }), {
      ok: false,
      errors: ["extra is not a known field"],
    });
    assert.equal(
      renderTemplate("Hi {{ sender }}, re {{subject}} {{other}}", { sender: "a@b.c", subject: "S" }),
      "Hi a@b.c, re S {{other}}",
    );
  });
});
