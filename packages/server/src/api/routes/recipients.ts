import { Type } from "typebox";
import type { QuotaUse } from "../../domain/recipient-controls.ts";
import {
  allowlistView,
  allowRecipient,
  allowRecipients,
  blockedAttemptsOf,
  disallowRecipient,
  sendQuotas,
  suppressionsOf,
  suppressRecipient,
  suppressRecipients,
  switchRecipientPolicy,
  unsuppressRecipient,
} from "../../outbound/recipient-controls.ts";
import {
  AttemptsQuery,
  attemptsAnswer,
  BULK_DESCRIPTION,
  BulkBody,
  EntryBody,
  EntryParams,
  ForceEmptyQuery,
  ListQuery,
} from "../list-schemas.ts";
import {
  blockedAttemptGroupToWire,
  blockedAttemptToWire,
  bulkToWire,
  listEntryToWire,
  suppressionToWire,
} from "../list-wire.ts";
import { page } from "../pagination.ts";
import {
  AllowlistAdded,
  AllowlistDeleted,
  AllowlistView,
  BlockedAttempts,
  BulkResultRef,
  described,
  errors,
  MAILBOX_ACCESS,
  QuotaStatus,
  RecipientPolicy,
  SuppressionAdded,
  SuppressionDeleted,
  SuppressionList,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

const REASONS = ["hard_bounce", "complaint", "manual", "unsubscribe"] as const;
const Reason = Type.Union(REASONS.map((r) => Type.Literal(r)));

const quotaToWire = (u: QuotaUse) => ({
  window_seconds: u.window_seconds,
  limit: u.limit,
  used: u.used,
  remaining: Math.max(0, u.limit - u.used),
  reset_at: new Date(u.window_start.getTime() + u.window_seconds * 1000).toISOString(),
});

/**
 * Who mail may go to: the account's suppression list (bounces, complaints, unsubscribes, manual blocks), each
 * mailbox's recipient policy and allowlist, and the send quotas. Changes that widen what an agent may do are
 * admin-only.
 */
export function recipientRoutes(app: Api, ctx: RouteContext) {
  const tags = ["recipients"];

  const quotaDeps = { db: ctx.db, clock: ctx.clock, defaultDailyCap: ctx.config.accountDailySendCap };

  // Suppressions ---------------------------------------------------------------------------------------------
  app.get(
    "/v1/suppressions",
    {
      schema: {
        tags,
        operationId: "listSuppressions",
        summary: "The account's suppression list",
        description:
          "Sorted by address; `cursor` is the previous page's `next_cursor`. Entries carry `pattern_type` (email | " +
          "domain), `source` (customer: added through the API; dsn, arf, provider: bounce handling) and who added them.",
        response: { 200: SuppressionList, ...errors("INSUFFICIENT_SCOPE", "INVALID_CURSOR") },
        querystring: Type.Object({
          reason: Type.Optional(Reason),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 320 })),
        }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await suppressionsOf(ctx, principalOf(req), { ...req.query, limit });
      return page("suppressions", rows, limit, suppressionToWire, (r) => r.email);
    },
  );

  app.post(
    "/v1/suppressions",
    {
      schema: {
        tags,
        operationId: "addSuppression",
        summary: "Suppress an address or a bare domain (@corp.com)",
        description:
          "Sends to it are refused with `403 RECIPIENT_SUPPRESSED`. `reason` defaults to `manual`. Agent keys may add " +
          "exact addresses (an unsubscribe, say); a bare domain blocks the whole account from it, so it is admin-only " +
          "(`403 DOMAIN_SUPPRESSION_ADMIN_ONLY`). Only admin keys remove. A malformed entry is `400 INVALID_EMAIL`. " +
          "Answers the entry with `already_existed` (201 when new, 200 when it was there).",
        body: withExamples(
          Type.Object(
            {
              email: Type.String({ maxLength: 320 }),
              reason: Type.Optional(Reason),
              detail: Type.Optional(Type.String({ maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
          { email: "former-customer@example.com", reason: "unsubscribe", detail: "asked by phone" },
        ),
        response: {
          200: SuppressionAdded,
          201: SuppressionAdded,
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "DOMAIN_SUPPRESSION_ADMIN_ONLY",
            "INVALID_EMAIL",
          ),
        },
      },
    },
    async (req, reply) => {
      const { row, created } = await suppressRecipient(ctx, principalOf(req), req.body);
      return reply.status(created ? 201 : 200).send({ ...suppressionToWire(row), already_existed: !created });
    },
  );

  app.post(
    "/v1/suppressions/bulk",
    {
      schema: {
        tags,
        operationId: "addSuppressionsBulk",
        summary: "Suppress many addresses at once",
        description: `${BULK_DESCRIPTION} From an agent key, a request with any bare domain is refused whole (\`403 DOMAIN_SUPPRESSION_ADMIN_ONLY\`, \`details.entries\` lists them) and adds nothing.`,
        body: withExamples(
          Type.Object(
            {
              emails: Type.Array(Type.String({ maxLength: 320 }), { minItems: 1, maxItems: 1000 }),
              reason: Type.Optional(Reason),
            },
            { additionalProperties: false },
          ),
          { emails: ["a@example.com", "b@example.com"], reason: "manual" },
        ),
        response: {
          200: described(BulkResultRef, "What was added, what was there already, what was invalid."),
          ...errors("INSUFFICIENT_SCOPE", "DOMAIN_SUPPRESSION_ADMIN_ONLY"),
        },
      },
    },
    async (req) =>
      bulkToWire(
        await suppressRecipients(ctx, principalOf(req), req.body.emails, req.body.reason),
        suppressionToWire,
      ),
  );

  app.delete(
    "/v1/suppressions/:email",
    {
      schema: {
        tags,
        operationId: "deleteSuppression",
        summary: "Remove a suppression (admin)",
        params: Type.Object({ email: Type.String({ maxLength: 320 }) }),
        response: { 200: SuppressionDeleted, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "INVALID_EMAIL") },
      },
    },
    async (req) => ({
      status: "deleted",
      deleted: true,
      ...suppressionToWire(await unsuppressRecipient(ctx, principalOf(req), req.params.email)),
    }),
  );

  // Allowlist and recipient policy -----------------------------------------------------------------------------
  app.get(
    "/v1/mailboxes/:id/allowlist",
    {
      schema: {
        tags,
        operationId: "getAllowlist",
        summary: "A mailbox's recipient allowlist and policy",
        description:
          "`{mode, allowlist: [entries], next_cursor}`, sorted by address. Agent keys may read it, to know whom they " +
          "may write to.",
        params: MailboxParam,
        querystring: ListQuery,
        response: { 200: AllowlistView, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const { mailbox, entries } = await allowlistView(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: req.query.cursor,
      });
      return {
        mode: mailbox.recipient_policy,
        ...page("allowlist", entries, limit, listEntryToWire, (r) => r.email),
      };
    },
  );

  app.post(
    "/v1/mailboxes/:id/allowlist",
    {
      schema: {
        tags,
        operationId: "addAllowlistEntry",
        summary: "Allow sending to an address or a bare domain (admin)",
        description:
          "Answers the entry with `already_existed` (201 when new, 200 when it was there). Agent keys get `403 " +
          "INSUFFICIENT_SCOPE`; a malformed entry is `400 INVALID_EMAIL`.",
        params: MailboxParam,
        body: withExamples(EntryBody, { email: "@partner.example" }),
        response: {
          200: AllowlistAdded,
          201: AllowlistAdded,
          ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "INVALID_EMAIL"),
        },
      },
    },
    async (req, reply) => {
      const { row, created } = await allowRecipient(ctx, principalOf(req), req.params.id, req.body.email);
      return reply.status(created ? 201 : 200).send({ ...listEntryToWire(row), already_existed: !created });
    },
  );

  app.post(
    "/v1/mailboxes/:id/allowlist/bulk",
    {
      schema: {
        tags,
        operationId: "addAllowlistEntriesBulk",
        summary: "Allow many recipients at once (admin)",
        description: BULK_DESCRIPTION,
        params: MailboxParam,
        body: withExamples(BulkBody, { emails: ["ops@partner.example", "@vendor.example"] }),
        response: {
          200: described(BulkResultRef, "What was added, what was there already, what was invalid."),
          ...errors(...MAILBOX_ACCESS),
        },
      },
    },
    async (req) =>
      bulkToWire(
        await allowRecipients(ctx, principalOf(req), req.params.id, req.body.emails),
        listEntryToWire,
      ),
  );

  app.delete(
    "/v1/mailboxes/:id/allowlist/:email",
    {
      schema: {
        tags,
        operationId: "deleteAllowlistEntry",
        summary: "Remove a recipient from the allowlist (admin)",
        description:
          "Removing the last entry while the mailbox is in allowlist mode would stop it sending at all: `409 " +
          "ALLOWLIST_LAST_ENTRY` unless `force_empty=true`.",
        params: EntryParams,
        querystring: ForceEmptyQuery,
        response: {
          200: AllowlistDeleted,
          ...errors(...MAILBOX_ACCESS, "ALLOWLIST_LAST_ENTRY", "INVALID_EMAIL"),
        },
      },
    },
    async (req) => {
      const { row } = await disallowRecipient(
        ctx,
        principalOf(req),
        req.params.id,
        req.params.email,
        req.query.force_empty,
      );
      return { status: "deleted", deleted: true, ...listEntryToWire(row) };
    },
  );

  app.patch(
    "/v1/mailboxes/:id/recipient-policy",
    {
      schema: {
        tags,
        operationId: "setRecipientPolicy",
        summary: "Switch a mailbox between blocklist and allowlist mode (admin)",
        description:
          "`blocklist` (default): any recipient not suppressed. `allowlist`: only listed ones. Switching to allowlist " +
          "with an empty list is refused with `400 ALLOWLIST_EMPTY` unless `force_empty: true` (the mailbox then sends " +
          "to no one).",
        params: MailboxParam,
        body: withExamples(
          Type.Object(
            {
              mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
              force_empty: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          { mode: "allowlist" },
        ),
        response: { 200: RecipientPolicy, ...errors(...MAILBOX_ACCESS, "ALLOWLIST_EMPTY") },
      },
    },
    async (req) => {
      const { mode, allowlistSize } = await switchRecipientPolicy(
        ctx,
        principalOf(req),
        req.params.id,
        req.body.mode,
        req.body.force_empty,
      );
      return { mode, allowlist_size: allowlistSize };
    },
  );

  app.get(
    "/v1/mailboxes/:id/allowlist/blocked-attempts",
    {
      schema: {
        tags,
        operationId: "listBlockedAttempts",
        summary: "Sends the allowlist refused",
        description:
          "By default (`aggregate=true`) the top recipients an agent kept trying to reach, grouped by recipient and " +
          "key: `{attempts: [{recipient, actor_type, actor_id, count, first_attempted_at, last_attempted_at}]}`, the " +
          "most frequent first (`limit` groups, no further page). `aggregate=false`: every attempt, newest first, " +
          "`{attempts: [{id, recipient, actor_type, actor_id, origin, attempted_at}], next_cursor}`. `within_days` " +
          "(1–365) looks back that many days only; without it, the whole log.",
        params: MailboxParam,
        querystring: AttemptsQuery,
        response: { 200: BlockedAttempts, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const r = await blockedAttemptsOf(ctx, principalOf(req), req.params.id, {
        aggregate: req.query.aggregate ?? true,
        withinDays: req.query.within_days ?? null,
        limit,
        cursor: req.query.cursor,
      });
      return attemptsAnswer(r, limit, blockedAttemptGroupToWire, blockedAttemptToWire, (x) => x.id);
    },
  );

  // Quotas ----------------------------------------------------------------------------------------------------
  app.get(
    "/v1/accounts/quota",
    {
      schema: {
        tags,
        operationId: "getQuota",
        summary: "Send quotas and what is left of them",
        response: { 200: QuotaStatus, ...errors("INSUFFICIENT_SCOPE") },
        description:
          "The account's daily cap and each mailbox's windows (agent keys: their mailboxes only), counted in " +
          "recipients: a send to ten people uses ten.",
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { daily, mailboxes } = await sendQuotas(quotaDeps, p);
      const today = quotaToWire(daily);
      return {
        today: { count: daily.used, limit: daily.limit, day: daily.window_start.toISOString().slice(0, 10) },
        sends_remaining: today.remaining,
        reset_at: today.reset_at,
        scope: p.role === "admin" ? "admin" : "agent",
        bound_mailbox_ids: p.role === "admin" ? [] : p.mailboxIds,
        account: { daily: today },
        mailboxes: mailboxes.map((m) => ({
          mailbox_id: m.mailbox.id,
          name: m.mailbox.name,
          windows: m.windows.map(quotaToWire),
        })),
      };
    },
  );
}
