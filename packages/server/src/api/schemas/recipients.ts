import { type TSchema, Type } from "typebox";
import { component, DeletedMark, listOf, Nullable, OneOf, Strings, Timestamp, Uuid } from "./common.ts";

// routes/recipients.ts (suppressions, allowlists, quotas) and routes/moderation.ts (the inbound blocklist).

const Reason = Type.Union(["hard_bounce", "complaint", "manual", "unsubscribe"].map((r) => Type.Literal(r)));

const PatternType = Type.Union([Type.Literal("email"), Type.Literal("domain")], {
  description: "email: one address; domain: a bare domain (@corp.com).",
});
const addedBy = {
  added_by_actor_type: Nullable(Type.String({ description: "api_key | system …" })),
  added_by_actor_id: Nullable(Type.String()),
};

const suppressionFields = {
  email: Type.String({ description: 'An address, or a bare domain "@corp.com".' }),
  pattern_type: PatternType,
  reason: Reason,
  source: Nullable(Type.String({ description: "customer (the API); dsn, arf, provider (bounce handling)." })),
  detail: Nullable(Type.String()),
  expires_at: Nullable(Timestamp, { description: "Null: permanent." }),
  ...addedBy,
  created_at: Nullable(Timestamp),
};

export const SuppressionRef: TSchema = component(
  "Suppression",
  Type.Object(suppressionFields, { description: "An address or domain sends are refused to." }),
);

export const SuppressionList: TSchema = listOf(
  "suppressions",
  SuppressionRef,
  "Sorted by address; pass `next_cursor` back as `cursor` for the next page.",
);

const AlreadyExisted = {
  already_existed: Type.Boolean({
    description: "True (200) when the entry was there already; false (201) when new.",
  }),
};

export const SuppressionAdded: TSchema = Type.Object(
  { ...suppressionFields, ...AlreadyExisted },
  { description: "The entry, added (201) or already there (200)." },
);

export const SuppressionDeleted: TSchema = Type.Object(
  { ...DeletedMark, ...suppressionFields },
  { description: "The removed suppression." },
);

export const BulkResultRef: TSchema = component(
  "BulkResult",
  Type.Object(
    {
      added: Type.Array(Type.Object({ email: Type.String() }), {
        description: "The new entries, as the list shows them.",
      }),
      already_existed: Strings,
      invalid: Type.Array(
        Type.Object({
          email: Type.String(),
          reason: Type.String({ description: "invalid_format" }),
          detail: Type.Optional(Nullable(Type.String())),
        }),
      ),
      counts: Type.Object({
        added: Type.Integer(),
        already_existed: Type.Integer(),
        invalid: Type.Integer(),
        total: Type.Integer(),
      }),
    },
    { description: "What a bulk add did, entry by entry." },
  ),
);

const listEntryFields = {
  email: Type.String({ description: "An address, or a bare domain @corp.com." }),
  mailbox_id: Uuid,
  pattern_type: PatternType,
  source: Nullable(Type.String()),
  ...addedBy,
  created_at: Nullable(Timestamp),
};

export const AllowlistEntryRef: TSchema = component(
  "AllowlistEntry",
  Type.Object(listEntryFields, {
    description:
      "An entry of a mailbox's allowlist: a recipient it may send to (recipient allowlist) or a sender whose mail gets through (inbound allowlist).",
  }),
);

export const AllowlistView: TSchema = listOf(
  "allowlist",
  AllowlistEntryRef,
  "The mailbox's recipient policy and allowlist, sorted by address.",
  {
    mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
  },
);

export const AllowlistAdded: TSchema = Type.Object(
  { ...listEntryFields, ...AlreadyExisted },
  { description: "The entry, added (201) or already there (200)." },
);

export const AllowlistDeleted: TSchema = Type.Object(
  { ...DeletedMark, ...listEntryFields },
  { description: "The removed entry." },
);

export const RecipientPolicy: TSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
    allowlist_size: Type.Integer(),
  },
  { description: "The mailbox's recipient policy now." },
);

export const BlockedAttemptGroupRef: TSchema = component(
  "BlockedAttemptGroup",
  Type.Object(
    {
      recipient: Type.String(),
      actor_type: OneOf(["api_key", "system"]),
      actor_id: Nullable(Type.String()),
      count: Type.Integer(),
      first_attempted_at: Nullable(Timestamp),
      last_attempted_at: Nullable(Timestamp),
    },
    { description: "A recipient (and key) the recipient allowlist kept refusing." },
  ),
);

export const BlockedAttemptRef: TSchema = component(
  "BlockedAttempt",
  Type.Object(
    {
      id: Type.String(),
      recipient: Type.String(),
      actor_type: OneOf(["api_key", "system"]),
      actor_id: Nullable(Type.String()),
      origin: Nullable(Type.String()),
      attempted_at: Nullable(Timestamp),
    },
    { description: "One send the recipient allowlist refused." },
  ),
);

export const BlockedAttempts: TSchema = listOf(
  "attempts",
  Type.Union([BlockedAttemptGroupRef, BlockedAttemptRef]),
  "aggregate=true (default): groups by recipient and key, most frequent first; aggregate=false: every attempt, newest first.",
);

