import { type TSchema, Type } from "typebox";
import { SCAN_DECISIONS } from "../../domain/verdict.ts";
import { LINK_KINDS } from "../../domain/verification.ts";
import { component, DeletedMark, Nullable, Strings, Timestamp, Uuid } from "./common.ts";

// The message wire of api/wire.ts (messageToWire, messageSummaryToWire) and the send result of
// api/send-outcome.ts.

const literals = (values: readonly string[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

export const MESSAGE_STATES = [
  "received",
  "available",
  "quarantined",
  "pending_review",
  "blocked",
  "dispatching",
  "delivered",
  "bounced",
  "failed",
  "cancelled",
  "deleted",
] as const;

const Decision = literals(
  [...SCAN_DECISIONS],
  "allow, allow_with_warning, require_human_approval, quarantine, block",
);

export const ScanSummaryRef: TSchema = component(
  "ScanSummary",
  Type.Object(
    {
      verdict: literals(["clean", "warning", "review_required", "quarantined", "blocked"]),
      categories: Type.Array(Type.Object({ category: Type.String(), decision: Decision }), {
        description: "Each category that fired once, with its worst decision.",
      }),
      findings: Type.Array(
        Type.Object({
          category: Type.String({ description: "pii, secret_detected or (inbound) prompt_injection." }),
          decision: Decision,
          reason: Type.String(),
          pii_type: Type.Optional(literals(["ssn", "credit_card", "phone_number"])),
          secret_type: Type.Optional(Type.String()),
          score: Type.Optional(Type.Number({ description: "Inbound: the injection score (0–1)." })),
        }),
      ),
    },
    {
      description:
        "What a scan found: outbound, the PII and secrets scan of a send or draft; inbound, the prompt-injection verdict.",
    },
  ),
);

export const EmailEffectRef: TSchema = component(
  "EmailEffect",
  Type.Object(
    {
      effect_status: literals(["sent", "held_for_review", "held_infrastructure", "blocked"]),
      releasable: Type.Boolean({ description: "A human can still release it (held sends)." }),
      terminal: Type.Boolean({ description: "Final: it will never be sent (blocked)." }),
      retryable: Type.Boolean({
        description: "Whether sending again could help: never for a hold or a block.",
      }),
    },
    {
      description: "What a send did, in governed email-effect terms. A held send is not a failure to retry.",
    },
  ),
);

const HoldContext = Type.Object(
  {
    trigger_source: literals(
      ["mailbox_policy", "scanner", "both", "reviewer"],
      "reviewer: a reviewer revised it and only their approval holds it now.",
    ),
    summary_reasons: Strings,
  },
  { description: "Why a send was held (or stopped)." },
);

export const SendResultRef: TSchema = component(
  "SendResult",
  Type.Object(
    {
      message_id: Uuid,
      status: literals(
        ["sent", "pending_review", "quarantined", "blocked"],
        "sent: queued for delivery; pending_review: waits for a human; quarantined or blocked: not sent.",
      ),
      thread_id: Uuid,
      internet_message_id: Type.String(),
      scan: ScanSummaryRef,
      hold_context: Nullable(HoldContext),
      sends_remaining: Nullable(Type.Integer(), {
        description:
          "Recipients left in the tightest quota window after this send (null: no window applies).",
      }),
      daily_limit: Nullable(Type.Integer(), {
        description: "The account's daily cap in recipients (null: none).",
      }),
      email_effect: EmailEffectRef,
    },
    {
      description: "The outcome of a send, a reply or a draft send.",
      examples: [
        {
          message_id: "0b7e3f7a-5a43-4c1e-9a62-3c0f3b1c2d4e",
          status: "sent",
          thread_id: "6f1d2c3b-4a59-4e8f-8b7a-6c5d4e3f2a1b",
          internet_message_id: "<0b7e3f7a-5a43-4c1e-9a62-3c0f3b1c2d4e@mail.example.com>",
          scan: { verdict: "clean", categories: [], findings: [] },
          hold_context: null,
          sends_remaining: 97,
          daily_limit: 1000,
          email_effect: { effect_status: "sent", releasable: false, terminal: false, retryable: false },
        },
      ],
    },
  ),
);

const MessageBody = Type.Object(
  {
    format: literals(["text", "html"]),
    content: Nullable(Type.String(), {
      description: "The text part, else the HTML part; null when withheld.",
    }),
    char_count: Type.Integer(),
    returned_char_count: Type.Integer(),
    truncated: Type.Boolean(),
    text: Nullable(Type.String()),
    html: Nullable(Type.String({ description: "Withheld (null) under pii_mode redacted." })),
  },
  { description: "The body: `content` in `format`, with both parts as shown." },
);

export const MessageAttachmentRef: TSchema = component(
  "MessageAttachment",
  Type.Object(
    {
      index: Type.Integer({
        description: "Its position in `attachments`: the `:index` of its download and preview.",
      }),
      filename: Nullable(Type.String(), {
        description: "Sanitised: the last path segment, no control characters or bidi overrides.",
      }),
      content_type: Type.String({ description: "The type the message declared for it." }),
      size: Type.Integer(),
      hash: Nullable(
        Type.String({ description: "SHA-256 of its bytes (null: stored before attachments were)." }),
      ),
      sniffed_mime_type: Nullable(Type.String({ description: "The type its bytes show (magic numbers)." })),
      declared_mime_type: Nullable(Type.String()),
      mime_mismatch: Type.Boolean(),
      family: Nullable(literals(["pdf", "text", "csv", "image"])),
      dangerous: Type.Boolean({
        description: "An executable, a script or a document that may carry macros.",
      }),
      dangerous_reason: Nullable(Type.String()),
      content_id: Nullable(Type.String()),
      content_disposition: Nullable(Type.String()),
      inline: Type.Boolean(),
      stored: Type.Boolean({ description: "Its bytes are stored on their own (downloadable by policy)." }),
      policy_action: literals(
        ["deliver", "metadata_only", "quarantine", "block"],
        "deliver: its bytes may be offered under the mailbox's policy; metadata_only: an unknown family, for " +
          "admins; quarantine: its bytes are not what its type says; block: dangerous, nobody downloads it.",
      ),
      av_verdict: Type.Literal("skipped", { description: "Postbox runs no antivirus engine." }),
      preview_status: Nullable(literals(["pending", "ready", "blocked", "failed"])),
      preview_kind: Nullable(Type.Literal("text")),
      preview_reason_code: Nullable(Type.String()),
      preview_char_count: Nullable(Type.Integer()),
      preview_page_count: Nullable(Type.Integer()),
      preview_truncated: Nullable(Type.Boolean()),
      preview_generated_at: Nullable(Timestamp),
      upload_id: Type.Optional(Uuid),
    },
    { description: "An attachment of a message, described from its bytes." },
  ),
);
const Attachment = MessageAttachmentRef;

const AuthResult = literals([
  "pass",
  "fail",
  "softfail",
  "neutral",
  "none",
  "temperror",
  "permerror",
  "policy",
  "skipped",
]);

export const SenderAuthenticationRef: TSchema = component(
  "SenderAuthentication",
  Type.Object(
    {
      spf: Type.Object({ result: AuthResult, domain: Nullable(Type.String()), aligned: Type.Boolean() }),
      dkim: Type.Object({
        result: AuthResult,
        aligned: Type.Boolean(),
        signatures: Type.Array(
          Type.Object({
            domain: Type.String(),
            selector: Nullable(Type.String()),
            algorithm: Nullable(Type.String()),
            result: AuthResult,
            aligned: Type.Boolean(),
            comment: Nullable(Type.String()),
          }),
        ),
      }),
      dmarc: Type.Object({
        result: AuthResult,
        policy: Nullable(Type.String()),
        domain: Nullable(Type.String()),
      }),
      arc: Type.Object({ result: AuthResult, instances: Type.Integer() }),
      from_domain: Nullable(Type.String()),
      signing_domains: Strings,
      verdict: literals(["verified_aligned", "authenticated_unaligned", "failed", "none", "error"]),
    },
    { description: "SPF, DKIM, DMARC and ARC results of an inbound message, and one verdict over them." },
  ),
);

export const VerificationRef: TSchema = component(
  "Verification",
  Type.Object(
    {
      codes: Type.Array(
        Type.Object({
          value: Type.String({
            description: "The code as the mail shows it (`482913`, `123 456`, `A7K-92Q`, `G-482913`).",
          }),
          source: literals(["subject", "body"]),
          context: Type.String({
            description: "The cue and the words around the code (at most 120 characters).",
          }),
        }),
        { description: "One-time codes next to a cue word (code, OTP, Bestätigungscode, 验证码, код, …)." },
      ),
      links: Type.Array(
        Type.Object({
          url: Type.String(),
          kind: literals(
            LINK_KINDS,
            "sign_in: a magic or sign-in link; verify: confirms an address, an account or a sign-in attempt; reset: " +
              "sets a new password.",
          ),
          text: Nullable(Type.String(), {
            description: "Its anchor text in the HTML part (null: a bare URL).",
          }),
        }),
        { description: "Links that carry a token; unsubscribe links are never listed." },
      ),
    },
    {
      description:
        "Verification codes and links found in the subject and body this caller is shown (under pii_mode " +
        "redacted: the redacted text, no HTML); the same mail always gives the same answer. See docs/verification.md.",
      examples: [
        {
          codes: [{ value: "482913", source: "body", context: "Your verification code is 482913." }],
          links: [
            {
              url: "https://app.example.com/login?token=3f9a1c5e2b8d4f6a0c7d",
              kind: "sign_in",
              text: "Sign in to Example",
            },
          ],
        },
      ],
    },
  ),
);

const FirewallBlock = Type.Object(
  {
    envelope_sender: Nullable(Type.String()),
    from_address: Nullable(Type.String()),
    matched_field: Nullable(literals(["envelope", "from"])),
    matched_pattern: Nullable(Type.String()),
    reason_code: literals(["SENDER_BLOCKED", "SENDER_NOT_ON_ALLOWLIST"]),
    matched_list: Nullable(literals(["account_blocklist", "mailbox_allowlist"])),
    mode: literals(["allowlist", "blocklist"]),
  },
  { description: "Which inbound firewall rule blocked the message." },
);

const Delivery = Type.Object({
  recipient: Type.String(),
  state: literals(["queued", "delivered", "bounced", "cancelled"]),
  attempts: Type.Integer(),
  last_code: Nullable(Type.Integer()),
  last_response: Nullable(Type.String()),
  next_attempt_at: Nullable(Timestamp),
  finished_at: Nullable(Timestamp),
});

const common = {
  id: Uuid,
  mailbox_id: Uuid,
  mailbox_name: Nullable(Type.String()),
  state: literals(MESSAGE_STATES),
  internet_message_id: Nullable(Type.String()),
  sender: Nullable(Type.String()),
  sender_name: Nullable(Type.String()),
  recipient: Nullable(Type.String()),
  to: Strings,
  cc: Strings,
  reply_to: Strings,
  subject: Nullable(Type.String()),
  thread_id: Nullable(Uuid),
  in_reply_to: Nullable(Type.String()),
  references: Strings,
  body: MessageBody,
  attachments: Type.Array(Attachment),
  has_attachment: Type.Boolean(),
  starred: Type.Boolean(),
  firewall_block: Nullable(FirewallBlock),
  subaddress_instance_id: Nullable(
    Type.String({
      description:
        "Outbound: the instance the send named; inbound: the instance its recipient address carried.",
    }),
  ),
  dashboard_url: Type.Null({ description: "Always null: Postbox has no dashboard." }),
  size: Type.Integer({ description: "Bytes of the raw message." }),
  sent_at: Nullable(Timestamp),
  read_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
  scan: Nullable(ScanSummaryRef),
};

const inbound = {
  ...common,
  direction: Type.Literal("inbound"),
  envelope: Type.Object({
    mail_from: Nullable(Type.String()),
    rcpt_to: Strings,
    client_ip: Nullable(Type.String()),
    helo: Nullable(Type.String()),
    transport: literals(["smtp", "http", "api", "local", "simulator"]),
    tls: Type.Boolean({ description: "Whether the SMTP session was encrypted (STARTTLS)." }),
  }),
  parse_error: Nullable(Type.String()),
  process_error: Nullable(
    Type.String({ description: "Why processing gave up (state failed; admins only)." }),
  ),
  pii_redacted: Type.Boolean(),
  injection: Nullable(
    Type.Object({
      score: Type.Number(),
      reasons: Type.Array(Type.Object({ code: Type.String(), description: Type.String() })),
    }),
  ),
  sender_authentication: Nullable(SenderAuthenticationRef, {
    description: "Null while still being processed.",
  }),
  policy: Nullable(
    Type.Object({
      outcome: Type.Literal("accepted"),
      rule_index: Nullable(Type.Integer()),
      decided_in: literals(["smtp_session", "pipeline"]),
    }),
    { description: "The MailPolicy decision that let it in (null: the mailbox has no policy)." },
  ),
  capabilities: Strings,
  auto_submitted: Nullable(Type.String()),
  labels: Strings,
  rules_applied: Nullable(
    Type.Array(
      Type.Object({
        rule: Type.Integer(),
        action: Type.String(),
        outcome: Type.String(),
        detail: Nullable(Type.String()),
      }),
    ),
  ),
  agent_safety_context: Type.Object({
    untrusted_content: Type.Boolean(),
    guidance: Type.String(),
    capabilities: Strings,
  }),
  verification: VerificationRef,
};

const outbound = {
  ...common,
  direction: Type.Literal("outbound"),
  bcc: Strings,
  sender_authentication: Type.Null(),
  agent_safety_context: Type.Null(),
  hold_context: Nullable(HoldContext),
  review: Nullable(
    Type.Object({
      decision: literals(["approved", "denied", "expired"]),
      note: Nullable(Type.String()),
      decided_at: Type.String(),
    }),
  ),
  deliveries: Type.Array(Delivery),
};

/** Fields of the full message a summary leaves out (api/wire.ts SUMMARY_OMITS). */
const SUMMARY_OMITS = [
  "body",
  "attachments",
  "references",
  "deliveries",
  "parse_error",
  "process_error",
  "rules_applied",
  "review",
];

function summaryOf(props: Record<string, TSchema>) {
  const out: Record<string, TSchema> = {};
  for (const [k, v] of Object.entries(props)) if (!SUMMARY_OMITS.includes(k)) out[k] = v;
  out.body_preview = Nullable(Type.String(), {
    description: "The first 200 characters of the text, flattened.",
  });
  // On the wait result only; lists leave it out (read the message, or list with view=verbose).
  if (out.verification) out.verification = Type.Optional(VerificationRef);
  return out;
}

const InboundMessageRef = component(
  "InboundMessage",
  Type.Object(inbound, {
    description: "A message that arrived (SMTP or ingest) in one of the account's mailboxes.",
  }),
);
const OutboundMessageRef = component(
  "OutboundMessage",
  Type.Object(outbound, {
    description: "A message a mailbox sent (or tried to): with its scan, hold and deliveries.",
  }),
);
export const MessageRef: TSchema = component(
  "Message",
  Type.Union([InboundMessageRef, OutboundMessageRef], {
    description: "A full message, by `direction`.",
  }),
);
const InboundSummaryRef = component(
  "InboundMessageSummary",
  Type.Object(summaryOf(inbound), {
    description: "An inbound message without its body (a preview instead).",
  }),
);
const OutboundSummaryRef = component(
  "OutboundMessageSummary",
  Type.Object(summaryOf(outbound), { description: "An outbound message without its body and deliveries." }),
);
export const MessageSummaryRef: TSchema = component(
  "MessageSummary",
  Type.Union([InboundSummaryRef, OutboundSummaryRef], {
    description: "What lists and wait return: a message without body, attachments or deliveries.",
  }),
);

/** What moderation and review actions answer: the message, and the seed's `message_id` and `status`. */
export const MessageActionRef: TSchema = component(
  "MessageAction",
  Type.Intersect([
    MessageRef,
    Type.Object({
      message_id: Uuid,
      status: Type.String({ description: "The message's state after the action." }),
    }),
  ]),
);

export const DeletedMessage: TSchema = Type.Object(
  {
    id: Uuid,
    message_id: Uuid,
    ...DeletedMark,
    state: Type.Literal("deleted"),
    raw_mime_deleted: Type.Literal(false, { description: "The raw bytes are kept for admins." }),
    deleted_at: Nullable(Timestamp),
  },
  { description: "The message was deleted (or already was)." },
);

export const MessageStarred: TSchema = Type.Object(
  { message_id: Uuid, starred: Type.Boolean() },
  { description: "The message's star now." },
);

export const MessageMarkedRead: TSchema = Type.Intersect([MessageRef, Type.Object({ message_id: Uuid })], {
  description: "The message, read (`read_at` set), with the seed's `message_id`.",
});

export const WaitResult: TSchema = Type.Object(
  {
    message: Nullable(MessageSummaryRef, {
      description: "The next inbound message, or null at the timeout.",
    }),
    cursor: Type.String({ description: "Pass back as `since` to wait for the one after." }),
  },
  { description: "The next inbound message, or `{message: null, cursor}` at the timeout." },
);

export const RawMessage: TSchema = {
  description: "The raw message, byte for byte.",
  content: { "message/rfc822": { schema: { type: "string", contentMediaType: "message/rfc822" } } },
} as unknown as TSchema;
