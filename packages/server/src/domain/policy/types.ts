// The MailPolicy document, exactly as on the wire (camelCase), per ../shared/seeds/mailpolicy.md.

// One definition of the wire document, shared with the SDK (types only: no runtime dependency).
// PolicyOutcome: the audit outcomes, in the spec's vocabulary.
export type {
  AuditConfig,
  ContentGuard,
  MailPolicy,
  PolicyOutcome,
  RateLimit,
  SenderMatch,
  SenderRule,
  TokenBudget,
} from "@postbox/sdk";

/** Capability strings of the reference integration; others are accepted with a warning. */
export const KNOWN_CAPABILITIES = new Set([
  "read_calendar",
  "propose_meeting",
  "confirm_meeting",
  "ingest_conflict_notice",
]);
