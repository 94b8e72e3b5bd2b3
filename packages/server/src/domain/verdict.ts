import type { DeliveryOutcome } from "./delivery-outcome.ts";

/**
 * The one vocabulary for what happens to a message, whichever step decides: the SMTP session, the firewall, the
 * MailPolicy, the inbound scanner, the outbound scanner and review, the delivery of a send. Each step keeps its
 * reason code (the wire's words, e.g. a PolicyOutcome or a scan decision); the verdict says what is done.
 * Adapters map verdicts to their protocol in one place: SMTP replies in domain/smtp-replies.ts, HTTP statuses
 * in api/http-status.ts.
 */
export const VERDICTS = [
  "accept",
  "defer",
  "reject",
  "require_human_approval",
  "quarantine",
  "drop",
] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface Decided<R extends string = string> {
  verdict: Verdict;
  /** Stable machine-readable reason, in the vocabulary of the step that decided. */
  reason: R;
}

/** The outbound scanner's per-finding decisions (wire names), mildest first: the order decides the worst. */
export const SCAN_DECISIONS = [
  "allow",
  "allow_with_warning",
  "require_human_approval",
  "quarantine",
  "block",
] as const;
export type ScanDecision = (typeof SCAN_DECISIONS)[number];

const OF_SCAN_DECISION: Record<ScanDecision, Verdict> = {
  allow: "accept",
  allow_with_warning: "accept",
  require_human_approval: "require_human_approval",
  quarantine: "quarantine",
  block: "reject",
};

export const verdictOfScanDecision = (d: ScanDecision): Verdict => OF_SCAN_DECISION[d];

/** A send's status on the wire, from the verdict its checks reached (accept = handed to the delivery queue). */
export type SendStatus = "sent" | "pending_review" | "quarantined" | "blocked";

const SEND_STATUS: Record<"accept" | "require_human_approval" | "quarantine" | "reject", SendStatus> = {
  accept: "sent",
  require_human_approval: "pending_review",
  quarantine: "quarantined",
  reject: "blocked",
};

export function sendStatusOf(v: Verdict): SendStatus {
  if (v === "defer" || v === "drop") throw new Error(`a send is never decided "${v}"`);
  return SEND_STATUS[v];
}

/**
 * What a send did, in the seed's governed email-effect terms: whether a human can still release it, whether it is
 * final, whether retrying could help (Postbox never holds a send for infrastructure reasons: the queue retries).
 */
export interface EmailEffect {
  effect_status: "sent" | "held_for_review" | "held_infrastructure" | "blocked";
  releasable: boolean;
  terminal: boolean;
  retryable: boolean;
}

export function emailEffectOf(status: SendStatus): EmailEffect {
  if (status === "sent")
    return { effect_status: "sent", releasable: false, terminal: false, retryable: false };
  if (status === "blocked")
    return { effect_status: "blocked", releasable: false, terminal: true, retryable: false };
  return { effect_status: "held_for_review", releasable: true, terminal: false, retryable: false };
}

/** The scan summary's verdict on the wire, from the worst finding's verdict. */
export function scanVerdictOf(
  v: Verdict,
  hasFindings: boolean,
): "clean" | "warning" | "review_required" | "quarantined" | "blocked" {
  if (v === "reject") return "blocked";
  if (v === "quarantine") return "quarantined";
  if (v === "require_human_approval") return "review_required";
  return hasFindings ? "warning" : "clean";
}

/** A MailPolicy decision: accepted mail is delivered; refused mail follows the policy's defaultAction. */
export function verdictOfPolicy(d: { outcome: string; disposition: "deliver" | "bounce" | "drop" }): Verdict {
  if (d.outcome === "accepted" || d.disposition === "deliver") return "accept";
  return d.disposition === "drop" ? "drop" : "reject";
}

/** A remote server's answer to one delivery attempt. */
export function verdictOfDelivery(o: DeliveryOutcome): Verdict {
  return o === "delivered" ? "accept" : o === "deferred" ? "defer" : "reject";
}
