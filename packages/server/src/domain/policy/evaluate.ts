import { compileGuard, firstMatchingGuard, firstMatchingGuardEach, type GuardResult } from "./regex.ts";
import type { MailPolicy, PolicyOutcome, SenderMatch } from "./types.ts";

/** What the policy sees of an inbound message. */
export interface PolicyInput {
  /** The sender identity matched against rules (the RFC 5322 From address), or null when there is none. */
  sender: string | null;
  dkimPass: boolean;
  spfPass: boolean;
  /** The text body the content guards run against. */
  body: string;
  /** The guards' verdict on the body when already computed for a batch (see matchGuards). */
  guards?: GuardResult;
}

/** The stateful steps, behind an interface: real counters in the database, or read-only ones for a dry run. */
export interface PolicyCounters {
  /** Counts this message for the matched rule and sender; returns the totals for the current UTC hour and day. */
  countInbound(ruleIndex: number): Promise<{ hour: number; day: number }>;
  /** Tokens this sender has already consumed in the message's thread and in the current UTC day. */
  tokensUsed(ruleIndex: number): Promise<{ thread: number; day: number }>;
}

export type PolicyStep =
  | "sender_match"
  | "verification"
  | "content_guards"
  | "rate_limit"
  | "token_budget"
  | "capabilities";

export interface TraceEntry {
  step: PolicyStep;
  result: "pass" | "fail" | "skipped";
  detail: string;
}

export interface PolicyDecision {
  outcome: PolicyOutcome;
  /** What happens to a rejected message: the policy's defaultAction. "deliver" when accepted. */
  disposition: "deliver" | "bounce" | "drop";
  ruleIndex: number | null;
  capabilities: string[];
  reason: string | null;
  trace: TraceEntry[];
}

const lower = (s: string) => s.toLowerCase();

export function senderMatches(match: SenderMatch, sender: string | null): boolean {
  if (match.address === undefined && match.domain === undefined) return true; // catch-all
  if (!sender) return false;
  const s = lower(sender);
  if (match.address !== undefined) return s === lower(match.address);
  return s.slice(s.lastIndexOf("@") + 1) === lower(match.domain!);
}

/** Compiled guards are cached per policy document, so a busy mailbox compiles its patterns once. */
const compiled = new WeakMap<MailPolicy, RegExp[]>();
function guardsOf(policy: MailPolicy): RegExp[] {
  let g = compiled.get(policy);
  if (!g) {
    g = (policy.contentGuards ?? []).map((c) => compileGuard(c.reject));
    compiled.set(policy, g);
  }
  return g;
}

/** Runs the policy's content guards over several bodies at once (for a batch of messages to one mailbox). */
export function matchGuards(policy: MailPolicy, bodies: string[], timeoutMs?: number): GuardResult[] | null {
  const guards = guardsOf(policy);
  return guards.length === 0 ? null : firstMatchingGuardEach(guards, bodies, timeoutMs);
}

/**
 * Evaluates a policy in the spec's order, stopping at the first failing step: sender rule, verification,
 * content guards, rate limit, token budget, capabilities.
 */
