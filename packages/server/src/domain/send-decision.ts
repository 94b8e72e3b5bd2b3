import type { Decision, ScanSummary } from "./outbound-scan.ts";

export type HitlMode = "disabled" | "all_outbound" | "risky_only";
export type SendStatus = "sent" | "pending_review" | "quarantined" | "blocked";

export interface HoldContext {
  /** Who held it: the mailbox's review setting, the scanner, or both. */
  trigger_source: "mailbox_policy" | "scanner" | "both";
  summary_reasons: string[];
}

/**
 * What happens to a send, from its scan and the mailbox's human-in-the-loop mode. The scanner's block and
 * quarantine are final; `review` holds for a human; `all_outbound` holds everything, `risky_only` anything the
 * scanner had something to say about.
 */
export function decideSend(
  scan: ScanSummary & { worst: Decision },
  hitl: HitlMode,
): { status: SendStatus; hold: HoldContext | null } {
  const reasons = scan.findings.map((f) => f.reason);
  if (scan.worst === "block")
    return { status: "blocked", hold: { trigger_source: "scanner", summary_reasons: reasons } };
  if (scan.worst === "quarantine")
    return { status: "quarantined", hold: { trigger_source: "scanner", summary_reasons: reasons } };
  const scannerHolds = scan.worst === "review";
  const mailboxHolds = hitl === "all_outbound" || (hitl === "risky_only" && scan.findings.length > 0);
  if (!scannerHolds && !mailboxHolds) return { status: "sent", hold: null };
  const trigger = scannerHolds && mailboxHolds ? "both" : scannerHolds ? "scanner" : "mailbox_policy";
  return {
    status: "pending_review",
    hold: {
      trigger_source: trigger,
      summary_reasons: reasons.length > 0 ? reasons : ["the mailbox holds outbound mail for human review"],
    },
  };
}
