import { type TSchema, Type } from "typebox";
import { component, DeletedMark, listOf, Nullable, Strings, Timestamp, Uuid } from "./common.ts";

// routes/recipients.ts (suppressions, allowlists, quotas) and routes/moderation.ts (the inbound blocklist).

const Reason = Type.Union(["hard_bounce", "complaint", "manual", "unsubscribe"].map((r) => Type.Literal(r)));

const suppressionFields = {
  email: Type.String({ description: 'An address, or a bare domain "@corp.com".' }),
  reason: Reason,
  source: Nullable(Type.String()),
  detail: Nullable(Type.String()),
  expires_at: Nullable(Timestamp, { description: "Null: permanent." }),
  created_at: Timestamp,
};

export const SuppressionRef: TSchema = component(
  "Suppression",
  Type.Object(suppressionFields, { description: "An address or domain sends are refused to." }),
);

export const SuppressionList: TSchema = listOf(
  "suppressions",
  SuppressionRef,
  "Sorted by address; `next_cursor` is the last address of the page.",
);

export const SuppressionAdded: TSchema = Type.Object(
  { email: Type.String(), reason: Reason, created: Type.Boolean(), already_existed: Type.Boolean() },
  { description: "What was added (201), or that it was already there (200)." },
);

export const SuppressionDeleted: TSchema = Type.Object(
  { ...DeletedMark, ...suppressionFields },
  { description: "The removed suppression." },
);

export const BulkResultRef: TSchema = component(
  "BulkResult",
  Type.Object(
    {
      added: Strings,
      already_existed: Strings,
      invalid: Type.Array(Type.Object({ email: Type.String(), reason: Type.String() })),
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

export const AllowlistEntryRef: TSchema = component(
  "AllowlistEntry",
  Type.Object(
    { email: Type.String(), mailbox_id: Uuid, created_at: Timestamp },
    { description: "A recipient (address or @domain) a mailbox in allowlist mode may send to." },
  ),
);

export const AllowlistView: TSchema = listOf(
  "allowlist",
  AllowlistEntryRef,
  "The mailbox's recipient policy and allowlist.",
  {
    mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
  },
);

export const AllowlistAdded: TSchema = Type.Object(
  { email: Type.String(), created: Type.Boolean(), already_existed: Type.Boolean() },
  { description: "What was added (201), or that it was already there (200)." },
);

export const AllowlistDeleted: TSchema = Type.Object(
  { ...DeletedMark, email: Type.String(), mailbox_id: Uuid, created_at: Timestamp },
  { description: "The removed entry." },
);

export const RecipientPolicy: TSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
    allowlist_size: Type.Integer(),
  },
  { description: "The mailbox's recipient policy now." },
);

export const BlockedAttempts: TSchema = listOf(
  "attempts",
  Type.Object({
    email: Type.String(),
    id: Type.Optional(Type.String()),
    api_key_id: Type.Optional(Nullable(Uuid)),
    created_at: Type.Optional(Timestamp),
    attempts: Type.Optional(
      Type.Integer({ description: "aggregate=true: refused attempts to this recipient." }),
    ),
    first_attempt_at: Type.Optional(Timestamp),
    last_attempt_at: Type.Optional(Timestamp),
  }),
  "Refused sends, newest first; with aggregate=true one row per recipient with counts.",
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
  address: Type.String({ description: "The same as email." }),
  pattern_type: Type.Union([Type.Literal("email"), Type.Literal("domain")]),
  reason: Nullable(Type.String()),
  source: Type.String(),
  created_at: Timestamp,
};

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
