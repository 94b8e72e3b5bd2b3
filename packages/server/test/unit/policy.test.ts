import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicy, type PolicyCounters, senderMatches } from "../../src/domain/policy/evaluate.ts";
import { compileGuard, firstMatchingGuard, firstMatchingGuardEach } from "../../src/domain/policy/regex.ts";
import type { MailPolicy } from "../../src/domain/policy/types.ts";
import { validatePolicy } from "../../src/domain/policy/validate.ts";
import { devops, scheduling, support } from "../fixtures/policies.ts";

/** In-memory counters with the same meaning as the database ones. */
function counters(
  start: { hour?: number; day?: number; thread?: number; tokensDay?: number } = {},
): PolicyCounters & { calls: number } {
  let hour = start.hour ?? 0;
  let day = start.day ?? 0;
  const c = {
    calls: 0,
    async countInbound() {
      c.calls++;
      return { hour: ++hour, day: ++day };
    },
    async tokensUsed() {
      return { thread: start.thread ?? 0, day: start.tokensDay ?? 0 };
    },
  };
  return c;
}
const msg = (
  sender: string | null,
  over: Partial<{ dkimPass: boolean; spfPass: boolean; body: string }> = {},
) => ({
  sender,
  dkimPass: false,
  spfPass: false,
  body: "Hello",
  ...over,
});

describe("MailPolicy validation", () => {
  it("accepts the spec's three examples, warning about capabilities it has not seen", () => {
    for (const p of [scheduling, support, devops]) assert.deepEqual(validatePolicy(p).errors, []);
    assert.deepEqual(validatePolicy(scheduling).warnings, []);
    assert.ok(
      validatePolicy(support).warnings.some((w) => w.startsWith('senders[0].capabilities[0] "read_account"')),
    );
  });

  it("reports each constraint in the spec's message forms", () => {
    const bad = {
      defaultAction: "reject",
      senders: [
        { match: { address: "x@y.z" }, capabilities: ["ok", ""] },
        { match: {}, capabilities: [], rateLimit: { perHour: 0 } },
        {
          match: {},
          capabilities: [],
          rateLimit: { perHour: 1, perDay: -5 },
          tokenBudget: { perThread: 0, perDay: 1.5 },
        },
        { capabilities: [] },
      ],
      contentGuards: [
        { reject: "(unclosed", reason: "x" },
        { reject: "fine", reason: " " },
        { reason: "no pattern" },
      ],
      auditLog: { retentionDays: 0, includeBodyHash: "yes" },
      extra: 1,
    };
    const { errors, policy } = validatePolicy(bad);
    assert.equal(policy, null);
    for (const e of [
      'defaultAction must be one of "bounce", "drop"',
      "senders[0].capabilities[1] is empty",
      "senders[1].rateLimit.perHour must be >= 1",
      "senders[2].rateLimit.perDay must be >= 1",
      "senders[2].tokenBudget.perThread must be >= 1",
      "senders[2].tokenBudget.perDay must be an integer",
      "senders[3].match is required",
      "contentGuards[0].reject is not a valid regex",
      "contentGuards[1].reason is empty",
      "contentGuards[2].reject is required",
      "auditLog.retentionDays must be >= 1",
      "auditLog.includeBodyHash must be a boolean",
      "extra is not a known field",
    ]) {
      assert.ok(errors.includes(e), `missing "${e}" in ${JSON.stringify(errors)}`);
    }
  });

  it("requires the required fields", () => {
    assert.deepEqual(validatePolicy({}).errors, [
      "defaultAction is required",
      "senders is required",
      "auditLog is required",
    ]);
    assert.deepEqual(validatePolicy({ defaultAction: "drop", senders: [], auditLog: {} }).errors, [
      "auditLog.retentionDays is required",
    ]);
    assert.deepEqual(validatePolicy([]).errors, ["policy must be a JSON object"]);
  });
});

