import type { Decision, ScanSummary } from "./outbound-scan.ts";
import { type SendStatus, sendStatusOf, verdictOfScanDecision } from "./verdict.ts";

export type HitlMode = "disabled" | "all_outbound" | "risky_only";
export type { SendStatus };

export interface HoldContext {
  /** Who held it: the mailbox's review setting, the scanner, or both. */
  trigger_source: "mailbox_policy" | "scanner" | "both";
  summary_reasons: string[];
}

/**
 * What happens to a send, from its scan and the mailbox's human-in-the-loop mode. The scanner's block and
 * quarantine are final; `require_human_approval` holds for a human; `all_outbound` holds everything,
 * `risky_only` anything the scanner had something to say about. `policyHold` is another reason of the mailbox's
 * policy to hold this send (an agent sending outside its send window).
 */
export function decideSend(
  scan: ScanSummary & { worst: Decision },
  hitl: HitlMode,
  policyHold: string | null = null,
): { status: SendStatus; hold: HoldContext | null } {
  const reasons = [...scan.findings.map((f) => f.reason), ...(policyHold ? [policyHold] : [])];
  const verdict = verdictOfScanDecision(scan.worst);
  if (verdict === "reject" || verdict === "quarantine")
    return { status: sendStatusOf(verdict), hold: { trigger_source: "scanner", summary_reasons: reasons } };
  const scannerHolds = verdict === "require_human_approval";
  const mailboxHolds =
    hitl === "all_outbound" || (hitl === "risky_only" && scan.findings.length > 0) || policyHold !== null;
  if (!scannerHolds && !mailboxHolds) return { status: sendStatusOf("accept"), hold: null };
  const trigger = scannerHolds && mailboxHolds ? "both" : scannerHolds ? "scanner" : "mailbox_policy";
  return {
    status: sendStatusOf("require_human_approval"),
    hold: {
      trigger_source: trigger,
      summary_reasons: reasons.length > 0 ? reasons : ["the mailbox holds outbound mail for human review"],
    },
  };
}
