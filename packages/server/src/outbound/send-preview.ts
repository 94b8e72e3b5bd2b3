import { addressList } from "../domain/address-list.ts";
import type { Clock } from "../domain/clock.ts";
import { agentInstructionsFor, validation } from "../domain/errors.ts";
import { authoringRefusal, describeWindow, windowOpen } from "../domain/mailbox-policy.ts";
import type { Decision } from "../domain/outbound-scan.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { windowStart } from "../domain/recipient-controls.ts";
import { decideSend } from "../domain/send-decision.ts";
import {
  type EmailEffect,
  emailEffectOf,
  type SendStatus,
  verdictOfScanDecision,
} from "../domain/verdict.ts";
import { accountDailySendCap, accountSandboxed } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { quotaUses } from "../store/recipient-controls.ts";
import { mailboxFor } from "../tenancy/access.ts";
import { scanForMailbox } from "./send/decide.ts";
import { recipientRefusal } from "./send/gates.ts";

// The seed's policy preview: what the send gates would do to an agent's send from a mailbox, gate by gate, with no
// side effect — the real gate code runs, nothing is recorded, no counter moves.

export type PreviewGate =
  | "authoring"
  | "recipient_authority"
  | "send_window"
  | "content_scan"
  | "human_review"
  | "send_budget";
export type PreviewOutcome = "pass" | "would_hold" | "would_block" | "not_run" | "skipped";

export interface TraceStep {
  gate: PreviewGate;
  outcome: PreviewOutcome;
  reason: string;
  details: Record<string, unknown>;
}

export interface SendPreview {
  mailbox: MailboxRow;
  result: "passes_all_checks_run" | "would_hold" | "would_block";
  resultSummary: string;
  contentScanRun: boolean;
  emailEffect: EmailEffect;
  trace: TraceStep[];
  budget: { limit: number; remaining: number; warmup_applied: boolean };
}

export interface PreviewInput {
  to: string;
  subject?: string;
  body?: string;
  /** ISO 8601: when the send window is judged (default now); the budget is always today's. */
  atTime?: string;
  runContentScan?: boolean;
}