export const InboundBlockedAttemptGroupRef: TSchema = component(
  "InboundBlockedAttemptGroup",
  Type.Object(
    {
      sender: Nullable(Type.String()),
      matched_field: Nullable(Type.String()),
      matched_list: Nullable(Type.String()),
      mode: Nullable(Type.String()),
      reason_code: Nullable(Type.String()),
      count: Type.Integer(),
      first_attempted_at: Nullable(Timestamp),
      last_attempted_at: Nullable(Timestamp),
    },
    { description: "A sender (and rule) the inbound firewall kept stopping." },
  ),
);

export const InboundBlockedAttemptRef: TSchema = component(
  "InboundBlockedAttempt",
  Type.Object(
    {
      id: Type.String(),
      message_id: Nullable(Type.String()),
      envelope_sender: Nullable(Type.String()),
      from_address: Nullable(Type.String()),
      matched_field: Nullable(Type.String()),
      matched_pattern: Nullable(Type.String()),
      matched_list: Nullable(Type.String()),
      mode: Nullable(Type.String()),
      reason_code: Nullable(Type.String()),
      attempted_at: Nullable(Timestamp),
    },
    { description: "One message the inbound firewall stopped." },
  ),
);

export const InboundBlockedAttempts: TSchema = listOf(
  "attempts",
  Type.Union([InboundBlockedAttemptGroupRef, InboundBlockedAttemptRef]),
  "aggregate=true (default): groups by sender and rule, most frequent first; aggregate=false: every stopped message, newest first.",
);

const QuotaWindow = Type.Object({
  window_seconds: Type.Integer(),
  limit: Type.Integer(),
  used: Type.Integer(),
  remaining: Type.Integer(),
  reset_at: Timestamp,
});

export const QuotaStatus: TSchema = Type.Object(
  {
    today: Type.Object({
      count: Type.Integer(),
      limit: Type.Integer(),
      day: Type.String({ format: "date" }),
    }),
    sends_remaining: Type.Integer(),
    reset_at: Timestamp,
    scope: Type.Union([Type.Literal("admin"), Type.Literal("agent")]),
    bound_mailbox_ids: Type.Array(Uuid),
    account: Type.Object({ daily: QuotaWindow }),
    mailboxes: Type.Array(
      Type.Object({ mailbox_id: Uuid, name: Type.String(), windows: Type.Array(QuotaWindow) }),
    ),
  },
  { description: "Send quotas, counted in recipients, and what is left of them." },
);

const blocklistFields = {
  email: Type.String({ description: "An address, or a bare domain @corp.com." }),
  address: Type.String({ description: "The same as email (its older name)." }),
  pattern_type: PatternType,
  reason: Nullable(Type.String()),
  source: Nullable(Type.String()),
  ...addedBy,
  created_at: Nullable(Timestamp),
};

export const BlocklistAdded: TSchema = Type.Object(
  { ...blocklistFields, ...AlreadyExisted },
  { description: "The entry, added (201) or already there (200)." },
);

export const BlocklistEntryRef: TSchema = component(
  "BlocklistEntry",
  Type.Object(blocklistFields, { description: "A sender the account's inbound firewall stops." }),
);

export const BlocklistList: TSchema = listOf(
  "blocklist",
  BlocklistEntryRef,
  "The account's inbound blocklist.",
);

export const BlocklistDeleted: TSchema = Type.Object(
  { ...DeletedMark, ...blocklistFields },
  { description: "The sender is unblocked." },
);

// routes/verified-recipients.ts: the addresses sandboxed mailboxes may mail.

const verifiedRecipientFields = {
  id: Uuid,
  email: Type.String({ description: "Lower-cased." }),
  status: Type.Union([Type.Literal("pending"), Type.Literal("confirmed"), Type.Literal("expired")], {
    description:
      "pending: a confirmation link is out; confirmed: its owner confirmed, sandboxed mailboxes may mail it; " +
      "expired: the latest link expired unconfirmed (resend mails a new one).",
  }),
  created_at: Timestamp,
  confirmed_at: Nullable(Timestamp),
  link_sent_at: Timestamp,
  link_expires_at: Timestamp,
  links_sent: Type.Integer({ description: "Confirmation mails sent to the address in all." }),
};

export const VerifiedRecipientRef: TSchema = component(
  "VerifiedRecipient",
  Type.Object(verifiedRecipientFields, {
    description: "An address sandboxed mailboxes may send to once its owner confirmed it.",
  }),
);

export const VerifiedRecipientList: TSchema = listOf(
  "recipients",
  VerifiedRecipientRef,
  "Newest first; pass `next_cursor` back as `cursor` for the next page.",
);

export const VerifiedRecipientAdded: TSchema = Type.Object(
  { ...verifiedRecipientFields, ...AlreadyExisted },
  { description: "The recipient: added, its confirmation mail queued (201), or already there (200)." },
);

export const VerifiedRecipientDeleted: TSchema = Type.Object(
  { ...DeletedMark, id: Uuid, email: Type.String() },
  { description: "The removed recipient." },
);

export const ConfirmationResent: TSchema = Type.Object(
  {
    status: Type.Union([Type.Literal("sent"), Type.Literal("already_confirmed")], {
      description:
        "sent: a new link was mailed (older ones stop working); already_confirmed: nothing was sent.",
    }),
    recipient: VerifiedRecipientRef,
  },
  { description: "What the resend did." },
);

export const ConfirmationPage: TSchema = {
  description: "A page for the address's owner (HTML).",
  content: { "text/html": { schema: { type: "string", contentMediaType: "text/html" } } },
} as unknown as TSchema;
