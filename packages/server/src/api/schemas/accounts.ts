import { type TSchema, Type } from "typebox";
import { component, listOf, Nullable, Timestamp, Uuid } from "./common.ts";

// routes/accounts.ts, routes/api-keys.ts (api/wire.ts apiKeyToWire).

const Role = Type.Union([Type.Literal("admin"), Type.Literal("agent"), Type.Literal("ingest")]);

const accountFields = {
  id: Uuid,
  name: Type.String(),
  is_default: Type.Boolean({ description: "The operator's account, created at first start." }),
  created_at: Timestamp,
};

export const AccountRef: TSchema = component(
  "Account",
  Type.Object(accountFields, { description: "An account (tenant)." }),
);

export const OwnAccount: TSchema = Type.Object(
  {
    account_id: Uuid,
    ...accountFields,
    email: Type.Null({ description: "A self-hosted account has no sign-up e-mail." }),
    status: Type.Literal("active"),
    tier: Type.String({ description: "`self_hosted`." }),
  },
  { description: "The calling key's account." },
);

export const CreatedAccount: TSchema = Type.Object(
  {
    ...accountFields,
    admin_key: Type.String({ description: "The new account's first admin key. Shown once." }),
    admin_key_id: Uuid,
  },
  { description: "The new account and its first admin key." },
);

export const DeletedAccount: TSchema = component(
  "AccountDeletion",
  Type.Object(
    {
      status: Type.Literal("deleted"),
      message: Type.String({ description: "What happened, in a sentence (the seed's CLI prints it)." }),
      account_id: Uuid,
      deleted_at: Timestamp,
      keys_revoked: Type.Integer({ description: "Keys revoked, the calling key among them." }),
      mailboxes_deleted: Type.Integer(),
      domains_released: Type.Array(Type.String(), {
        description: "Custom domains removed from the account: another account may add them now.",
      }),
      webhooks_deleted: Type.Integer(),
      verified_recipients_deleted: Type.Integer(),
      purge: Type.Literal("pending", {
        description:
          "Stored mail, threads, events, audit chains and lists are deleted by the worker shortly after (a minute); " +
          "raw message bytes by the next blob sweep.",
      }),
    },
    { description: "An account deleted: every key revoked, its data being purged." },
  ),
);

export const AccountList: TSchema = listOf("accounts", AccountRef, "Every account.");

export const KeyIdentity: TSchema = Type.Object(
  {
    account_id: Uuid,
    api_key_id: Uuid,
    role: Role,
    label: Nullable(Type.String()),
    mailbox_ids: Type.Array(Uuid, {
      description: "The mailboxes an agent key is bound to ([] for other roles).",
    }),
    url_reputation: Type.Object({
      active: Type.Boolean(),
      accepted_version: Nullable(Type.String()),
      current_version: Type.String(),
      privacy_ok: Type.Boolean(),
    }),
  },
  { description: "Who the calling key is." },
);

export const Usage: TSchema = Type.Object(
  {
    today: Type.Object({
      count: Type.Integer(),
      limit: Type.Integer(),
      day: Type.String({ format: "date" }),
    }),
    history: Type.Array(Type.Object({ day: Type.String({ format: "date" }), count: Type.Integer() })),
    mailbox_count: Type.Integer(),
    mailbox_limit: Nullable(
      Type.Integer({ description: "POSTBOX_MAILBOX_LIMIT: live mailboxes per account." }),
    ),
    pending_review_count: Type.Integer(),
    storage: Type.Object({
      used_bytes: Type.Integer(),
      limit_bytes: Type.Null(),
      percent_used: Type.Null(),
      state: Type.Union([
        Type.Literal("normal"),
        Type.Literal("warning"),
        Type.Literal("near_full"),
        Type.Literal("over_limit"),
      ]),
      breakdown: Type.Object({
        raw_mime_bytes: Type.Integer({ description: "The stored raw messages, each copy counted." }),
        attachment_bytes: Type.Integer({
          description: "The decoded attachments, kept inside the raw messages (part of raw_mime_bytes).",
        }),
        derivative_bytes: Type.Integer({
          description: "Text and HTML bodies parsed out of the raw messages, kept for reading and search.",
        }),
      }),
    }),
    tier: Type.String({ description: "sandbox (the account is in sandbox mode) | self_hosted" }),
  },
  { description: "Sends today (in recipients) and over 30 days, mailboxes, held sends, stored bytes." },
);

const apiKeyFields = {
  id: Uuid,
  prefix: Type.String({ description: "`pbx_live_<key id>`: enough to recognise a key, not to use it." }),
  status: Type.Union([Type.Literal("active"), Type.Literal("revoked")]),
  role: Role,
  label: Nullable(Type.String()),
  mailbox_ids: Type.Array(Uuid),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
};

export const ApiKeyRef: TSchema = component(
  "ApiKey",
  Type.Object(apiKeyFields, { description: "An API key (never its secret)." }),
);

export const CreatedApiKey: TSchema = Type.Object(
  { ...apiKeyFields, api_key: Type.String({ description: "The full key. Shown once: store it now." }) },
  { description: "The new key, with its secret (shown once)." },
);

export const RotatedApiKey: TSchema = Type.Object(
  {
    ...apiKeyFields,
    api_key: Type.String({ description: "The new key. Shown once." }),
    replaces: Uuid,
  },
  { description: "The new key; the calling key is revoked." },
);

export const ApiKeyList: TSchema = listOf("keys", ApiKeyRef, "The account's keys.");