/** The order the send path checks in; a gate after one that would block is skipped, as the send would stop there. */
export async function previewSend(
  deps: { db: Db; clock: Clock; defaultDailyCap: number },
  p: Principal,
  mailboxRef: string,
  input: PreviewInput,
): Promise<SendPreview> {
  requireRole(p, "admin");
  const mailbox = await mailboxFor(deps.db, p, mailboxRef);
  const recipients = addressList("to", input.to).map((a) => a.toLowerCase());
  if (recipients.length === 0) throw validation("name a recipient in to", ["body.to must name a recipient"]);
  const now = deps.clock.now();
  let at = now;
  if (input.atTime !== undefined) {
    at = new Date(input.atTime);
    const year = at.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || year < 1970 || year > 9999)
      throw validation("at_time must be an ISO 8601 date-time between 1970 and 9999", [
        "body.at_time must be an ISO 8601 date-time between 1970 and 9999",
      ]);
  }

  const trace: TraceStep[] = [];
  const blocked = () => trace.some((t) => t.outcome === "would_block");
  const step = async (
    gate: PreviewGate,
    run: () => Promise<Omit<TraceStep, "gate">> | Omit<TraceStep, "gate">,
  ) => {
    trace.push(
      blocked()
        ? { gate, outcome: "skipped", reason: "an earlier gate would stop the send here", details: {} }
        : { gate, ...(await run()) },
    );
  };

  await step("authoring", () => {
    if (mailbox.status === "paused")
      return {
        outcome: "would_block",
        reason: "the mailbox is paused: it sends nothing until an admin resumes it",
        details: { code: "MAILBOX_PAUSED" },
      };
    const refusal = authoringRefusal("agent", mailbox.agent_authoring_mode, "send", mailbox.name);
    return refusal
      ? {
          outcome: "would_block",
          reason: refusal.message,
          details: { code: refusal.code, ...refusal.details },
        }
      : {
          outcome: "pass",
          reason: `agent_authoring_mode ${mailbox.agent_authoring_mode} lets agents send`,
          details: { agent_authoring_mode: mailbox.agent_authoring_mode },
        };
  });

  await step("recipient_authority", async () => {
    const refusal = await recipientRefusal(deps, mailbox, recipients);
    if (refusal) {
      const instructions = agentInstructionsFor(refusal.error.code);
      return {
        outcome: "would_block",
        reason: refusal.error.message,
        details: {
          code: refusal.error.code,
          ...refusal.error.details,
          ...(refusal.gate === "allowlist" && mailbox.allow_thread_replies
            ? { note: "a reply in a thread still reaches those who wrote to the mailbox in it" }
            : {}),
          // What the agent would be told if it sent: the same lines as the refusal's.
          ...(instructions ? { agent_instructions: [...instructions] } : {}),
        },
      };
    }
    const sandbox = mailbox.sandbox || (await accountSandboxed(deps.db, mailbox.account_id));
    return {
      outcome: "pass",
      reason:
        (mailbox.recipient_policy === "allowlist"
          ? "every recipient is on the mailbox's allowlist and none is suppressed"
          : "no recipient is suppressed; the mailbox sends to anyone else (blocklist mode)") +
        (sandbox ? "; sandbox mode: every recipient is verified" : ""),
      details: { recipient_policy_mode: mailbox.recipient_policy, sandbox },
    };
  });

  await step("send_window", () => {
    const w = mailbox.send_window;
    if (!w) return { outcome: "skipped", reason: "the mailbox has no send window: always open", details: {} };
    const details = { send_window: w, at: at.toISOString() };
    if (windowOpen(w, at))
      return { outcome: "pass", reason: `inside the send window (${describeWindow(w)})`, details };
    if (w.outside_action === "block")
      return {
        outcome: "would_block",
        reason: `outside the send window (${describeWindow(w)}): agent sends are refused`,
        details: { ...details, code: "OUTSIDE_SEND_WINDOW" },
      };
    return {
      outcome: "would_hold",
      reason: `outside the send window (${describeWindow(w)}): agent sends are held for review`,
      details,
    };
  });

  const runScan = input.runContentScan === true;
  let scan: ReturnType<typeof scanForMailbox> | null = null;
  await step("content_scan", () => {
    if (!runScan)
      return {
        outcome: "not_run",
        reason: "content analysis was not asked for (run_content_scan: true)",
        details: {},
      };
    scan = scanForMailbox(mailbox, {
      subject: input.subject ?? "",
      text: input.body ?? "",
      html: null,
    });
    const verdict = verdictOfScanDecision(scan.worst);
    const details = { verdict: scan.verdict, categories: scan.categories, findings: scan.findings };
    if (verdict === "reject" || verdict === "quarantine")
      return {
        outcome: "would_block",
        reason: `the content scan would ${verdict === "reject" ? "block" : "quarantine"} it: ${scan.findings.map((f) => f.reason).join("; ")}`,
        details,
      };
    if (verdict === "require_human_approval")
      return {
        outcome: "would_hold",
        reason: `the content scan would hold it for review: ${scan.findings.map((f) => f.reason).join("; ")}`,
        details,
      };
    return {
      outcome: "pass",
      reason: scan.findings.length
        ? "the content scan warns but lets it go"
        : "the content scan found nothing",
      details,
    };
  });

  await step("human_review", () => {
    const hitl = mailbox.hitl_mode;
    const s = scan ?? { verdict: "clean" as const, categories: [], findings: [], worst: "allow" as Decision };
    // The mailbox's own reason to hold (its review mode), apart from the scanner's and the window's.
    const { hold } = decideSend({ ...s, worst: "allow" }, hitl);
    if (hold)
      return {
        outcome: "would_hold",
        reason:
          hitl === "all_outbound"
            ? "the mailbox holds every outbound send for human review (hitl_mode all_outbound)"
            : "the mailbox holds sends the content scan flags for review (hitl_mode risky_only)",
        details: { hitl_mode: hitl },
      };
    return {
      outcome: "pass",
      reason:
        hitl === "risky_only" && !runScan
          ? "hitl_mode risky_only holds sends the content scan flags; the scan was not run"
          : `hitl_mode ${hitl} would not hold it`,
      details: { hitl_mode: hitl },
    };
  });

  // The budget is today's: at_time moves the send window only.
  const budget = await budgetOf(deps, mailbox, now, recipients.length);
  await step("send_budget", () =>
    budget.exceeded
      ? {
          outcome: "would_block",
          reason: `the ${budget.exceeded.scope === "account" ? "account's daily cap" : "mailbox's send quota"} has ${budget.exceeded.remaining} left of ${budget.exceeded.limit}, fewer than this send's ${recipients.length}`,
          details: { code: "RATE_LIMITED", ...budget.exceeded },
        }
      : {
          outcome: "pass",
          reason: `${budget.remaining} of the account's ${budget.limit} daily sends left`,
          details: { limit: budget.limit, remaining: budget.remaining, recipients: recipients.length },
        },
  );

  const result = blocked()
    ? "would_block"
    : trace.some((t) => t.outcome === "would_hold")
      ? "would_hold"
      : "passes_all_checks_run";
  const status: SendStatus =
    result === "would_block" ? "blocked" : result === "would_hold" ? "pending_review" : "sent";
  const deciding = trace.find((t) => t.outcome === (result === "would_block" ? "would_block" : "would_hold"));
  return {
    mailbox,
    result,
    resultSummary:
      result === "passes_all_checks_run"
        ? `an agent's send would go out${runScan ? "" : " as far as the deterministic checks tell (content analysis not run)"}`
        : `an agent's send would be ${result === "would_block" ? "refused" : "held for review"} at ${deciding!.gate}: ${deciding!.reason}`,
    contentScanRun: runScan,
    emailEffect: emailEffectOf(status),
    trace,
    budget: { limit: budget.limit, remaining: budget.remaining, warmup_applied: false },
  };
}

/**
 * The account's daily cap and what is left of it at `at`, and the first window (daily cap or the mailbox's quotas)
 * a send of `n` recipients would overflow — read, never counted.
 */
async function budgetOf(deps: { db: Db; defaultDailyCap: number }, mailbox: MailboxRow, at: Date, n: number) {
  const cap = (await accountDailySendCap(deps.db, mailbox.account_id)) ?? deps.defaultDailyCap;
  const uses = await quotaUses(
    deps.db,
    [
      { scope: "account" as const, key: mailbox.account_id, w: { window_seconds: 86400, limit: cap } },
      ...mailbox.send_quotas.map((w) => ({ scope: "mailbox" as const, key: mailbox.id, w })),
    ],
    at,
  );
  const over = uses.find((u) => u.used + n > u.limit);
  const daily = uses[0]!;
  return {
    limit: cap,
    remaining: Math.max(0, cap - daily.used),
    exceeded: over
      ? {
          scope: over.scope,
          window_seconds: over.window_seconds,
          limit: over.limit,
          remaining: Math.max(0, over.limit - over.used),
          reset_at: new Date(
            windowStart(at, over.window_seconds).getTime() + over.window_seconds * 1000,
          ).toISOString(),
        }
      : null,
  };
}
