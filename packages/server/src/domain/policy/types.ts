// The MailPolicy document, exactly as on the wire (camelCase), per ../shared/seeds/mailpolicy.md.

export type DefaultAction = "bounce" | "drop";

export interface SenderMatch {
  address?: string;
  domain?: string;
  requireDkim?: boolean;
  requireSpf?: boolean;
}

export interface RateLimit {
  perHour?: number;
  perDay?: number;
}

export interface TokenBudget {
  perThread?: number;
  perDay?: number;
}

export interface SenderRule {
  match: SenderMatch;
  capabilities: string[];
  rateLimit?: RateLimit;
  tokenBudget?: TokenBudget;
}

export interface ContentGuard {
  reject: string;
  reason: string;
}

export interface AuditConfig {
  retentionDays: number;
  includeBodyHash?: boolean;
}

export interface MailPolicy {
  defaultAction: DefaultAction;
  senders: SenderRule[];
  contentGuards?: ContentGuard[];
  auditLog: AuditConfig;
}

/** Audit outcomes, in the spec's vocabulary. */
export type PolicyOutcome =
  | "accepted"
  | "rejected_at_policy"
  | "rejected_at_verification"
  | "rejected_at_content_guard"
  | "rate_limited"
  | "budget_exhausted";

/** Capability strings of the reference integration; others are accepted with a warning. */
export const KNOWN_CAPABILITIES = new Set([
  "read_calendar",
  "propose_meeting",
  "confirm_meeting",
  "ingest_conflict_notice",
]);
