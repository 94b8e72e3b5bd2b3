import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import {
  APPROVAL_EXPIRIES,
  type ApprovalExpiry,
  ATTACHMENT_EXPOSURE_MODES,
  AUTHORING_MODES,
  FILE_FAMILIES,
  LANGUAGE_MODES,
  POLICY_MODES,
  PROXY_CRITERIA,
  SCANNERS,
} from "../../domain/mailbox-policy.ts";
import { SCAN_DECISIONS } from "../../domain/verdict.ts";
import {
  changeMailbox,
  type MailboxSettings,
  mailbox,
  mailboxesOf,
  openMailbox,
  removeMailbox,
  switchSenderPolicy,
} from "../../tenancy/mailboxes.ts";
import { PageQuery, page } from "../pagination.ts";
import {
  AttachmentAccess,
  described,
  errors,
  listOf,
  MAILBOX_ACCESS,
  MailboxDeleted,
  MailboxRef,
  SenderPolicyChange,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { attachmentPolicyToWire, mailboxToWire } from "../wire.ts";

const DisplayName = Type.String({ maxLength: 200, pattern: "^[^\\r\\n]*$" });

const CreateMailbox = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    display_name: Type.Optional(Type.Union([DisplayName, Type.Null()])),
    domain: Type.Optional(
      Type.String({
        maxLength: 253,
        description:
          "A verified domain of the account, by name or id (`GET /v1/domains`); default: the account's default domain.",
      }),
    ),
  },
  { additionalProperties: false },
);
const OutboundDecision = Type.Union(
  // "review" is the former name of require_human_approval, still accepted and stored under the spec's name.
  [...SCAN_DECISIONS, "review"].map((d) => Type.Literal(d)),
);
const lits = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const Mode = lits(["blocklist", "allowlist"]);

