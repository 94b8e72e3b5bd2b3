// Wire types of the Postbox API (snake_case, as the server sends them).

export interface Mailbox {
  id: string;
  name: string;
  address: string;
  display_name: string | null;
  /** `redacted`: inbound subjects and text bodies are read with detected PII replaced. */
  pii_mode: PiiMode;
  pii_redaction_config: PiiRedactionConfig;
  /** Inbound mail scoring at or above this is quarantined: the mailbox's own threshold, or the model's default. */
  injection_threshold: number;
  /** Whether the mailbox follows the injection model's default threshold. */
  injection_threshold_is_default: boolean;
  hitl_mode: "disabled" | "all_outbound" | "risky_only";
  scanner_policy: ScannerPolicy;
  /** Held sends not decided within this many hours are blocked (default 72). */
  approval_expiry_hours: number;
  /** blocklist: any recipient not suppressed; allowlist: only the mailbox's allowlist. */
  recipient_policy: "blocklist" | "allowlist";
  /** Fixed send windows; a send beyond a limit gets 429 RATE_LIMITED. */
  send_quotas: { window_seconds: number; limit: number }[];
  /** When set, only these senders (addresses or @domains) get through; others are blocked before the policy. */
  inbound_sender_allowlist: string[] | null;
  created_at: string;
  updated_at: string;
}

export type PiiMode = "passthrough" | "redacted";
export type PiiType =
  | "EMAIL_ADDRESS"
  | "PHONE_NUMBER"
  | "CREDIT_CARD"
  | "US_SSN"
  | "IBAN_CODE"
  | "IP_ADDRESS"
  | "PERSON";
export type PiiOperator =
  | { kind: "replace_with_type" }
  /** Not for PERSON or EMAIL_ADDRESS (422). */
  | { kind: "partial_mask"; keep_last?: number; mask_char?: string }
  | { kind: "hash_replace" };
/** Per detector; `{}` resets every detector to `<TYPE>` replacement. */
export type PiiRedactionConfig = Partial<Record<PiiType, { redact?: boolean; operator?: PiiOperator }>>;

export interface UpdateMailboxParams {
  display_name?: string | null;
  pii_mode?: PiiMode;
  pii_redaction_config?: PiiRedactionConfig;
  /** 0 < t ≤ 1; null goes back to the injection model's default. */
  injection_threshold?: number | null;
  hitl_mode?: "disabled" | "all_outbound" | "risky_only";
  /** Replaces the mailbox's scanner policy. */
  scanner_policy?: ScannerPolicy;
  approval_expiry_hours?: number;
  /** Replaces the mailbox's send quota windows; [] removes them. */
  send_quotas?: { window_seconds: number; limit: number }[];
  /** Addresses or @domains allowed to reach the mailbox; null turns the allowlist off. */
  inbound_sender_allowlist?: string[] | null;
}

export interface BlocklistEntry {
  address: string;
  reason: string | null;
  created_at: string;
}

export interface Attachment {
  filename: string | null;
  content_type: string;
  size: number;
}

export type MessageState =
  | "received"
  | "scanning"
  | "available"
  | "quarantined"
  | "pending_review"
  | "blocked"
  | "dispatching"
  | "delivered"
  | "bounced"
  | "failed"
  /** Outbound: its mailbox was deleted before every recipient was reached. */
  | "cancelled"
  | "deleted"
  | "draft";

export interface Delivery {
  recipient: string;
  /** cancelled: the sending mailbox was deleted first (last_response says so). */
  state: "queued" | "delivered" | "bounced" | "cancelled";
  attempts: number;
  last_code: number | null;
  last_response: string | null;
  next_attempt_at: string | null;
  finished_at: string | null;
}