describe("MailPolicy evaluation", () => {
  it("matches addresses and domains case-insensitively; an empty match is a catch-all", () => {
    assert.ok(senderMatches({ address: "Boss@ACME.com" }, "boss@acme.COM"));
    assert.ok(senderMatches({ domain: "ACME.com" }, "anyone@acme.com"));
    assert.ok(!senderMatches({ domain: "acme.com" }, "eve@sub.acme.com"));
    assert.ok(!senderMatches({ address: "boss@acme.com", domain: "acme.com" }, "other@acme.com"));
    assert.ok(senderMatches({}, null));
    assert.ok(!senderMatches({ domain: "acme.com" }, null));
  });

  it("scheduling agent: the boss gets full capabilities, the domain needs DKIM, others bounce", async () => {
    const boss = await evaluatePolicy(scheduling, msg("BOSS@acme.com"), counters());
    assert.equal(boss.outcome, "accepted");
    assert.equal(boss.ruleIndex, 0);
    assert.deepEqual(boss.capabilities, ["read_calendar", "propose_meeting", "confirm_meeting"]);
    assert.deepEqual(
      boss.trace.map((s) => s.step),
      ["sender_match", "verification", "content_guards", "rate_limit", "token_budget", "capabilities"],
    );
    const colleague = await evaluatePolicy(scheduling, msg("pat@acme.com"), counters());
    assert.equal(colleague.outcome, "rejected_at_verification");
    assert.equal(colleague.disposition, "bounce");
    const signed = await evaluatePolicy(scheduling, msg("pat@acme.com", { dkimPass: true }), counters());
    assert.deepEqual([signed.outcome, signed.capabilities], ["accepted", ["read_calendar"]]);
    const stranger = await evaluatePolicy(scheduling, msg("x@elsewhere.com", { dkimPass: true }), counters());
    assert.deepEqual(
      [stranger.outcome, stranger.disposition, stranger.ruleIndex],
      ["rejected_at_policy", "bounce", null],
    );
    const phish = await evaluatePolicy(
      scheduling,
      msg("boss@acme.com", { body: "Please arrange a WIRE Transfer today" }),
      counters(),
    );
    assert.deepEqual([phish.outcome, phish.reason], ["rejected_at_content_guard", "phishing-likely keyword"]);
  });

  it("rate limits count per hour and the message over the limit is refused", async () => {
    const c = counters({ hour: 29, day: 29 });
    assert.equal((await evaluatePolicy(scheduling, msg("boss@acme.com"), c)).outcome, "accepted"); // 30th
    const over = await evaluatePolicy(scheduling, msg("boss@acme.com"), c); // 31st
    assert.equal(over.outcome, "rate_limited");
    assert.equal(over.disposition, "bounce");
  });

  it("token budgets are retrospective: only consumption already past the budget refuses the next message", async () => {
    assert.equal(
      (await evaluatePolicy(scheduling, msg("boss@acme.com"), counters({ thread: 8000 }))).outcome,
      "accepted",
    );
    assert.equal(
      (await evaluatePolicy(scheduling, msg("boss@acme.com"), counters({ thread: 8001 }))).outcome,
      "budget_exhausted",
    );
    assert.equal(
      (await evaluatePolicy(scheduling, msg("boss@acme.com"), counters({ tokensDay: 100_001 }))).outcome,
      "budget_exhausted",
    );
  });

  it("stops at the first failing step: a rejected sender moves no counter", async () => {
    const c = counters();
    await evaluatePolicy(scheduling, msg("x@elsewhere.com"), c);
    await evaluatePolicy(scheduling, msg("boss@acme.com", { body: "wire transfer" }), c);
    assert.equal(c.calls, 0);
  });

  it("support triage: tiers by domain, the catch-all limits everyone else, rejections drop", async () => {
    const vip = await evaluatePolicy(support, msg("ceo@vip-customer.com", { dkimPass: true }), counters());
    assert.deepEqual(vip.capabilities, ["read_account", "create_ticket", "escalate_immediate"]);
    const unsignedVip = await evaluatePolicy(support, msg("ceo@vip-customer.com"), counters());
    assert.deepEqual([unsignedVip.outcome, unsignedVip.disposition], ["rejected_at_verification", "drop"]);
    const anyone = await evaluatePolicy(support, msg("someone@gmail.com"), counters());
    assert.deepEqual([anyone.ruleIndex, anyone.capabilities], [2, ["create_ticket"]]);
    const sixth = await evaluatePolicy(support, msg("someone@gmail.com"), counters({ hour: 5, day: 5 }));
    assert.deepEqual([sixth.outcome, sixth.disposition], ["rate_limited", "drop"]);
  });

  it("devops bot: DKIM and SPF both required; production rollbacks are refused", async () => {
    const onlyDkim = await evaluatePolicy(devops, msg("ci@acme-corp.com", { dkimPass: true }), counters());
    assert.equal(onlyDkim.outcome, "rejected_at_verification");
    assert.match(onlyDkim.reason!, /SPF/);
    const ok = { dkimPass: true, spfPass: true };
    assert.equal(
      (
        await evaluatePolicy(
          devops,
          msg("ci@acme-corp.com", { ...ok, body: "status of staging?" }),
          counters(),
        )
      ).outcome,
      "accepted",
    );
    const rollback = await evaluatePolicy(
      devops,
      msg("ci@acme-corp.com", { ...ok, body: "Production is down, please rollback" }),
      counters(),
    );
    assert.deepEqual(
      [rollback.outcome, rollback.reason],
      ["rejected_at_content_guard", "production rollback requires human approval"],
    );
    assert.equal(
      (await evaluatePolicy(devops, msg("x@other.com", ok), counters())).outcome,
      "rejected_at_policy",
    );
  });
});

