// Wire types of the Postbox API (snake_case, as the server sends them).

export interface Mailbox {
  id: string;
  name: string;
  address: string;
  /** The domain it lives on: a custom domain of the account, or the installation's. */
  domain: string;
  /** paused: inbound mail is deferred (SMTP 450) and the mailbox sends nothing. */
  status: "active" | "paused" | "deleted";
  display_name: string | null;
  /** What recipients see in From: the display name, or the name. */
  effective_from_display: string;
  /** `redacted`: inbound subjects and text bodies are read with detected PII replaced. */
  pii_mode: PiiMode;
  pii_redaction_config: PiiRedactionConfig;
  /** Inbound mail scoring at or above this is quarantined: the mailbox's own threshold, or the model's default. */
  injection_threshold: number;
  /** Whether the mailbox follows the injection model's default threshold. */
  injection_threshold_is_default: boolean;
  hitl_mode: "disabled" | "all_outbound" | "risky_only";
  scanner_policy: ScannerPolicy;
  /** Held sends not decided within this many hours are blocked (default 72; null: never). */
  approval_expiry_hours: number | null;
  /** The same as the seed names it: 24h, 72h, 7d, never (or "<n>h"). */
  approval_expiry: string;
  /** Days settled mail is kept before the retention job deletes it; null: the account's retention. */
  retention_days: number | null;
  /** blocklist: any recipient not suppressed; allowlist: only the mailbox's allowlist. */
  recipient_policy: "blocklist" | "allowlist";
  /** The seed's name for recipient_policy. */
  recipient_policy_mode: "blocklist" | "allowlist";
  /** allowlist: only inbound_sender_allowlist's senders get through. */
  sender_policy_mode: "blocklist" | "allowlist";
  /** In allowlist mode, replies reach those who wrote to the mailbox in the thread. */
  allow_thread_replies: boolean;
  /** Sends reach confirmed verified recipients only (`postbox.recipients`); so do a sandboxed account's. */
  sandbox: boolean;
  agent_authoring_mode: AgentAuthoringMode;
  /** restricted: the allowlist gates agent sends (restricted_by mailbox_allowlist). */
  agent_send_policy: "restricted" | "open";
  restricted_by: "mailbox_allowlist" | null;
  agent_send_containment: boolean;
  /** The mode the settings amount to. */
  policy_mode: PolicyMode | "custom";
  send_window: SendWindow | null;
  /** Outbound mail names the plus-address name+<tag>@domain in Reply-To or From. */
  default_subaddress_mode: "reply_to" | "from" | "none";
  /** What agent keys may read of attachments (metadata_only: no raw message of inbound mail with attachments). */
  attachment_exposure_mode: "metadata_only" | "derived_content" | "raw_download_selected_types";
  attachment_allowed_file_families: string[];
  /** Fixed send windows; a send beyond a limit gets 429 RATE_LIMITED. */
  send_quotas: { window_seconds: number; limit: number }[];
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
  | "PERSON"
  | "US_BANK_NUMBER"
  | "US_DRIVER_LICENSE"
  | "US_ITIN"
  | "US_PASSPORT"
  | "UK_NHS"
  | "MEDICAL_LICENSE"
  | "CRYPTO";
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
  /** `{}` or null resets every detector to `<TYPE>` replacement. */
  pii_redaction_config?: PiiRedactionConfig | null;
  /** 0 < t ≤ 1; null goes back to the injection model's default. */
  injection_threshold?: number | null;
  hitl_mode?: "disabled" | "all_outbound" | "risky_only";
  /** Replaces the mailbox's scanner policy; null resets it to the platform defaults. */
  scanner_policy?: ScannerPolicy | null;
  /** null: held sends never expire. */
  approval_expiry_hours?: number | null;
  /** 1–36500 days; null: the account's retention. */
  retention_days?: number | null;
  approval_expiry?: "24h" | "72h" | "7d" | "never";
  /** Replaces the mailbox's send quota windows; [] removes them. */
  send_quotas?: { window_seconds: number; limit: number }[];
  /**
   * Replaces the mailbox's inbound sender allowlist whole and, unless sender_policy_mode is given too, sets the
   * sender policy with it (a list: allowlist; null or []: empties it, blocklist). Write-only: read the list with
   * `pb.inboundAllowlist.list(mailbox)`, which also changes it entry by entry.
   */
  inbound_sender_allowlist?: string[] | null;
  status?: "active" | "paused";
  /** ValidationError ALLOWLIST_EMPTY when switching to allowlist with no entries, unless force_empty. */
  recipient_policy_mode?: "blocklist" | "allowlist";
  sender_policy_mode?: "blocklist" | "allowlist";
  /** restricted = recipient_policy_mode allowlist; not both in one update. */
  agent_send_policy?: "restricted" | "open";
  force_empty?: boolean;
  allow_thread_replies?: boolean;
  /** Sandbox mode: sends reach confirmed verified recipients only (403 RECIPIENT_NOT_VERIFIED otherwise). */
  sandbox?: boolean;
  default_subaddress_mode?: "reply_to" | "from" | "none";
  attachment_exposure_mode?: "metadata_only" | "derived_content" | "raw_download_selected_types";
  /** pdf, text, csv, image, * — for raw_download_selected_types. */
  attachment_allowed_file_families?: string[];
  agent_authoring_mode?: AgentAuthoringMode;
  /** null: always open. */
  send_window?: SendWindow | null;
  /** Writes the mode's settings at once (not with the fields it writes). */
  apply_policy_mode?: PolicyMode;
}