/** Which firewall rule blocked an inbound message (null on every other message). */
export interface FirewallBlock {
  envelope_sender: string | null;
  from_address: string | null;
  matched_field: "envelope" | "from" | null;
  matched_pattern: string | null;
  reason_code: "SENDER_BLOCKED" | "SENDER_NOT_ON_ALLOWLIST";
  matched_list: "account_blocklist" | "mailbox_allowlist" | null;
  mode: "allowlist" | "blocklist";
}

/**
 * A message's body: the text part when there is one, else the HTML part (`format`); `content` is null when the
 * part is kept from the caller (a redacting mailbox withholds HTML). `text` and `html` are both parts as shown.
 */
export interface MessageBody {
  format: "text" | "html";
  content: string | null;
  char_count: number;
  returned_char_count: number;
  truncated: boolean;
  text: string | null;
  html: string | null;
}

export interface Message {
  id: string;
  mailbox_id: string;
  /** The name of the message's mailbox. */
  mailbox_name: string | null;
  direction: "inbound" | "outbound";
  state: MessageState;
  internet_message_id: string | null;
  sender: string | null;
  sender_name: string | null;
  recipient: string | null;
  to: string[];
  cc: string[];
  bcc?: string[];
  reply_to: string[];
  subject: string | null;
  thread_id: string | null;
  in_reply_to: string | null;
  references: string[];
  body: MessageBody;
  attachments: Attachment[];
  has_attachment: boolean;
  starred: boolean;
  firewall_block: FirewallBlock | null;
  subaddress_instance_id: null;
  /** Always null: Postbox has no dashboard. */
  dashboard_url: null;
  size: number;
  sent_at: string | null;
  read_at: string | null;
  created_at: string;
  updated_at: string;
  envelope?: {
    mail_from: string | null;
    rcpt_to: string[];
    client_ip: string | null;
    helo: string | null;
    transport: string;
    /** Whether the SMTP session was encrypted (STARTTLS). */
    tls: boolean;
  };
  parse_error?: string | null;
  /** Why processing gave up on the message (state `failed`; only admin keys see such mail). */
  process_error?: string | null;
  /** Inbound only: prompt-injection score (0–1) and the reasons behind it; null while processing. */
  injection?: { score: number; reasons: { code: string; description: string }[] } | null;
  /** The scan summary: inbound, the injection verdict; outbound, what the send scan found. */
  scan?: ScanSummary | null;
  /** Outbound: why a send was held, and what the reviewer decided. */
  hold_context?: HoldContext | null;
  review?: { decision: "approved" | "denied" | "expired"; note: string | null; decided_at: string } | null;
  /** Inbound only: true when the subject and text body were redacted (the mailbox's pii_mode). */
  pii_redacted?: boolean;
  /** Inbound only; null while the message is still being processed. */
  sender_authentication?: SenderAuthentication | null;
  /** Inbound only: the MailPolicy decision that let the message in (null when the mailbox has no policy). */
  policy?: { outcome: "accepted"; rule_index: number | null; decided_in: "smtp_session" | "pipeline" } | null;
  /** Inbound only: the capabilities the matched sender rule grants (also in agent_safety_context). */
  capabilities?: string[];
  /** Inbound: how to treat its content; null on outbound mail. */
  agent_safety_context?: { untrusted_content: boolean; guidance: string; capabilities: string[] } | null;
  /** Inbound only: why the message counts as sent by a machine (auto-replies and forwards never answer it), or null. */
  auto_submitted?: string | null;
  /** Inbound only: labels the mailbox's rules added. */
  labels?: string[];
  /** Inbound only: what each matching rule did. */
  rules_applied?: { rule: number; action: string; outcome: string; detail: string | null }[] | null;
  deliveries?: Delivery[];
}

/**
 * What lists and `wait` return unless `view: "verbose"` asks for full messages: no body (a `body_preview` of its
 * first 200 characters of text instead), attachments or deliveries.
 */
export type MessageSummary = Omit<
  Message,
  | "body"
  | "attachments"
  | "references"
  | "deliveries"
  | "parse_error"
  | "process_error"
  | "rules_applied"
  | "review"
