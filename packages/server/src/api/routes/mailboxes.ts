import { Type } from "typebox";
import { mailboxNameProblem } from "../../domain/address.ts";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { AppError, validation } from "../../domain/errors.ts";
import { type RedactionConfig, validateRedactionConfig } from "../../domain/pii/redact.ts";
import { requireRole } from "../../domain/principal.ts";
import { parseEntry, type QuotaWindow, quotaProblems } from "../../domain/recipient-controls.ts";
import { reservationOf, reservedNameProblem } from "../../domain/reserved-names.ts";
import { defaultAccount } from "../../store/accounts.ts";
import {
  createMailbox,
  deleteMailbox,
  listMailboxes,
  type ScannerPolicy,
  updateMailbox,
} from "../../store/mailboxes.ts";
import { mailboxFor } from "../../tenancy/access.ts";
import { PageQuery, page } from "../pagination.ts";
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
  ["allow", "allow_with_warning", "review", "quarantine", "block"].map((d) => Type.Literal(d)),
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

  app.post(
    "/v1/mailboxes",
    {
      schema: {
        tags,
        summary: "Create a mailbox",
        description:
          "Names with authority over the domain (postmaster, abuse, admin, administrator, hostmaster, webmaster, " +
          "security, root, … — see docs/security.md) are the operator's: only the default account may " +
          "create them; other accounts get `403 MAILBOX_NAME_RESERVED` (`bounces` is the service's own). A name a " +
          "deleted mailbox of another account had is never reused: `409 MAILBOX_NAME_RETIRED`; the same account may " +
          "create it again.",
        body: CreateMailbox,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const name = req.body.name;
      const problem = mailboxNameProblem(name);
      if (problem) throw validation(problem, [`body.${problem}`]);
      const operator = (await defaultAccount(ctx.db))?.id === p.accountId;
      const reserved = reservedNameProblem(name, operator);
      if (reserved)
        throw new AppError(403, "MAILBOX_NAME_RESERVED", reserved, {
          name,
          reserved_for: reservationOf(name)!.holder,
        });
      const created = await createMailbox(ctx.db, {
        accountId: p.accountId,
        name,
        displayName: req.body.display_name ?? null,
        // The operator may take back a reserved name a tenant held before it was reserved.
        takeOver: operator && reservationOf(name) !== null,
      });
      if (!created.ok && created.reason === "retired")
        throw new AppError(
          409,
          "MAILBOX_NAME_RETIRED",
          `the address ${name}@${ctx.config.domain} belonged to a deleted mailbox of another account; names are ` +
            "never handed to a new owner (mail meant for the old one would reach you). Choose another name",
        );
      if (!created.ok)
        throw new AppError(
          409,
          "MAILBOX_NAME_TAKEN",
          `the address ${name}@${ctx.config.domain} is already taken`,
        );
      const row = created.mailbox;
      return reply.status(201).send(wire(row));
    },
  );

  app.get(
    "/v1/mailboxes",
    {
      schema: {
        tags,
        summary: "List mailboxes",
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const limit = req.query.limit ?? 50;
      const after = req.query.cursor ? decodeCursor(req.query.cursor, { t: "timestamp", i: "uuid" }) : null;
      const rows = await listMailboxes(ctx.db, p.accountId, {
        limit: limit + 1,
        after: after ? { createdAt: after.t, id: after.i } : undefined,
        onlyIds: p.role === "agent" ? p.mailboxIds : undefined,
      });
      return page(rows, limit, wire, (r) => encodeCursor({ t: r.created_at.toISOString(), i: r.id }));
    },
  );

  app.get(
    "/v1/mailboxes/:id",
    { schema: { tags, summary: "Get a mailbox by id or name", params: MailboxParam } },
    async (req) => wire(await mailboxFor(ctx.db, principalOf(req), req.params.id)),
  );

  app.patch(
    "/v1/mailboxes/:id",
    {
      schema: {
        tags,
        summary: "Update a mailbox: display name, PII mode and redaction settings",
        description:
          "`pii_mode`: `passthrough` (default) or `redacted` (inbound subjects and text bodies are read with detected PII " +
          "replaced; HTML withheld; raw MIME for admin keys only). `pii_redaction_config`: per detector " +
          "(EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS, PERSON) `{redact, operator: " +
          "{kind: replace_with_type | partial_mask (keep_last 1–6, mask_char) | hash_replace}}`; `{}` resets. " +
          "partial_mask for PERSON or EMAIL_ADDRESS is refused with 422. `injection_threshold` (0 < t ≤ 1; null: the " +
          "injection model's default, chosen for at most 1 % false positives on every benign source of its data): inbound " +
          "mail scoring at or above it is quarantined. `hitl_mode`: disabled | all_outbound | risky_only. " +
          "`scanner_policy`: `{outbound_pii_policy: {ssn, credit_card, phone_number: allow | allow_with_warning | review | " +
          "quarantine | block}, outbound_review_policy: {approval_note: optional | required_for_sensitive_pii}}` " +
          "(replaces the previous one). `approval_expiry_hours` (default 72): held sends not decided by then are blocked. " +
          "`send_quotas`: `[{window_seconds, limit}]` (fixed windows from 60 s to 31 days, e.g. 3600 and 86400), limits " +
          "in recipients (a send to ten people uses ten); a send beyond a limit gets `429 RATE_LIMITED`; `[]` removes them. `inbound_sender_allowlist`: addresses or bare domains (@corp.com); when set, mail from " +
          "anyone else is blocked before the MailPolicy runs (and audited); `null` or `[]` turns it off.",
        params: MailboxParam,
        body: PatchMailbox,
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      let piiRedactionConfig: RedactionConfig | undefined;
      if (req.body.pii_redaction_config !== undefined) {
        const v = validateRedactionConfig(req.body.pii_redaction_config);
        if (!v.config) {
          if (v.unprocessable)
            throw new AppError(422, "PII_OPERATOR_NOT_ALLOWED", v.errors[0]!, { errors: v.errors });
          throw validation(v.errors[0]!, v.errors);
        }
        piiRedactionConfig = v.config;
      }
      let senderAllowlist: string[] | null | undefined;
      if (req.body.inbound_sender_allowlist !== undefined) {
        const list = req.body.inbound_sender_allowlist ?? [];
        const bad = list.map((e) => [e, parseEntry(e)] as const).filter(([, v]) => !v.ok);
        if (bad.length)
          throw validation(
            `inbound_sender_allowlist: ${JSON.stringify(bad[0]![0])} is not an address or @domain`,
            bad.map(([e]) => `inbound_sender_allowlist: ${JSON.stringify(e)} is not an address or @domain`),
          );
        senderAllowlist = list.length
          ? [...new Set(list.map((e) => (parseEntry(e) as { entry: string }).entry))]
          : null;
      }
      if (req.body.send_quotas !== undefined) {
        const problems = quotaProblems(req.body.send_quotas);
        if (problems.length) throw validation(problems[0]!, problems);
      }
      return wire(
        await updateMailbox(ctx.db, mb.id, {
          displayName: req.body.display_name,
          piiMode: req.body.pii_mode,
          piiRedactionConfig,
          injectionThreshold: req.body.injection_threshold,
          hitlMode: req.body.hitl_mode,
          scannerPolicy: req.body.scanner_policy as ScannerPolicy | undefined,
          approvalExpiryHours: req.body.approval_expiry_hours,
          sendQuotas: req.body.send_quotas as QuotaWindow[] | undefined,
          inboundSenderAllowlist: senderAllowlist,
        }),
      );
    },
  );

  app.delete(
    "/v1/mailboxes/:id",
    {
      schema: {
        tags,
        summary: "Delete a mailbox (its address stops receiving)",
        description:
          "Everything still to be done in its name is cancelled in the same transaction: unsent and scheduled " +
          "drafts (state `cancelled`), queued deliveries of its mail (state `cancelled`, with the reason), its rules " +
          "and queued rule runs. Its name stays with this account: no other account can take it.",
        params: MailboxParam,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      const done = await deleteMailbox(ctx.db, mb);
      ctx.logger.info("mailbox deleted", { mailbox_id: mb.id, name: mb.name, ...done });
      return reply.status(204).send();
    },
  );
}