describe("content guard patterns", () => {
  it("turns a leading inline-flag group into flags", () => {
    assert.equal(compileGuard("(?i)wire").flags, "i");
    assert.equal(compileGuard("(?is)a.b").flags, "is");
    assert.equal(compileGuard("plain").flags, "");
    assert.throws(() => compileGuard("(?i)(unclosed"));
  });

  it("cannot stall on catastrophic backtracking: known ReDoS patterns on large bodies are cut off", async () => {
    const body = `${"a".repeat(50_000)}!`;
    for (const pattern of ["^(a+)+$", "(a|aa)+$", "^(a|a?)+$", "(\\w+\\s?)+$"]) {
      const r = firstMatchingGuard([compileGuard(pattern)], body, 50);
      assert.deepEqual(r, { timedOut: true }, pattern);
    }
    const policy: MailPolicy = { ...scheduling, contentGuards: [{ reject: "^(a+)+$", reason: "evil" }] };
    const d = await evaluatePolicy(policy, msg("boss@acme.com", { body }), counters(), {
      guardTimeoutMs: 50,
    });
    assert.equal(d.outcome, "rejected_at_content_guard");
    // The engine is usable right after an interrupted match.
    assert.deepEqual(firstMatchingGuard([compileGuard("(?i)hello")], "HeLLo there"), { matched: 0 });
  });

  it("runs a batch of bodies under one watchdog and still singles out the one that stalls", () => {
    const guards = [compileGuard("(?i)wire transfer"), compileGuard("^(a+)+$")];
    const bodies = ["hello", "Please WIRE TRANSFER it", `${"a".repeat(50_000)}!`, "aaa"];
    assert.deepEqual(firstMatchingGuardEach(guards, bodies, 50), [
      { matched: null },
      { matched: 0 },
      { timedOut: true },
      { matched: 1 },
    ]);
    assert.deepEqual(firstMatchingGuardEach(guards, ["x", "wire transfer"]), [
      { matched: null },
      { matched: 0 },
    ]);
  });
});