/** Who added a list entry: an API key (its id), or the system (bounce handling). */
export interface AddedBy {
  added_by_actor_type: "api_key" | "system" | null;
  added_by_actor_id: string | null;
}

export interface BlocklistEntry extends AddedBy {
  email: string;
  /** The older name of `email`. */
  address: string;
  pattern_type: "email" | "domain";
  reason: string | null;
  /** customer: added through the API; report: the sender of a reported message. */
  source: string;
  created_at: string;
}

/** An entry of a mailbox's allowlist: outbound (recipients) or inbound (senders). */
export interface AllowlistEntry extends AddedBy {
  /** An address, or a bare domain "@corp.com" (that exact domain). */
  email: string;
  mailbox_id: string;
  pattern_type: "email" | "domain";
  source: string;
  created_at: string;
}

/** An attachment of a message, described from its bytes (rows stored before that: `stored: false`). */
export interface Attachment {
  index: number;
  filename: string | null;
  content_type: string;
  size: number;
  hash: string | null;
  sniffed_mime_type: string | null;
  declared_mime_type: string | null;
  mime_mismatch: boolean;
  family: "pdf" | "text" | "csv" | "image" | null;
  dangerous: boolean;
  dangerous_reason: string | null;
  content_id: string | null;
  content_disposition: string | null;
  inline: boolean;
  stored: boolean;
  policy_action: "deliver" | "metadata_only" | "quarantine" | "block";
  av_verdict: "skipped";
  preview_status: "pending" | "ready" | "blocked" | "failed" | null;
  preview_kind: "text" | null;
  preview_reason_code: string | null;
  preview_char_count: number | null;
  preview_page_count: number | null;
  preview_truncated: boolean | null;
  preview_generated_at: string | null;
  upload_id?: string;
}

/** A signed URL that downloads one attachment for five minutes (no key needed). */
export interface AttachmentDownloadUrl {
  url: string;
  expires_at: string;
  filename: string | null;
  content_type: string;
  size: number;
  hash: string;
  av_verdict: "skipped";
}

/** An attachment's extracted text (never its bytes). */
export interface AttachmentPreview {
  attachment: {
    index: number;
    filename: string | null;
    content_type: string;
    size: number;
    hash: string | null;
  };
  preview: {
    kind: "text";
    content: string;
    truncated: boolean;
    char_count: number | null;
    returned_char_count: number;
    page_count: number | null;
    extractor: string;
    generated_at: string | null;
  };
}

/** A staged outbound attachment: name its `id` in `attachment_ids` once `content_scan_status` is not pending. */
export interface AttachmentUpload {
  id: string;
  mailbox_id: string;
  filename: string;
  content_type: string;
  sniffed_mime_type: string;
  family: string | null;
  size: number;
  hash: string;
  content_scan_status: "pending" | "clean" | "flagged" | "error";
  scan: ScanSummary | null;
  status: "active" | "consumed";
  consumed_at: string | null;
  consumed_message_id: string | null;
  created_at: string;
  expires_at: string;
}

