// The MailPolicy document, exactly as on the wire (camelCase), per ../shared/seeds/mailpolicy.md.

// One definition of the wire document, shared with the SDK (types only: no runtime dependency).
export type {
  AuditConfig,
  ContentGuard,
  MailPolicy,
  RateLimit,
  SenderMatch,
  SenderRule,
  TokenBudget,
} from "@postbox/sdk";

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