const ScannerPolicyBody = Type.Object(
  {
    language_mode: Type.Optional(lits(LANGUAGE_MODES)),
    disabled_scanners: Type.Optional(Type.Array(lits(SCANNERS), { maxItems: SCANNERS.length * 2 })),
    disabled_proxy_criteria: Type.Optional(
      Type.Array(lits(PROXY_CRITERIA), { maxItems: PROXY_CRITERIA.length * 2 }),
    ),
    outbound_pii_policy: Type.Optional(
      Type.Object(
        {
          ssn: Type.Optional(OutboundDecision),
          credit_card: Type.Optional(OutboundDecision),
          phone_number: Type.Optional(OutboundDecision),
        },
        { additionalProperties: false },
      ),
    ),
    outbound_review_policy: Type.Optional(
      Type.Object(
        {
          approval_note: Type.Optional(
            Type.Union([Type.Literal("optional"), Type.Literal("required_for_sensitive_pii")]),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const PatchMailbox = Type.Object(
  {
    display_name: Type.Optional(Type.Union([DisplayName, Type.Null()])),
    pii_mode: Type.Optional(Type.Union([Type.Literal("passthrough"), Type.Literal("redacted")])),
    /** Validated by hand: its errors name the detector and operator at fault. */
    pii_redaction_config: Type.Optional(Type.Unknown()),
    injection_threshold: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1 }), Type.Null()]),
    ),
    hitl_mode: Type.Optional(
      Type.Union([Type.Literal("disabled"), Type.Literal("all_outbound"), Type.Literal("risky_only")]),
    ),
    scanner_policy: Type.Optional(Type.Union([ScannerPolicyBody, Type.Null()])),
    approval_expiry_hours: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 24 * 90 }), Type.Null()]),
    ),
    approval_expiry: Type.Optional(lits(APPROVAL_EXPIRIES)),
    retention_days: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()])),
    status: Type.Optional(lits(["active", "paused"])),
    recipient_policy_mode: Type.Optional(Mode),
    sender_policy_mode: Type.Optional(Mode),
    agent_send_policy: Type.Optional(lits(["restricted", "open"])),
    force_empty: Type.Optional(Type.Boolean()),
    /** The seed's clients may send it; opening agent sends needs no consent here. */
    confirm_open_human_sends: Type.Optional(Type.Boolean()),
    allow_thread_replies: Type.Optional(Type.Boolean()),
    sandbox: Type.Optional(Type.Boolean()),
    default_subaddress_mode: Type.Optional(lits(["reply_to", "from", "none"])),
    attachment_exposure_mode: Type.Optional(lits(ATTACHMENT_EXPOSURE_MODES)),
    attachment_allowed_file_families: Type.Optional(Type.Array(lits(FILE_FAMILIES), { maxItems: 10 })),
    agent_authoring_mode: Type.Optional(lits(AUTHORING_MODES)),
    apply_policy_mode: Type.Optional(lits(POLICY_MODES)),
    /** Validated by hand, for messages that name the field at fault. */
    send_window: Type.Optional(Type.Unknown()),
    /** Validated by hand, for messages that name the window at fault. */
    send_quotas: Type.Optional(Type.Unknown()),
    inbound_sender_allowlist: Type.Optional(
      Type.Union([Type.Array(Type.String({ maxLength: 320 }), { maxItems: 1000 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export const MailboxParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

export function mailboxRoutes(app: Api, ctx: RouteContext) {
  const tags = ["mailboxes"];
  const wire = (m: Parameters<typeof mailboxToWire>[0]) => mailboxToWire(m, ctx.config.domain);
  const creating = { db: ctx.db, domain: ctx.config.domain, mailboxLimit: ctx.config.mailboxLimit };

  app.post(
    "/v1/mailboxes",
    {
      schema: {
        tags,
        operationId: "createMailbox",
        summary: "Create a mailbox",
        description:
          "Names with authority over the domain (postmaster, abuse, admin, administrator, hostmaster, webmaster, " +
          "security, root, … — see docs/security.md) are the operator's: only the default account may " +
          "create them; other accounts get `403 MAILBOX_NAME_RESERVED` (`bounces` is the service's own). A name a " +
          "deleted mailbox of another account had is never reused: `409 MAILBOX_NAME_RETIRED`; the same account may " +
          "create it again. On a custom domain (`domain`, or the account's default domain) the names are the " +
          "account's own: reserved names are its to create, and a name is unique on its domain. The domain must be " +
          "verified (`409 DOMAIN_NOT_VERIFIED`).",
        body: withExamples(CreateMailbox, { name: "support", display_name: "Support" }),
        response: {
          201: described(MailboxRef, "The new mailbox."),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "MAILBOX_NAME_RESERVED",
            "MAILBOX_NAME_TAKEN",
            "MAILBOX_NAME_RETIRED",
            "MAILBOX_LIMIT_REACHED",
            "NOT_FOUND",
            "DOMAIN_NOT_VERIFIED",
          ),
        },
      },
    },
    async (req, reply) => {
      const row = await openMailbox(creating, principalOf(req), {
        name: req.body.name,
        displayName: req.body.display_name ?? null,
        domain: req.body.domain,
      });
      return reply.status(201).send(wire(row));
    },
  );

  app.get(
    "/v1/mailboxes",
    {
      schema: {
        tags,
        operationId: "listMailboxes",
        summary: "List mailboxes",
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: listOf("mailboxes", MailboxRef, "The mailboxes the key may use, oldest first."),
          ...errors("INSUFFICIENT_SCOPE", "INVALID_CURSOR"),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await mailboxesOf(ctx, principalOf(req), { ...req.query, limit });
      return page("mailboxes", rows, limit, wire, (r) =>
        encodeCursor({ t: r.created_at.toISOString(), i: r.id }),
      );
    },
  );

  app.get(
    "/v1/mailboxes/:id",
    {
      schema: {
        tags,
        operationId: "getMailbox",
        summary: "Get a mailbox by id or name",
        params: MailboxParam,
        response: { 200: described(MailboxRef, "The mailbox."), ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => wire(await mailbox(ctx, principalOf(req), req.params.id)),
  );

  app.patch(
    "/v1/mailboxes/:id",
    {
      schema: {
        tags,
        operationId: "updateMailbox",
        summary: "Update a mailbox's settings (admin)",
        description:
          "`pii_mode`: `passthrough` (default) or `redacted` (inbound subjects and text bodies are read with detected PII " +
          "replaced; HTML withheld; raw MIME for admin keys only). `pii_redaction_config`: per detector " +
          "(EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS, PERSON, US_BANK_NUMBER, " +
          "US_DRIVER_LICENSE, US_ITIN, US_PASSPORT, UK_NHS, MEDICAL_LICENSE, CRYPTO) `{redact, operator: " +
          "{kind: replace_with_type | partial_mask (keep_last 1–6, mask_char) | hash_replace}}`; `{}` or null resets. " +
          "partial_mask for PERSON or EMAIL_ADDRESS is refused with 422. `injection_threshold` (0 < t ≤ 1; null: the " +
          "injection model's default, chosen for at most 1 % false positives on every benign source of its data): inbound " +
          "mail scoring at or above it is quarantined. `hitl_mode`: disabled | all_outbound | risky_only. " +
          "`scanner_policy`: `{outbound_pii_policy: {ssn, credit_card, phone_number: allow | allow_with_warning | " +
          "require_human_approval | quarantine | block}, outbound_review_policy: {approval_note: optional | required_for_sensitive_pii}}` " +
          "(replaces the previous one). `approval_expiry_hours` (default 72): held sends not decided by then are blocked. " +
          "`retention_days` (1–36500, null: the account's): settled mail older than this is deleted by the retention " +
          "job unless a legal hold covers the mailbox or account. " +
          "`send_quotas`: `[{window_seconds, limit}]` (fixed windows from 60 s to 31 days, e.g. 3600 and 86400), limits " +
          "in recipients (a send to ten people uses ten); a send beyond a limit gets `429 RATE_LIMITED`; `[]` removes them. `inbound_sender_allowlist` (write-only, kept for older clients): replaces the mailbox's inbound sender " +
          "allowlist whole — the list `/v1/mailboxes/:id/inbound-allowlist` manages entry by entry; read it there — " +
          "and, unless `sender_policy_mode` is given too, sets the sender policy with it: a list turns allowlist mode " +
          "on, `null` or `[]` empties the list and turns it off.\n\n" +
          "The seed's settings: `status` active | paused (paused: inbound mail is refused for now — SMTP `450 4.2.1`, " +
          "ingest `503 MAILBOX_PAUSED` — and local deliveries to it retry; sends from it get `409 MAILBOX_PAUSED`). " +
          "`recipient_policy_mode` blocklist | allowlist (allowlist: sends to anyone not on the mailbox's allowlist get " +
          "`403 RECIPIENT_NOT_ON_ALLOWLIST`; switching to it with an empty list is `400 ALLOWLIST_EMPTY` unless " +
          "`force_empty: true`); `agent_send_policy` restricted | open is the same switch by its other name (not both in " +
          "one request: `400 CONFLICTING_FIELDS`). `sender_policy_mode` blocklist | allowlist (allowlist: only " +
          "the inbound allowlist's senders get through; switching with an empty list needs `force_empty`, and then " +
          "everyone is blocked; in blocklist mode the list is kept but inert). `allow_thread_replies` (default " +
          "true): in allowlist mode a reply also reaches those who wrote to the mailbox in that thread. " +
          "`sandbox` (default false): sends reach confirmed verified recipients only (`/v1/recipients`); anyone else " +
          "gets `403 RECIPIENT_NOT_VERIFIED`. " +
          "`default_subaddress_mode` none (default) | reply_to | from: outbound mail names the plus-address " +
          "`name+<tag>@domain` in Reply-To or From. `attachment_exposure_mode` metadata_only (default) | " +
          "derived_content | raw_download_selected_types with `attachment_allowed_file_families` (pdf, text, csv, image, " +
          "*): agent keys may read the raw message of inbound mail with attachments only in the last mode, when every " +
          "attachment is of an allowed family (`403 ATTACHMENT_ACCESS_DISABLED`). `scanner_policy.language_mode` " +
          "english_only (mail that looks written in another language is quarantined) | allow_all_languages (default) | " +
          "disabled; `disabled_scanners` (prompt-injection, pii, secrets take effect; attachment-policy, mime-mismatch, " +
          "url-reputation name scanners Postbox does not run); `disabled_proxy_criteria` (prompt_injection turns the " +
          "injection guard off; the others are recorded only); `scanner_policy: null` resets it. Agent policy: " +
          "`agent_authoring_mode` send_and_draft | draft_only | read_only (agent keys refused with `403 " +
          "AGENT_SENDING_DISABLED` / `AGENT_DRAFTING_DISABLED`); `send_window` {timezone, days, start, end, " +
          "outside_action: require_approval | block} or null (agent sends outside it are held for review or refused " +
          "with `403 OUTSIDE_SEND_WINDOW`); `approval_expiry` 24h | 72h | 7d | never; `apply_policy_mode` read_only | " +
          "draft_only | supervised | trusted writes the mode's settings at once (docs/policy.md). Admin keys only.",
        params: MailboxParam,
        body: withExamples(PatchMailbox, {
          pii_mode: "redacted",
          hitl_mode: "risky_only",
          send_quotas: [{ window_seconds: 3600, limit: 100 }],
        }),
        response: {
          200: described(MailboxRef, "The mailbox as changed."),
          ...errors(
            ...MAILBOX_ACCESS,
            "VALIDATION_ERROR",
            "PII_OPERATOR_NOT_ALLOWED",
            "CONFLICTING_FIELDS",
            "ALLOWLIST_EMPTY",
            "INVALID_EMAIL",
          ),
        },
      },
    },
    async (req) => {
      const b = req.body;
      return wire(
        await changeMailbox(ctx, principalOf(req), req.params.id, {
          displayName: b.display_name,
          piiMode: b.pii_mode,
          piiRedactionConfig: b.pii_redaction_config,
          injectionThreshold: b.injection_threshold,
          hitlMode: b.hitl_mode,
          scannerPolicy: b.scanner_policy,
          approvalExpiryHours: b.approval_expiry_hours,
          approvalExpiry: b.approval_expiry as ApprovalExpiry | undefined,
          sendQuotas: b.send_quotas,
          inboundSenderAllowlist: b.inbound_sender_allowlist,
          status: b.status as MailboxSettings["status"],
          recipientPolicyMode: b.recipient_policy_mode as MailboxSettings["recipientPolicyMode"],
          senderPolicyMode: b.sender_policy_mode as MailboxSettings["senderPolicyMode"],
          agentSendPolicy: b.agent_send_policy as MailboxSettings["agentSendPolicy"],
          forceEmpty: b.force_empty,
          allowThreadReplies: b.allow_thread_replies,
          sandbox: b.sandbox,
          defaultSubaddressMode: b.default_subaddress_mode as MailboxSettings["defaultSubaddressMode"],
          attachmentExposureMode: b.attachment_exposure_mode as MailboxSettings["attachmentExposureMode"],
          attachmentAllowedFileFamilies: b.attachment_allowed_file_families,
          agentAuthoringMode: b.agent_authoring_mode as MailboxSettings["agentAuthoringMode"],
          sendWindow: b.send_window,
          applyPolicyMode: b.apply_policy_mode as MailboxSettings["applyPolicyMode"],
          retentionDays: b.retention_days,
        }),
      );
    },
  );

  app.patch(
    "/v1/mailboxes/:id/sender-policy",
    {
      schema: {
        tags,
        operationId: "setSenderPolicy",
        summary: "Switch a mailbox's inbound sender policy between blocklist and allowlist (admin)",
        description:
          "`blocklist` (default): mail from anyone not on the account's inbound blocklist gets through. `allowlist`: only " +
          "senders on the mailbox's `inbound_sender_allowlist`; the others are blocked by the firewall (state `blocked`, " +
          "`firewall_block.reason_code` SENDER_NOT_ON_ALLOWLIST). Switching to allowlist with an empty list is refused " +
          "with `400 ALLOWLIST_EMPTY` unless `force_empty: true` (then every sender is blocked). The list is kept when " +
          "switching back to blocklist.",
        params: MailboxParam,
        body: withExamples(
          Type.Object(
            { mode: Mode, force_empty: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          { mode: "allowlist" },
        ),
        response: { 200: SenderPolicyChange, ...errors(...MAILBOX_ACCESS, "ALLOWLIST_EMPTY") },
      },
    },
    async (req) => {
      const r = await switchSenderPolicy(
        ctx,
        principalOf(req),
        req.params.id,
        req.body.mode as MailboxSettings["senderPolicyMode"] & string,
        req.body.force_empty,
      );
      return {
        mailbox_id: r.mailbox.id,
        sender_policy_mode: req.body.mode,
        previous_mode: r.previous,
        changed_at: r.changedAt.toISOString(),
      };
    },
  );

  app.post(
    "/v1/mailboxes/:id/attachment-access",
    {
      schema: {
        tags,
        operationId: "setAttachmentAccess",
        summary: "Set what agent keys may read of attachments, and whether the mailbox sends them (admin)",
        description:
          "`mode`: metadata_only (default: agents see each attachment's description only; its bytes and text need an " +
          "admin key), derived_content (agents may also read its extracted text, GET …/attachments/:index/preview), or " +
          "raw_download_selected_types with `allowed_file_families` (pdf, text, csv, image, *): agents may also " +
          "download attachments of those families that were delivered (not blocked, held or of an unknown type). " +
          "`image` needs `accept_image_risk_version` equal to `current_image_risk_version` (once; `400 " +
          "IMAGE_RISK_ACCEPTANCE_REQUIRED` otherwise) and `*` never covers images. `enable: false` goes back to " +
          "metadata_only. `outbound_enabled` lets sends carry attachments (`attachment_ids`); images also need " +
          "`accept_outbound_image_disclaimer_version`. `accept_disclaimer_version` is accepted and ignored.",
        params: MailboxParam,
        body: withExamples(
          Type.Object(
            {
              mode: Type.Optional(lits(ATTACHMENT_EXPOSURE_MODES)),
              allowed_file_families: Type.Optional(Type.Array(lits(FILE_FAMILIES), { maxItems: 10 })),
              accept_disclaimer_version: Type.Optional(Type.String({ maxLength: 100 })),
              accept_image_risk_version: Type.Optional(Type.String({ maxLength: 100 })),
              enable: Type.Optional(Type.Boolean()),
              outbound_enabled: Type.Optional(Type.Boolean()),
              accept_outbound_image_disclaimer_version: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          { mode: "raw_download_selected_types", allowed_file_families: ["pdf", "csv"] },
        ),
        response: {
          200: AttachmentAccess,
          ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "IMAGE_RISK_ACCEPTANCE_REQUIRED"),
        },
      },
    },
    async (req) => {
      const b = req.body;
      const mode = b.enable === false ? "metadata_only" : b.mode;
      const row = await changeMailbox(ctx, principalOf(req), req.params.id, {
        attachmentExposureMode: mode as MailboxSettings["attachmentExposureMode"],
        attachmentAllowedFileFamilies: b.enable === false ? undefined : b.allowed_file_families,
        acceptImageRiskVersion: b.accept_image_risk_version,
        outboundAttachmentsEnabled: b.outbound_enabled,
        acceptOutboundImageDisclaimerVersion: b.accept_outbound_image_disclaimer_version,
      });
      return {
        mailbox_id: row.id,
        mode: row.attachment_exposure_mode,
        allowed_file_families: row.attachment_allowed_file_families,
        ...attachmentPolicyToWire(row),
      };
    },
  );

  app.delete(
    "/v1/mailboxes/:id",
    {
      schema: {
        tags,
        operationId: "deleteMailbox",
        summary: "Delete a mailbox (its address stops receiving)",
        description:
          "Everything still to be done in its name is cancelled in the same transaction: unsent and scheduled " +
          "drafts (state `cancelled`), queued deliveries of its mail (state `cancelled`, with the reason), its rules " +
          "and queued rule runs. Its name stays with this account: no other account can take it. A legal hold on the " +
          "mailbox or the account refuses the deletion (`409 LEGAL_HOLD_ACTIVE`).",
        params: MailboxParam,
        response: { 200: MailboxDeleted, ...errors(...MAILBOX_ACCESS, "LEGAL_HOLD_ACTIVE") },
      },
    },
    async (req) => {
      const { mailbox: mb, done } = await removeMailbox(ctx, principalOf(req), req.params.id);
      ctx.logger.info("mailbox deleted", { mailbox_id: mb.id, name: mb.name, ...done });
      return { ...wire(mb), status: "deleted", deleted: true, cancelled: done };
    },
  );
}