export interface UploadAttachmentParams {
  /** The mailbox that will send it (id or name). */
  mailbox_id: string;
  file: Uint8Array | Blob;
  filename: string;
  /** Advisory: the server sniffs the bytes. */
  content_type?: string;
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
  /** Outbound: the instance the send named; inbound: the instance its recipient address carried (verified). */
  subaddress_instance_id: string | null;
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
  /** Inbound only: the verification codes and links of the text the caller is shown. */
  verification?: Verification;
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

export interface ListThreadsParams {
  limit?: number;
  cursor?: string;
  /** Last activity strictly before this (ISO 8601). */
  before_ts?: string;
  /** Activity at or after this (ISO 8601). */
  since_ts?: string;
  /** Threads with (true) or without (false) a starred message. */
  starred?: boolean;
  /** Threads with (true) or without (false) an inbound message: an inbox view, or the send-only threads. */
  has_inbound?: boolean;
  /** Accepted for the seed's clients; held mail is never placed in a thread. */
  include_firewall_blocked?: boolean;
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
  /** reviewer: a reviewer revised the send and only their approval holds it now. */
  trigger_source: "mailbox_policy" | "scanner" | "both" | "reviewer";
  summary_reasons: string[];
}

/** A reviewer's edit of a held send (`messages.revise`): at least one of subject, text or html. */
export interface ReviseMessageParams {
  subject?: string;
  text?: string;
  /** null removes the HTML part. */
  html?: string | null;
  /** Why (kept on the `message.revised` event). */
  note?: string;
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
  /** english_only: inbound mail that looks written in another language is quarantined. Default allow_all_languages. */
  language_mode?: "english_only" | "allow_all_languages" | "disabled";
  /** prompt-injection, pii, secrets take effect; attachment-policy, mime-mismatch, url-reputation are accepted. */
  disabled_scanners?: string[];
  /** prompt_injection turns the inbound injection guard off; the others are recorded only. */
  disabled_proxy_criteria?: string[];
  outbound_pii_policy?: Partial<Record<"ssn" | "credit_card" | "phone_number", OutboundDecision>>;
  outbound_review_policy?: { approval_note?: "optional" | "required_for_sensitive_pii" };
}

/** The DNS record receivers use to verify Postbox's DKIM signatures: publish `value` as TXT at `name`. */
export interface DkimRecord {
  domain: string;
  selector: string;
  name: string;
  type: "TXT";
  value: string;
}

export interface WaitResult {
  message: MessageSummary | null;
  cursor: string;
}

export interface WaitParams {
  /** Seconds to wait, 1 to 60 (default 30). */
  timeout?: number;
  /** A cursor from an earlier answer, or an ISO 8601 moment: the next arrival after it. */
  since?: string;
  /** Only mail from this address (any case), or from any sender at exactly this domain given as `@example.com`. */
  from?: string;
  /** Only mail whose subject (as shown: redacted where the mailbox redacts) contains this, in any case. */
  subjectContains?: string;
  /** Only mail in this thread. */
  threadId?: string;
}

/** A one-time code found next to a cue word ("code", "OTP", "Bestätigungscode", "验证码", …). */
export interface VerificationCode {
  /** As the mail shows it: `482913`, `123 456`, `A7K-92Q`, `G-482913`. */
  value: string;
  source: "subject" | "body";
  /** The cue and the words around the code. */
  context: string;
}

/** A link that carries a token: sign in (magic link), verify (an address, account or sign-in), or reset a password. */
export interface VerificationLink {
  url: string;
  kind: "sign_in" | "verify" | "reset";
  /** Its anchor text in the HTML part; null for a bare URL. */
  text: string | null;
}

/** What an inbound message offers to finish a sign-in or a sign-up (docs/verification.md). */
export interface Verification {
  codes: VerificationCode[];
  links: VerificationLink[];
}

export interface Health {
  /** down (with HTTP 503): the database does not answer. */
  status: "ok" | "degraded" | "down";
  version: string;
  /** Whether the database answers. */
  database: boolean;
  database_kind: "pglite" | "postgres";
  /** Queued deliveries plus inbound mail waiting to be processed (null when the database does not answer). */
  queue_depth: number | null;
  timestamp: string;
  /** What this server supports, e.g. "messages.has_attachment_filter", "wait", "webhooks", "dkim". */
  capabilities: string[];
  providers?: {
    primary: { healthy: boolean; configured?: boolean; kind?: "relay" | "mx" };
    failover: { healthy: boolean; configured?: boolean };
  };
  scanner?: boolean;
  spam_filter?: boolean;
  queue?: { deliveries_pending: number; inbound_pending: number; inbound_failed: number };
  /** Long-poll waits open in the process that answered. */
  waits_open?: number;
  /** Event streams (SSE) open in the process that answered. */
  streams_open?: number;
  roles?: string[];
}

/**
 * A new message names `from_mailbox`, `to` and `subject`. With `thread_id` it continues that thread instead: all
 * three may be left out (the thread's mailbox, its inbound counterpart, "Re:" its subject), and any recipient
 * named must have written into the thread.
 */
export interface SendParams {
  from_mailbox?: string;
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject?: string;
  body: string;
  html?: string;
  /** A thread to continue (its id, or the id of a message in it). */
  thread_id?: string;
  /** An instance named in the plus-address (`name+<instance>.<tag>@domain`): replies to it carry it back. */
  subaddress_instance_id?: string;
  /** Where the plus-address goes for this send, overriding the mailbox's default_subaddress_mode. */
  subaddress_mode?: "reply_to" | "from" | "none";
  /** Upload handles (attachments.upload) the message carries. */
  attachment_ids?: string[];
  /** Same key, same result: the message is never sent twice. */
  idempotencyKey?: string;
  /** Raise (ConflictError EMAIL_EFFECT_HELD, 422 EMAIL_EFFECT_BLOCKED) when the send did not go out. */
  strictOutcome?: boolean;
}

export interface ReplyParams {
  body: string;
  html?: string;
  reply_all?: boolean;
  /** An instance named in the plus-address (`name+<instance>.<tag>@domain`): replies to it carry it back. */
  subaddress_instance_id?: string;
  /** Where the plus-address goes for this send, overriding the mailbox's default_subaddress_mode. */
  subaddress_mode?: "reply_to" | "from" | "none";
  attachment_ids?: string[];
  idempotencyKey?: string;
  strictOutcome?: boolean;
}

export interface ListMessagesParams {
  limit?: number;
  cursor?: string;
  direction?: "inbound" | "outbound";
  since?: string | Date;
  unread?: boolean;
  /** Postbox's state names and the seed's (`scanning`, `firewall_blocked`); `status` is the same filter. */
  state?: MessageState | "firewall_blocked";
  status?: MessageState | "firewall_blocked";
  /**
   * Full-text search: words, "phrases", -word, OR, and the operators from: subject: after: before: is:starred
   * has:attachment (ValidationError SEARCH_OPERATOR_UNSUPPORTED for others, SEARCH_TERM_TOO_SHORT under 3
   * characters).
   */
  search?: string;
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

/** Every delete answers what it removed with these two fields. */
export interface Deleted {
  status: "deleted";
  deleted: true;
}

/** What deleting a mailbox answers: the mailbox, and what was cancelled with it. */
export interface DeletedMailbox extends Omit<Mailbox, "status">, Deleted {
  cancelled: { drafts_cancelled: number; deliveries_cancelled: number; rule_jobs_dropped: number };
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

/** `DELETE /v1/accounts`: the account deleted, every key of it revoked, its data being purged. */
export interface AccountDeletion {
  status: "deleted";
  message: string;
  account_id: string;
  deleted_at: string;
  keys_revoked: number;
  mailboxes_deleted: number;
  /** Custom domains released: another account may add them now. */
  domains_released: string[];
  webhooks_deleted: number;
  verified_recipients_deleted: number;
  /** Stored mail, events and audit chains are purged by the worker shortly after. */
  purge: "pending";
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
  /** POSTBOX_MAILBOX_LIMIT: live mailboxes the account may have. */
  mailbox_limit: number;
  pending_review_count: number;
  storage: {
    used_bytes: number;
    limit_bytes: number | null;
    percent_used: number | null;
    state: "normal" | "warning" | "near_full" | "over_limit";
    breakdown: {
      /** The stored raw messages, each copy counted. */
      raw_mime_bytes: number;
      /** The decoded attachments, kept inside the raw messages (part of raw_mime_bytes). */
      attachment_bytes: number;
      /** Text and HTML bodies parsed out of the raw messages. */
      derivative_bytes: number;
    };
  };
  /** sandbox (the account is in sandbox mode) | self_hosted. */
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

export type PolicyMode = "read_only" | "draft_only" | "supervised" | "trusted";
export type AgentAuthoringMode = "send_and_draft" | "draft_only" | "read_only";
export type AuthoringVerb = "send" | "reply" | "draft_create" | "draft_update" | "draft_send";

/** When agents may send: outside it their sends are held for review or refused. */
export interface SendWindow {
  /** IANA time zone, e.g. Europe/London. */
  timezone: string;
  days: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
  /** "HH:MM", 24-hour; an end before the start spans midnight. */
  start: string;
  end: string;
  outside_action: "require_approval" | "block";
}

/**
 * A mailbox's policy: the agent policy read model (the seed's) and the MailPolicy document (`policy`, null when the
 * mailbox has none), one answer (docs/decisions/0015).
 */
export interface PolicyResponse {
  mailbox_id: string;
  policy_mode: PolicyMode | "custom";
  enforcement: { risky_only: "off" | "shadow" | "enforce"; send_window: "off" | "shadow" | "enforce" };
  last_applied_policy_mode: PolicyMode | null;
  agent_authoring_mode: AgentAuthoringMode;
  agent_send_policy: "restricted" | "open";
  restricted_by: "mailbox_allowlist" | null;
  hitl_mode: "disabled" | "all_outbound" | "risky_only";
  approval_expiry: string;
  approval_expiry_hours: number | null;
  send_window: SendWindow | null;
  allow_thread_replies: boolean;
  recipient_policy_mode: "blocklist" | "allowlist";
  sender_policy_mode: "blocklist" | "allowlist";
  latest_revision_id: string | null;
  /** What binds the calling key. */
  binding: { scope: "admin" | "agent"; permitted_verbs: AuthoringVerb[] };
  policy: MailPolicy | null;
  updated_at: string | null;
  /** Present after setPolicy: accepted but worth a look (e.g. capability strings not seen before). */
  warnings?: string[];
}

export interface PolicyPreviewParams {
  to: string;
  subject?: string;
  body?: string;
  /** ISO 8601: when the send window is judged (default now). */
  at_time?: string;
  /** Also run the content scan (off by default). */
  run_content_scan?: boolean;
}

export interface PolicyPreview {
  mailbox_id: string;
  result: "passes_all_checks_run" | "would_hold" | "would_block";
  result_summary: string;
  content_scan_run: boolean;
  email_effect: EmailEffect;
  trace: {
    gate:
      | "authoring"
      | "recipient_authority"
      | "send_window"
      | "content_scan"
      | "human_review"
      | "send_budget";
    outcome: "pass" | "would_hold" | "would_block" | "not_run" | "skipped";
    reason: string;
    details: Record<string, unknown>;
  }[];
  budget: { limit: number; remaining: number; warmup_applied: boolean };
}

export interface AccountPolicy {
  /** The account's own daily cap in recipients; null: the operator's default. */
  custom_daily_send_limit: number | null;
  /** The cap in force. */
  daily_send_limit: number;
  /** The mode new mailboxes start in; null: none. */
  default_policy_mode: PolicyMode | null;
  resolved_default_policy_mode: PolicyMode | null;
  /** Every mailbox of the account sends to confirmed verified recipients only. */
  sandbox: boolean;
  /** Days settled mail is kept in mailboxes that set none; null: the operator's default. */
  retention_days: number | null;
  /** The account's retention in force. */
  effective_retention_days: number;
}

export type LegalHoldScope = "account" | "mailbox";

/** A legal hold: while active, the mail it covers is kept from retention and from every deletion. */
export interface LegalHold {
  id: string;
  scope: LegalHoldScope;
  /** The held mailbox; null for an account hold. */
  mailbox_id: string | null;
  case_reference: string | null;
  reason: string;
  status: "active" | "released";
  applied_at: string;
  applied_by_type: string;
  applied_by_id: string | null;
  released_at: string | null;
  released_by_type: string | null;
  released_by_id: string | null;
  release_reason: string | null;
}

export interface ApplyLegalHoldParams {
  scope: LegalHoldScope;
  reason: string;
  /** UUID or name; required for scope mailbox. */
  mailbox_id?: string;
  case_reference?: string;
}

export interface ListLegalHoldsParams {
  include_released?: boolean;
  limit?: number;
  cursor?: string;
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
  | "budget_exhausted"
  | "legal_hold";

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
  action:
    | "delivered"
    | "rejected_in_session"
    | "dropped"
    | "bounced"
    | "bounce_suppressed"
    | "firewall_blocked"
    | "recipient_suppressed"
    | "report_recorded"
    | "legal_hold_applied"
    | "legal_hold_released";
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

/**
 * A new draft names its mailbox (`from_mailbox` or `mailbox_id`); one answering a message
 * (`in_reply_to_message_id`) or continuing a thread (`thread_id`) may leave it, `to` and `subject` out.
 */
export interface CreateDraftParams {
  from_mailbox?: string;
  mailbox_id?: string;
  thread_id?: string;
  in_reply_to_message_id?: string;
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject?: string;
  body?: string;
  html?: string | null;
  /** ISO 8601: sending the draft schedules it for this time. */
  send_at?: string | null;
  subaddress_instance_id?: string | null;
  subaddress_mode?: "reply_to" | "from" | "none" | null;
  /** Upload handles the draft's send carries; null clears them (on update). */
  attachment_ids?: string[] | null;
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
  /** The Message-ID its send answers, and that message's id. */
  in_reply_to: string | null;
  in_reply_to_message_id: string | null;
  subaddress_instance_id: string | null;
  subaddress_mode: "reply_to" | "from" | "none" | null;
  send_at: string | null;
  scan: ScanSummary;
  worst_decision: OutboundDecision;
  message_id: string | null;
  attachment_ids: string[];
  attachments: {
    upload_id: string;
    filename: string;
    content_type: string;
    size: number;
    content_scan_status: string;
  }[];
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
  | "message.firewall_released"
  | "message.reported"
  | "message.sent"
  | "message.pending_review"
  | "message.approved"
  | "message.denied"
  | "message.revised"
  | "message.review_expired"
  | "message.delivered"
  | "message.delivery_deferred"
  | "message.bounced"
  | "recipient_allowlist.added"
  | "recipient_allowlist.removed"
  | "recipient_allowlist.blocked_attempt"
  | "mailbox.recipient_policy_changed"
  | "mailbox.sender_policy_changed"
  | "recipient_blocklist.added"
  | "legal_hold.applied"
  | "legal_hold.released"
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
  /** The seed's name for consecutive_abandoned: deliveries abandoned in a row (disabled after 20). */
  consecutive_failures: number;
  /** `postbox` (X-Postbox-Signature) or `agentpack` (webhooks registered through the bridge). */
  signature_scheme: "postbox" | "agentpack";
  last_success_at: string | null;
  last_failure_at: string | null;
  /** Why the last failed attempt failed. */
  last_error: string | null;
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
  /** The seed's names for the same facts. */
  delivery_id: string;
  event_type: EventType;
  status: "pending" | "delivered" | "failed";
  http_status: number | null;
  attempt_count: number;
  failed_at: string | null;
  next_retry_at: string | null;
  response_preview: string | null;
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

export interface Suppression extends AddedBy {
  /** An address, or a bare domain "@corp.com" (that exact domain). */
  email: string;
  pattern_type: "email" | "domain";
  reason: SuppressionReason;
  /** customer: added through the API; dsn, arf, provider: bounce handling. */
  source: string | null;
  detail: string | null;
  /** Null: permanent. Provider hard bounces and complaints expire after 30 days. */
  expires_at: string | null;
  created_at: string;
}

/** What a bulk add did: the new entries, those already there, the invalid ones, and counts. */
export interface BulkResult<T = AllowlistEntry> {
  added: T[];
  already_existed: string[];
  invalid: { email: string; reason: "invalid_format"; detail: string }[];
  counts: { added: number; already_existed: number; invalid: number; total: number };
}

/** A single add's answer: the entry, and whether it was there already. */
export type Added<T> = T & { already_existed: boolean };

/** One recipient and key the outbound allowlist kept refusing (the aggregate view). */
export interface BlockedAttemptGroup {
  recipient: string;
  actor_type: "api_key" | "system";
  actor_id: string | null;
  count: number;
  first_attempted_at: string;
  last_attempted_at: string;
}

/** One send the outbound allowlist refused. */
export interface BlockedAttempt {
  id: string;
  recipient: string;
  actor_type: "api_key" | "system";
  actor_id: string | null;
  /** send, reply or rule. */
  origin: string | null;
  attempted_at: string;
}

/** One sender (and rule) the inbound firewall kept stopping (the aggregate view). */
export interface InboundBlockedAttemptGroup {
  sender: string | null;
  matched_field: "envelope" | "from" | null;
  matched_list: "account_blocklist" | "mailbox_allowlist" | null;
  mode: "allowlist" | "blocklist";
  reason_code: "SENDER_BLOCKED" | "SENDER_NOT_ON_ALLOWLIST";
  count: number;
  first_attempted_at: string;
  last_attempted_at: string;
}

/** One message the inbound firewall stopped. */
export interface InboundBlockedAttempt {
  id: string;
  message_id: string | null;
  envelope_sender: string | null;
  from_address: string | null;
  matched_field: "envelope" | "from" | null;
  matched_pattern: string | null;
  matched_list: "account_blocklist" | "mailbox_allowlist" | null;
  mode: "allowlist" | "blocklist";
  reason_code: "SENDER_BLOCKED" | "SENDER_NOT_ON_ALLOWLIST";
  attempted_at: string;
}

export interface BlockedAttemptsParams {
  /** Look back this many days only (1–365); the whole log without it. */
  within_days?: number;
  limit?: number;
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

/** An address sandboxed mailboxes may send to once its owner confirmed it (`/v1/recipients`). */
export interface VerifiedRecipient {
  id: string;
  /** Lower-cased. */
  email: string;
  /** expired: the latest confirmation link expired unconfirmed (resend mails a new one). */
  status: "pending" | "confirmed" | "expired";
  created_at: string;
  confirmed_at: string | null;
  link_sent_at: string;
  link_expires_at: string;
  /** Confirmation mails sent to the address in all. */
  links_sent: number;
}

/** What a resend did: mailed a new link (the older ones stop working), or nothing (already confirmed). */
export interface ConfirmationResent {
  status: "sent" | "already_confirmed";
  recipient: VerifiedRecipient;
}

/** A record to publish for a custom domain, with what its last check found. */
export interface DnsRecordCheck {
  purpose: "mx" | "spf" | "dkim" | "dmarc";
  type: "MX" | "TXT";
  name: string;
  value: string;
  priority: number | null;
  /** MX and DKIM decide verification; SPF and DMARC are advised. */
  required: boolean;
  status: "pending" | "verified" | "missing" | "mismatch" | "error";
  found: string[];
}

/** A domain mailboxes live on: the installation's own (`platform`) or one of the account (`custom`). */
export interface Domain {
  id: string;
  domain_name: string;
  domain_type: "platform" | "custom";
  transport_mode: "postbox";
  is_default: boolean;
  verification_status: "pending" | "verified" | "failed";
  dkim_selector: string;
  dkim_key_source: "generated" | "operator" | null;
  dns_records_json: DnsRecordCheck[];
  admin_review_status: null;
  last_checked_at: string | null;
  verified_at: string | null;
  created_at: string | null;
}

export interface CreateDomainParams {
  domain: string;
  /** Default: the server's selector (POSTBOX_DKIM_SELECTOR). */
  dkim_selector?: string;
  /** Your own key (unencrypted PEM, RSA ≥ 1024 bits or Ed25519); the server makes one otherwise. */
  dkim_private_key?: string;
}

export interface DomainCreated extends Domain {
  domain_id: string;
  claim_token: null;
  message: string;
}

export interface DomainVerification extends Domain {
  /** The first required record that is not verified. */
  failed_gate: string | null;
  failure_reason: string | null;
  message: string;
}
