import type { Decision, ScanSummary } from "./outbound-scan.ts";
import { type SendStatus, sendStatusOf, verdictOfScanDecision } from "./verdict.ts";

export type HitlMode = "disabled" | "all_outbound" | "risky_only";
export type { SendStatus };

export interface HoldContext {
  /**
   * Who held it: the mailbox's review setting, the scanner, or both; `reviewer` when a reviewer revised it and
   * nothing else holds it any more (it still waits for their approval).
   */
  trigger_source: "mailbox_policy" | "scanner" | "both" | "reviewer";
  summary_reasons: string[];
}

/** The reason a hold gives when only the mailbox's review mode holds it. */
const MAILBOX_HOLDS = "the mailbox holds outbound mail for human review";
/** The reason a revised send gives when nothing but its reviewer's approval holds it. */
const REVIEWER_HOLDS = "revised by a reviewer: waits for a human's approval";

/**
 * What happens to a send, from its scan and the mailbox's human-in-the-loop mode. The scanner's block and
 * quarantine are final; `require_human_approval` holds for a human; `all_outbound` holds everything,
 * `risky_only` anything the scanner had something to say about. `policyHold` is another reason of the mailbox's
 * policy to hold this send (an agent sending outside its send window).
 */
export function decideSend(
  scan: ScanSummary & { worst: Decision },
  hitl: HitlMode,
  policyHolds: string[] = [],
): { status: SendStatus; hold: HoldContext | null } {
  const reasons = [...scan.findings.map((f) => f.reason), ...policyHolds];
  const verdict = verdictOfScanDecision(scan.worst);
  if (verdict === "reject" || verdict === "quarantine")
    return { status: sendStatusOf(verdict), hold: { trigger_source: "scanner", summary_reasons: reasons } };
  const scannerHolds = verdict === "require_human_approval";
  const mailboxHolds =
    hitl === "all_outbound" || (hitl === "risky_only" && scan.findings.length > 0) || policyHolds.length > 0;
  if (!scannerHolds && !mailboxHolds) return { status: sendStatusOf("accept"), hold: null };
  const trigger = scannerHolds && mailboxHolds ? "both" : scannerHolds ? "scanner" : "mailbox_policy";
  return {
    status: sendStatusOf("require_human_approval"),
    hold: {
      trigger_source: trigger,
      summary_reasons: reasons.length > 0 ? reasons : [MAILBOX_HOLDS],
    },
  };
}

/**
 * The reasons of a hold that came from the mailbox's policy rather than from the scan (a send outside the send
 * window): they stand when a reviewer revises the content, while the scanner's own reasons are scanned afresh.
 */
export function policyHoldReasons(hold: HoldContext | null, scan: { findings: unknown[] } | null): string[] {
  const scanned = new Set((scan?.findings ?? []).map((f) => (f as { reason?: unknown }).reason));
  return (hold?.summary_reasons ?? []).filter(
    (r) => !scanned.has(r) && r !== MAILBOX_HOLDS && r !== REVIEWER_HOLDS,
  );
}

/** The hold of a revised send the scan lets through: the reasons that still hold it, or its reviewer's approval. */
export function revisedHold(hold: HoldContext | null): HoldContext {
  return hold ?? { trigger_source: "reviewer", summary_reasons: [REVIEWER_HOLDS] };
}
