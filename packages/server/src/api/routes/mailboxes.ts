import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import { SCAN_DECISIONS } from "../../domain/verdict.ts";
import { changeMailbox, mailbox, mailboxesOf, openMailbox, removeMailbox } from "../../tenancy/mailboxes.ts";
import { PageQuery, page } from "../pagination.ts";
import {
  described,
  errors,
  listOf,
  MAILBOX_ACCESS,
  MailboxDeleted,
  MailboxRef,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { mailboxToWire } from "../wire.ts";

const DisplayName = Type.String({ maxLength: 200, pattern: "^[^\\r\\n]*$" });

const CreateMailbox = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    display_name: Type.Optional(Type.Union([DisplayName, Type.Null()])),
  },
  { additionalProperties: false },
);
const OutboundDecision = Type.Union(
  // "review" is the former name of require_human_approval, still accepted and stored under the spec's name.
  [...SCAN_DECISIONS, "review"].map((d) => Type.Literal(d)),
);
const ScannerPolicyBody = Type.Object(
  {
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
    scanner_policy: Type.Optional(ScannerPolicyBody),
    approval_expiry_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 90 })),
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
  const creating = { db: ctx.db, domain: ctx.config.domain };

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
          "create it again.",
        body: withExamples(CreateMailbox, { name: "support", display_name: "Support" }),
        response: {
          201: described(MailboxRef, "The new mailbox."),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "MAILBOX_NAME_RESERVED",
            "MAILBOX_NAME_TAKEN",
            "MAILBOX_NAME_RETIRED",
          ),
        },
      },
    },
    async (req, reply) => {
      const row = await openMailbox(creating, principalOf(req), {
        name: req.body.name,
        displayName: req.body.display_name ?? null,
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
        summary: "Update a mailbox: display name, PII mode and redaction settings",
        description:
          "`pii_mode`: `passthrough` (default) or `redacted` (inbound subjects and text bodies are read with detected PII " +
          "replaced; HTML withheld; raw MIME for admin keys only). `pii_redaction_config`: per detector " +
          "(EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS, PERSON) `{redact, operator: " +
          "{kind: replace_with_type | partial_mask (keep_last 1–6, mask_char) | hash_replace}}`; `{}` resets. " +
          "partial_mask for PERSON or EMAIL_ADDRESS is refused with 422. `injection_threshold` (0 < t ≤ 1; null: the " +
          "injection model's default, chosen for at most 1 % false positives on every benign source of its data): inbound " +
          "mail scoring at or above it is quarantined. `hitl_mode`: disabled | all_outbound | risky_only. " +
          "`scanner_policy`: `{outbound_pii_policy: {ssn, credit_card, phone_number: allow | allow_with_warning | " +
          "require_human_approval | quarantine | block}, outbound_review_policy: {approval_note: optional | required_for_sensitive_pii}}` " +
          "(replaces the previous one). `approval_expiry_hours` (default 72): held sends not decided by then are blocked. " +
          "`send_quotas`: `[{window_seconds, limit}]` (fixed windows from 60 s to 31 days, e.g. 3600 and 86400), limits " +
          "in recipients (a send to ten people uses ten); a send beyond a limit gets `429 RATE_LIMITED`; `[]` removes them. `inbound_sender_allowlist`: addresses or bare domains (@corp.com); when set, mail from " +
          "anyone else is blocked before the MailPolicy runs (and audited); `null` or `[]` turns it off.",
        params: MailboxParam,
        body: withExamples(PatchMailbox, {
          pii_mode: "redacted",
          hitl_mode: "risky_only",
          send_quotas: [{ window_seconds: 3600, limit: 100 }],
        }),
        response: {
          200: described(MailboxRef, "The mailbox as changed."),
          ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "PII_OPERATOR_NOT_ALLOWED"),
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
          sendQuotas: b.send_quotas,
          inboundSenderAllowlist: b.inbound_sender_allowlist,
        }),
      );
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
          "and queued rule runs. Its name stays with this account: no other account can take it.",
        params: MailboxParam,
        response: { 200: MailboxDeleted, ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => {
      const { mailbox: mb, done } = await removeMailbox(ctx, principalOf(req), req.params.id);
      ctx.logger.info("mailbox deleted", { mailbox_id: mb.id, name: mb.name, ...done });
      return { ...wire(mb), status: "deleted", deleted: true, cancelled: done };
    },
  );
}
