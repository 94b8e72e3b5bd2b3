import { type TSchema, Type } from "typebox";
import { SCAN_DECISIONS } from "../../domain/verdict.ts";
import { component, DeletedMark, Nullable, OneOf, Strings, Timestamp, Uuid } from "./common.ts";

// api/wire.ts mailboxToWire, and what the mailbox routes answer around it.

const OutboundDecision = Type.Union([...SCAN_DECISIONS, "review"].map((d) => Type.Literal(d)));

const PiiOperator = Type.Object({
  kind: Type.Union([
    Type.Literal("replace_with_type"),
    Type.Literal("partial_mask"),
    Type.Literal("hash_replace"),
  ]),
  keep_last: Type.Optional(Type.Integer()),
  mask_char: Type.Optional(Type.String()),
});

/** The attachment consents a mailbox response reports (also the answer of POST …/attachment-access). */
export const AttachmentConsents = {
  image_raw_download_confirmed: Type.Boolean({
    description:
      "Agents may download images raw: `image` is allowed and the current image-risk text accepted.",
  }),
  current_image_risk_version: Type.String(),
  attachment_image_access_accepted_at: Nullable(Timestamp),
  attachment_image_access_accepted_version: Nullable(Type.String()),
  outbound_attachments_enabled: Type.Boolean({
    description: "Sends may carry attachments (attachment_ids).",
  }),
  outbound_image_disclaimer_accepted: Type.Boolean({
    description: "Sends may carry images: the current outbound image disclaimer was accepted.",
  }),
  current_outbound_image_disclaimer_version: Type.String(),
};

export const MailboxRef: TSchema = component(
  "Mailbox",
  Type.Object(
    {
      id: Uuid,
      name: Type.String({ description: "The local part of its address." }),
      address: Type.String({ description: "`name@domain`." }),
      domain: Type.String({
        description:
          "The domain the mailbox lives on: a custom domain of the account, or the installation's.",
      }),
      display_name: Nullable(Type.String()),
      pii_mode: Type.Union([Type.Literal("passthrough"), Type.Literal("redacted")]),
      pii_redaction_config: Type.Record(
        Type.String(),
        Type.Object({ redact: Type.Optional(Type.Boolean()), operator: Type.Optional(PiiOperator) }),
        {
          description:
            "Per detector (EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, CRYPTO, …; docs/safety.md lists all " +
            "fourteen): whether and how it is redacted.",
        },
      ),
      injection_threshold: Type.Number({
        description:
          "Inbound mail scoring at or above it is quarantined: the mailbox's own, or the model's default.",
      }),
      injection_threshold_is_default: Type.Boolean(),
      hitl_mode: Type.Union([
        Type.Literal("disabled"),
        Type.Literal("all_outbound"),
        Type.Literal("risky_only"),
      ]),
      scanner_policy: Type.Object({
        language_mode: Type.Optional(OneOf(["english_only", "allow_all_languages", "disabled"])),
        disabled_scanners: Type.Optional(Strings),
        disabled_proxy_criteria: Type.Optional(Strings),
        outbound_pii_policy: Type.Optional(
          Type.Object({
            ssn: Type.Optional(OutboundDecision),
            credit_card: Type.Optional(OutboundDecision),
            phone_number: Type.Optional(OutboundDecision),
          }),
        ),
        outbound_review_policy: Type.Optional(
          Type.Object({
            approval_note: Type.Optional(
              Type.Union([Type.Literal("optional"), Type.Literal("required_for_sensitive_pii")]),
            ),
          }),
        ),
      }),
      approval_expiry_hours: Nullable(Type.Integer({ description: "Null: held sends never expire." })),
      retention_days: Nullable(
        Type.Integer({ description: "Days settled mail is kept; null: the account's retention." }),
      ),
      recipient_policy: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
      send_quotas: Type.Array(Type.Object({ window_seconds: Type.Integer(), limit: Type.Integer() })),
      status: OneOf(["active", "paused", "deleted"]),
      effective_from_display: Type.String({
        description: "What recipients see in From: display name or name.",
      }),
      approval_expiry: Nullable(Type.String({ description: "24h | 72h | 7d | never, or the hours." })),
      recipient_policy_mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
      sender_policy_mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
      allow_thread_replies: Type.Boolean(),
      sandbox: Type.Boolean({
        description:
          "Sends reach confirmed verified recipients only (so do a sandboxed account's mailboxes').",
      }),
      agent_authoring_mode: OneOf(["send_and_draft", "draft_only", "read_only"]),
      agent_send_policy: OneOf(["open", "restricted"]),
      restricted_by: Nullable(Type.String()),
      agent_send_containment: Type.Boolean({
        description: "Always false: sends are restricted by the allowlist.",
      }),
      policy_mode: OneOf(["read_only", "draft_only", "supervised", "trusted", "custom"]),
      send_window: Nullable(
        Type.Object({}, { description: "{timezone, days, start, end, outside_action}; null: no window." }),
      ),
      default_subaddress_mode: OneOf(["none", "reply_to", "from"]),
      attachment_exposure_mode: OneOf(["metadata_only", "derived_content", "raw_download_selected_types"]),
      attachment_allowed_file_families: Strings,
      ...AttachmentConsents,
      created_at: Timestamp,
      updated_at: Timestamp,
    },
    {
      description: "A mailbox: an address agents read and send from, with its safety settings.",
      examples: [
        {
          id: "2c9f6b1e-7d4a-4e3b-9a8c-1f2e3d4c5b6a",
          name: "support",
          address: "support@mail.example.com",
          domain: "mail.example.com",
          display_name: "Support",
          pii_mode: "passthrough",
          pii_redaction_config: {},
          injection_threshold: 0.62,
          injection_threshold_is_default: true,
          hitl_mode: "disabled",
          scanner_policy: {},
          approval_expiry_hours: 72,
          retention_days: null,
          recipient_policy: "blocklist",
          send_quotas: [],
          status: "active",
          effective_from_display: "Support",
          approval_expiry: "72h",
          recipient_policy_mode: "blocklist",
          sender_policy_mode: "blocklist",
          allow_thread_replies: true,
          sandbox: false,
          agent_authoring_mode: "send_and_draft",
          agent_send_policy: "open",
          restricted_by: null,
          agent_send_containment: false,
          policy_mode: "custom",
          send_window: null,
          default_subaddress_mode: "none",
          attachment_exposure_mode: "metadata_only",
          attachment_allowed_file_families: [],
          image_raw_download_confirmed: false,
          current_image_risk_version: "2026-11-image-risk-v1",
          attachment_image_access_accepted_at: null,
          attachment_image_access_accepted_version: null,
          outbound_attachments_enabled: false,
          outbound_image_disclaimer_accepted: false,
          current_outbound_image_disclaimer_version: "2026-11-outbound-image-v1",
          created_at: "2026-11-22T10:00:00.000Z",
          updated_at: "2026-11-22T10:00:00.000Z",
        },
      ],
    },
  ),
);

export const MailboxDeleted: TSchema = Type.Intersect(
  [
    MailboxRef,
    Type.Object({
      ...DeletedMark,
      cancelled: Type.Object({
        drafts_cancelled: Type.Integer(),
        deliveries_cancelled: Type.Integer(),
        rule_jobs_dropped: Type.Integer(),
      }),
    }),
  ],
  { description: "The deleted mailbox, and what of its pending work was cancelled." },
);