export async function evaluatePolicy(
  policy: MailPolicy,
  input: PolicyInput,
  counters: PolicyCounters,
  opts: { guardTimeoutMs?: number } = {},
): Promise<PolicyDecision> {
  const trace: TraceEntry[] = [];
  const reject = (outcome: PolicyOutcome, ruleIndex: number | null, reason: string): PolicyDecision => ({
    outcome,
    disposition: policy.defaultAction,
    ruleIndex,
    capabilities: [],
    reason,
    trace,
  });

  // 1. Sender rule matching: first match wins.
  const ruleIndex = policy.senders.findIndex((r) => senderMatches(r.match, input.sender));
  if (ruleIndex === -1) {
    trace.push({
      step: "sender_match",
      result: "fail",
      detail: `no rule matches sender ${input.sender ?? "(none)"}`,
    });
    return reject("rejected_at_policy", null, "sender is not allowed by the mailbox policy");
  }
  const rule = policy.senders[ruleIndex]!;
  trace.push({
    step: "sender_match",
    result: "pass",
    detail: `senders[${ruleIndex}] matches ${input.sender ?? "(none)"}`,
  });

  // 2. Verification.
  const missing = [
    rule.match.requireDkim && !input.dkimPass ? "DKIM" : null,
    rule.match.requireSpf && !input.spfPass ? "SPF" : null,
  ].filter((x): x is string => x !== null);
  if (missing.length > 0) {
    trace.push({
      step: "verification",
      result: "fail",
      detail: `${missing.join(" and ")} required but did not pass`,
    });
    return reject("rejected_at_verification", ruleIndex, `${missing.join(" and ")} verification failed`);
  }
  trace.push({
    step: "verification",
    result: rule.match.requireDkim || rule.match.requireSpf ? "pass" : "skipped",
    detail:
      rule.match.requireDkim || rule.match.requireSpf
        ? "required checks passed"
        : "the rule requires no verification",
  });

  // 3. Content guards.
  const guards = guardsOf(policy);
  if (guards.length === 0)
    trace.push({ step: "content_guards", result: "skipped", detail: "no content guards" });
  else {
    const r = input.guards ?? firstMatchingGuard(guards, input.body, opts.guardTimeoutMs);
    if ("timedOut" in r) {
      // Fail closed: a body that makes a guard backtrack for too long is treated as matching it.
      trace.push({
        step: "content_guards",
        result: "fail",
        detail: "a content guard exceeded its time limit",
      });
      return reject(
        "rejected_at_content_guard",
        ruleIndex,
        "content guard evaluation exceeded its time limit",
      );
    }
    if (r.matched !== null) {
      const reason = policy.contentGuards![r.matched]!.reason;
      trace.push({
        step: "content_guards",
        result: "fail",
        detail: `contentGuards[${r.matched}] matched: ${reason}`,
      });
      return reject("rejected_at_content_guard", ruleIndex, reason);
    }
    trace.push({ step: "content_guards", result: "pass", detail: `${guards.length} guard(s), none matched` });
  }

  // 4. Rate limits.
  if (rule.rateLimit && (rule.rateLimit.perHour !== undefined || rule.rateLimit.perDay !== undefined)) {
    const c = await counters.countInbound(ruleIndex);
    const { perHour, perDay } = rule.rateLimit;
    const over =
      perHour !== undefined && c.hour > perHour
        ? `${c.hour} this hour > ${perHour}`
        : perDay !== undefined && c.day > perDay
          ? `${c.day} today > ${perDay}`
          : null;
    if (over) {
      trace.push({ step: "rate_limit", result: "fail", detail: over });
      return reject("rate_limited", ruleIndex, `rate limit exceeded (${over})`);
    }
    trace.push({ step: "rate_limit", result: "pass", detail: `${c.hour} this hour, ${c.day} today` });
  } else trace.push({ step: "rate_limit", result: "skipped", detail: "the rule has no rate limit" });

  // 5. Token budget: retrospective — what was already consumed decides about this message.
  if (
    rule.tokenBudget &&
    (rule.tokenBudget.perThread !== undefined || rule.tokenBudget.perDay !== undefined)
  ) {
    const used = await counters.tokensUsed(ruleIndex);
    const { perThread, perDay } = rule.tokenBudget;
    const over =
      perThread !== undefined && used.thread > perThread
        ? `${used.thread} tokens used in this thread > ${perThread}`
        : perDay !== undefined && used.day > perDay
          ? `${used.day} tokens used today > ${perDay}`
          : null;
    if (over) {
      trace.push({ step: "token_budget", result: "fail", detail: over });
      return reject("budget_exhausted", ruleIndex, `token budget exhausted (${over})`);
    }
    trace.push({
      step: "token_budget",
      result: "pass",
      detail: `${used.thread} in thread, ${used.day} today`,
    });
  } else trace.push({ step: "token_budget", result: "skipped", detail: "the rule has no token budget" });

  // 6. Capability scoping.
  trace.push({
    step: "capabilities",
    result: "pass",
    detail: rule.capabilities.length ? rule.capabilities.join(", ") : "(none)",
  });
  return {
    outcome: "accepted",
    disposition: "deliver",
    ruleIndex,
    capabilities: [...rule.capabilities],
    reason: null,
    trace,
  };
}
