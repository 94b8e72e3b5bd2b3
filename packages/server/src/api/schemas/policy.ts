import { type TSchema, Type } from "typebox";
import { component, Nullable, OneOf, Strings, Timestamp, Uuid } from "./common.ts";
import { MailPolicyRef } from "./governance.ts";
import { AttachmentConsents } from "./mailboxes.ts";
import { EmailEffectRef } from "./messages.ts";

// routes/policies.ts (the policy read model, the send preview), routes/accounts.ts (the account policy),
// routes/mailboxes.ts (sender policy, attachment access), routes/simulator.ts.

export const PolicyReadModelRef: TSchema = component(
  "PolicyReadModel",
  Type.Object(
    {
      mailbox_id: Uuid,
      policy_mode: OneOf(["read_only", "draft_only", "supervised", "trusted", "custom"]),
      enforcement: Type.Object(
        { risky_only: Type.String(), send_window: Type.String() },
        { description: "Whether each control binds (`enforce`): every stored control does on this server." },
      ),
      last_applied_policy_mode: Nullable(Type.String()),
      agent_authoring_mode: OneOf(["send_and_draft", "draft_only", "read_only"]),
      agent_send_policy: OneOf(["open", "restricted"]),
      restricted_by: Nullable(Type.String()),
      hitl_mode: OneOf(["disabled", "all_outbound", "risky_only"]),
      approval_expiry: Nullable(Type.String({ description: "24h | 72h | 7d | never, or the hours" })),
      approval_expiry_hours: Nullable(Type.Integer()),
      send_window: Nullable(Type.Object({}, { description: "{timezone, days, start, end, outside_action}" })),
      allow_thread_replies: Type.Boolean(),
      recipient_policy_mode: OneOf(["blocklist", "allowlist"]),
      sender_policy_mode: OneOf(["blocklist", "allowlist"]),
      latest_revision_id: Nullable(Type.String()),
      binding: Type.Object({
        scope: OneOf(["admin", "agent"]),
        permitted_verbs: Strings,
      }),
      policy: Nullable(MailPolicyRef, {
        description: "The MailPolicy document; null: the mailbox accepts everything.",
      }),
      updated_at: Nullable(Timestamp),
      warnings: Type.Optional(
        Type.Array(Type.String(), { description: "After a PUT: accepted, but worth a look." }),
      ),
    },
    { description: "A mailbox's policy: the agent policy read model and its MailPolicy document." },
  ),
);

export const PolicyPreviewRef: TSchema = component(
  "PolicyPreview",
  Type.Object(
    {
      mailbox_id: Uuid,
      result: Type.Union(["passes_all_checks_run", "would_hold", "would_block"].map((r) => Type.Literal(r))),
      result_summary: Type.String(),
      content_scan_run: Type.Boolean(),
      email_effect: EmailEffectRef,
      trace: Type.Array(
        Type.Object({
          gate: Type.String({
            description:
              "authoring, recipient_authority, send_window, content_scan, human_review, send_budget",
          }),
          outcome: Type.Union(
            ["pass", "would_hold", "would_block", "not_run", "skipped"].map((r) => Type.Literal(r)),
          ),
          reason: Type.String(),
          details: Type.Object({}),
        }),
      ),
      budget: Type.Object({
        limit: Type.Integer(),
        remaining: Type.Integer(),
        warmup_applied: Type.Boolean(),
      }),
    },
    { description: "What the send gates would do to an agent's send; nothing is recorded." },
  ),
);

export const AccountPolicyRef: TSchema = component(
  "AccountPolicy",
  Type.Object(
    {
      custom_daily_send_limit: Nullable(Type.Integer(), {
        description: "The account's own daily cap; null: the operator's default.",
      }),
      daily_send_limit: Type.Integer({ description: "The daily cap in force." }),
      default_policy_mode: Nullable(Type.String()),
      resolved_default_policy_mode: Nullable(Type.String()),
      sandbox: Type.Boolean({
        description:
          "Sandbox mode: every mailbox of the account sends to confirmed verified recipients only.",
      }),
      retention_days: Nullable(Type.Integer(), {
        description: "Days settled mail is kept in mailboxes that set none; null: the operator's default.",
      }),
      effective_retention_days: Type.Integer({
        description: "The account's retention in force (its own, or POSTBOX_RETENTION_DAYS).",
      }),
    },
    {
      description: "The account's daily send cap, the mode new mailboxes start in, and its mail's retention.",
    },
  ),
);

export const SenderPolicyChange: TSchema = Type.Object(
  {
    mailbox_id: Uuid,
    sender_policy_mode: OneOf(["blocklist", "allowlist"]),
    previous_mode: Type.String(),
    changed_at: Timestamp,
  },
  { description: "The mailbox's inbound sender policy now, and before." },
);

export const AttachmentAccess: TSchema = Type.Object(
  {
    mailbox_id: Uuid,
    mode: OneOf(["metadata_only", "derived_content", "raw_download_selected_types"]),
    allowed_file_families: Strings,
    ...AttachmentConsents,
  },
  { description: "What agent keys may read of attachments now, and the mailbox's attachment consents." },
);

export const SimulatorResultRef: TSchema = component(
  "SimulatorResult",
  Type.Object(
    {
      status: Type.Union(["available", "quarantined", "blocked", "pending"].map((s) => Type.Literal(s))),
      message_id: Type.String(),
      state: Type.String(),
    },
    { description: "Where processing left the synthetic message (pending: still being processed)." },
  ),
);