> & { body_preview: string | null };

export interface Thread {
  id: string;
  mailbox_id: string;
  subject: string;
  participants: string[];
  message_count: number;
  /** Inbound messages of the thread the caller sees that nobody marked read. */
  unread_count: number;
  /** Whether any message of the thread the caller sees is starred. */
  starred: boolean;
  first_message_at: string;
  last_message_at: string;
  created_at: string;
}

export interface ThreadWithMessages extends Thread {
  mailbox_name: string | null;
  messages: Message[];
}

export type KeyRole = "admin" | "agent" | "ingest";

export interface ApiKey {
  id: string;
  prefix: string;
  status: "active" | "revoked";
  role: KeyRole;
  label: string | null;
  mailbox_ids: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey extends ApiKey {
  /** The full key. Shown once: store it now. */
  api_key: string;
}

export type OutboundDecision = "allow" | "allow_with_warning" | "review" | "quarantine" | "block";

export interface ScanFinding {
  category: "pii" | "secret_detected" | "prompt_injection" | string;
  decision: OutboundDecision | "require_human_approval";
  reason: string;
  pii_type?: "ssn" | "credit_card" | "phone_number";
  secret_type?: string;
  score?: number;
  /** Prompt injection: each signal that fired (its reason code) with a short human reason. */
  signals?: { code: string; reason: string }[];
}

export interface ScanSummary {
  verdict: "clean" | "warning" | "review_required" | "quarantined" | "blocked";
  /** Each category that fired, with its worst decision. */
  categories: { category: string; decision: OutboundDecision | "require_human_approval" }[];
  findings: ScanFinding[];
}

export interface HoldContext {
  trigger_source: "mailbox_policy" | "scanner" | "both";
  summary_reasons: string[];
}

export interface SendResult {
  message_id: string;
  /** sent: queued for delivery; pending_review: waits for a human; quarantined / blocked: not sent. */
  status: "sent" | "quarantined" | "blocked" | "pending_review";
  thread_id: string;
  internet_message_id: string;
  scan: ScanSummary;
  hold_context: HoldContext | null;
  /** Recipients left in the tightest quota window after this send (a send to n people uses n; null: no window). */
  sends_remaining: number | null;
  /** The account's daily cap in recipients (null: none). */
  daily_limit: number | null;
  email_effect: EmailEffect;
}

/** What a send did: held sends are releasable by a human, never worth retrying. */
export interface EmailEffect {
  effect_status: "sent" | "held_for_review" | "held_infrastructure" | "blocked";
  releasable: boolean;
  terminal: boolean;
  retryable: boolean;
}

export interface ScannerPolicy {
  outbound_pii_policy?: Partial<Record<"ssn" | "credit_card" | "phone_number", OutboundDecision>>;
  outbound_review_policy?: { approval_note?: "optional" | "required_for_sensitive_pii" };
}

export interface WaitResult {
  message: MessageSummary | null;
  cursor: string;
}

export interface Health {
  status: "ok" | "degraded";
  version: string;
  database: { status: string; kind: string };
  queue?: { deliveries_pending: number; inbound_pending: number; inbound_failed: number };
  /** Long-poll waits open in the process that answered. */
  waits_open?: number;
  /** Event streams (SSE) open in the process that answered. */
  streams_open?: number;
  roles?: string[];
}

export interface SendParams {
  from_mailbox: string;
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject: string;
  body: string;
  html?: string;
  /** Same key, same result: the message is never sent twice. */
  idempotencyKey?: string;
  /** Raise (ConflictError EMAIL_EFFECT_HELD, 422 EMAIL_EFFECT_BLOCKED) when the send did not go out. */
  strictOutcome?: boolean;
}

export interface ReplyParams {
  body: string;
  html?: string;
  reply_all?: boolean;
  idempotencyKey?: string;
  strictOutcome?: boolean;
}

export interface ListMessagesParams {
  limit?: number;
  cursor?: string;
  direction?: "inbound" | "outbound";
  since?: string | Date;
  unread?: boolean;
  state?: MessageState;
  thread_id?: string;
  /** Only messages with this label (set by inbound rules). */
  label?: string;
  starred?: boolean;
  has_attachment?: boolean;
  /** An address (any case), or a domain as `@example.com`. */
  sender?: string;
  /** Created at or before this time (ISO 8601). */
  until?: string;
  /** Created strictly before this time (ISO 8601). */
  before?: string;
  /** summary (the default): MessageSummary items; verbose: full messages. */
  view?: "summary" | "verbose";
}

/** What deleting a message answers. */
export interface DeletedMessage {
  id: string;
  message_id: string;
  status: "deleted";
  deleted: true;
  state: "deleted";
  /** Always false: the raw bytes are kept for admins. */
  raw_mime_deleted: false;
  deleted_at: string | null;
}

/** What a message list holds: full messages when `view: "verbose"` was asked for, else summaries. */
export type Listed<P> = P extends { view: "verbose" } ? Message : MessageSummary;

export interface Account {
  id: string;
  name: string;
  /** The operator's account, created at first start. */
  is_default: boolean;
  created_at: string;
}

/** `GET /v1/accounts`: the calling key's account. */
export interface OwnAccount extends Account {
  account_id: string;
  email: string | null;
  status: "active";
  tier: string;
}

export interface KeyIdentity {
  account_id: string;
  api_key_id: string;
  role: KeyRole;
  label: string | null;
  mailbox_ids: string[];
}

export interface Usage {
  today: { count: number; limit: number; day: string };
  history: { day: string; count: number }[];
  mailbox_count: number;
  mailbox_limit: number | null;
  pending_review_count: number;
  storage: {
    used_bytes: number;
    limit_bytes: number | null;
    percent_used: number | null;
    state: "normal" | "warning" | "near_full" | "over_limit";
    breakdown: { raw_mime_bytes: number; derivative_bytes: number };
  };
  tier: string;
}

export interface CreatedAccount extends Account {
  /** The new account's first admin key. Shown once. */
  admin_key: string;
  admin_key_id: string;
}

// MailPolicy — camelCase on the wire, exactly as in the MailPolicy specification.

export interface SenderMatch {
  /** Exact address, case-insensitive. If both address and domain are set, the address decides. */
  address?: string;
  /** Any address at this exact domain (not subdomains), case-insensitive. */
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
  /** `{}` matches every sender (a catch-all at the bottom of the list). */
  match: SenderMatch;
  capabilities: string[];
  rateLimit?: RateLimit;
  tokenBudget?: TokenBudget;
}

export interface ContentGuard {
  /** ECMAScript regex source; a leading "(?i)" makes it case-insensitive. */
  reject: string;
  reason: string;
}

export interface AuditConfig {
  retentionDays: number;
  includeBodyHash?: boolean;
}

export interface MailPolicy {
  defaultAction: "bounce" | "drop";
  senders: SenderRule[];
  contentGuards?: ContentGuard[];
  auditLog: AuditConfig;
}

export interface PolicyResponse {
  mailbox_id: string;
  policy: MailPolicy | null;
  updated_at: string | null;
  /** Present after setPolicy: accepted but worth a look (e.g. capability strings not seen before). */
  warnings?: string[];
}

export type AuthResult =
  | "pass"
  | "fail"
  | "softfail"
  | "neutral"
  | "none"
  | "temperror"
  | "permerror"
  | "policy"
  | "skipped";

/** SPF, DKIM, DMARC and ARC results for an inbound message, and one verdict over them. */
export interface SenderAuthentication {
  spf: { result: AuthResult; domain: string | null; aligned: boolean };
  dkim: {
    result: AuthResult;
    aligned: boolean;
    signatures: {
      domain: string;
      selector: string | null;
      algorithm: string | null;
      result: AuthResult;
      aligned: boolean;
      comment: string | null;
    }[];
  };
  dmarc: { result: AuthResult; policy: string | null; domain: string | null };
  arc: { result: AuthResult; instances: number };
  from_domain: string | null;
  signing_domains: string[];
  verdict: "verified_aligned" | "authenticated_unaligned" | "failed" | "none" | "error";
}

export interface PolicyTestInput {
  from?: string | null;
  body?: string;
  /** Whether DKIM passed for the From domain. */
  dkim?: boolean;
  /** Whether SPF passed for an envelope sender aligned with the From domain. */
  spf?: boolean;
  thread_id?: string | null;
}

export type PolicyOutcome =
  | "accepted"
  | "rejected_at_policy"
  | "rejected_at_verification"
  | "rejected_at_content_guard"
  | "rate_limited"
  | "budget_exhausted";

export interface PolicyTestResult {
  outcome: PolicyOutcome;
  disposition: "deliver" | "bounce" | "drop";
  rule_index: number | null;
  capabilities: string[];
  reason: string | null;
  trace: { step: string; result: "pass" | "fail" | "skipped"; detail: string }[];
  input: { sender: string | null; dkim_pass: boolean; spf_pass: boolean; thread_id: string | null };
  /** Only when raw MIME was tested. */
  sender_authentication?: SenderAuthentication;
}

export interface ListAuditParams {
  limit?: number;
  cursor?: string;
  outcome?: PolicyOutcome;
  /** Envelope or header sender, case-insensitive. */
  sender?: string;
  since?: Date | string;
  /** Exclusive. */
  until?: Date | string;
}

export interface AuditEntry {
  seq: number;
  created_at: string;
  mailbox_id: string;
  transport: "smtp" | "http" | "api" | "local";
  envelope_sender: string | null;
  header_sender: string | null;
  rule_index: number | null;
  outcome: PolicyOutcome;
  action: "delivered" | "rejected_in_session" | "dropped" | "bounced" | "bounce_suppressed";
  reason: string | null;
  message_id: string | null;
  body_sha256: string | null;
  capabilities: string[];
  prev_hash: string;
  hash: string;
}

export interface AuditVerification {
  mailbox_id: string;
  ok: boolean;
  checked: number;
  anchor: { seq: number; hash: string };
  head: { seq: number; hash: string };
  first_broken: {
    seq: number;
    problem: "entry_modified" | "link_broken" | "entry_missing" | "head_mismatch";
    detail: string;
  } | null;
}

export interface CreateDraftParams {
  from_mailbox: string;
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject?: string;
  body?: string;
  html?: string | null;
  /** ISO 8601: sending the draft schedules it for this time. */
  send_at?: string | null;
}

export interface Draft {
  id: string;
  mailbox_id: string;
  /** cancelled: its mailbox was deleted before it was sent. */
  state: "draft" | "sending" | "scheduled" | "sent" | "cancelled";
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  recipient: string;
  body: {
    format: "text" | "html";
    content: string | null;
    char_count: number;
    returned_char_count: number;
    truncated: boolean;
    text: string;
    html: string | null;
  };
  thread_id: string | null;
  in_reply_to: string | null;
  send_at: string | null;
  scan: ScanSummary;
  worst_decision: OutboundDecision;
  message_id: string | null;
  created_at: string;
  updated_at: string;
}

/** Every event type Postbox records (the closed catalogue; docs/webhooks.md shows each payload). */
export type EventType =
  | "message.received"
  | "message.quarantined"
  | "message.blocked"
  | "message.deleted"
  | "message.failed"
  | "message.dispatch_failed"
  | "message.released"
  | "message.reported"
  | "message.sent"
  | "message.pending_review"
  | "message.approved"
  | "message.denied"
  | "message.review_expired"
  | "message.delivered"
  | "message.delivery_deferred"
  | "message.bounced"
  | "recipient_allowlist.added"
  | "recipient_allowlist.removed"
  | "recipient_allowlist.blocked_attempt"
  | "mailbox.recipient_policy_changed"
  | "suppression.added"
  | "webhook.disabled"
  | "webhook.test";

/** One entry of the event log, as `GET /v1/events` and the stream return it. */
export interface PostboxEvent {
  /** `evt_<n>`: the same in webhook deliveries of this event (use it to de-duplicate). */
  id: string;
  event: EventType;
  created_at: string;
  mailbox_id: string | null;
  data: Record<string, unknown>;
  /** Where to resume after this event (`after`, or `Last-Event-ID` for the stream). */
  cursor: string;
}

export interface EventPage {
  data: PostboxEvent[];
  hasMore: boolean;
  /** Always set: pass it as `after` to continue, also after an empty page. */
  cursor: string;
}

export interface ListEventsParams {
  after?: string;
  limit?: number;
  types?: EventType[];
  mailbox_id?: string;
}

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  enabled_events: EventType[];
  enabled: boolean;
  disabled_at: string | null;
  disabled_reason: string | null;
  consecutive_abandoned: number;
  /** Until when deliveries are also signed with the previous secret (after a rotation). */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Returned by create and rotateSecret only: keep `signing_secret`, it is not shown again. */
export interface WebhookWithSecret extends Webhook {
  signing_secret: string;
}

export interface CreateWebhookParams {
  url: string;
  enabled_events: EventType[];
  description?: string;
  enabled?: boolean;
}

export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event_id: string | null;
  event: EventType;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface WebhookDeliveryPage {
  deliveries: WebhookDelivery[];
  has_more: boolean;
  next_before_at: string | null;
  next_before_id: string | null;
}

/** A webhook request's body as Postbox signs it. */
export interface WebhookEnvelope {
  id: string;
  event: EventType;
  created_at: string;
  data: Record<string, unknown>;
}

export type SuppressionReason = "hard_bounce" | "complaint" | "manual" | "unsubscribe";

export interface Suppression {
  /** An address, or a bare domain "@corp.com" (that exact domain). */
  email: string;
  reason: SuppressionReason;
  source: string | null;
  detail: string | null;
  /** Null: permanent. Provider hard bounces and complaints expire after 30 days. */
  expires_at: string | null;
  created_at: string;
}

export interface BulkResult {
  added: string[];
  already_existed: string[];
  invalid: { email: string; reason: string }[];
  counts: { added: number; already_existed: number; invalid: number; total: number };
}

/** One refused attempt, or (aggregate) one recipient with its count. */
export interface BlockedAttempt {
  email: string;
  created_at?: string;
  api_key_id?: string | null;
  attempts?: number;
  first_attempt_at?: string;
  last_attempt_at?: string;
}

export interface QuotaWindowStatus {
  window_seconds: number;
  limit: number;
  used: number;
  remaining: number;
  reset_at: string;
}

export interface QuotaStatus {
  /** Today's account-wide sends (UTC day), counted in recipients. */
  today: { count: number; limit: number; day: string };
  sends_remaining: number;
  reset_at: string;
  /** admin with no bound mailboxes: every mailbox; agent: bound_mailbox_ids only. */
  scope: "admin" | "agent";
  bound_mailbox_ids: string[];
  account: { daily: QuotaWindowStatus };
  mailboxes: { mailbox_id: string; name: string; windows: QuotaWindowStatus[] }[];
}

export interface InboundRule {
  name?: string;
  when?: {
    from?: string;
    subject_contains?: string;
    header?: { name: string; contains: string };
    auth?: string;
  };
  action:
    | { type: "label"; label: string }
    | { type: "forward"; to: string }
    | { type: "auto_reply"; subject?: string; body: string };
  stop?: boolean;
}

export interface RuleSet {
  rules: InboundRule[];
  auto_reply_period_hours?: number;
}
