import { Type } from "typebox";
import { AppError, notFound, validation } from "../../domain/errors.ts";
import { type Principal, requireRole } from "../../domain/principal.ts";
import { isDomainEntry, parseEntry } from "../../domain/recipient-controls.ts";
import type { Sql } from "../../store/db.ts";
import { appendEvent } from "../../store/events.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";
import {
  addSuppressions,
  addToAllowlist,
  allowlistCount,
  allowlistOf,
  blockedAttempts,
  listSuppressions,
  quotaUses,
  removeFromAllowlist,
  removeSuppression,
  type SuppressionRow,
} from "../../store/recipient-controls.ts";
import { mailboxFor } from "../../tenancy/access.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

const REASONS = ["hard_bounce", "complaint", "manual", "unsubscribe"] as const;
const Reason = Type.Union(REASONS.map((r) => Type.Literal(r)));
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

const suppressionToWire = (r: SuppressionRow) => ({
  email: r.email,
  reason: r.reason,
  source: r.source,
  detail: r.detail,
  expires_at: iso(r.expires_at),
  created_at: iso(r.created_at),
});

function entryOf(text: string, field: string): string {
  const v = parseEntry(text);
  if (!v.ok) throw validation(`${field} ${JSON.stringify(text)} is ${v.reason}`, [`${field}: ${v.reason}`]);
  return v.entry;
}

/** Bulk input: valid entries (deduplicated) and the invalid ones with the reason. */
function splitEntries(emails: string[]) {
  const valid: string[] = [];
  const invalid: { email: string; reason: string }[] = [];
  for (const e of emails) {
    const v = parseEntry(e);
    if (v.ok) {
      if (!valid.includes(v.entry)) valid.push(v.entry);
    } else invalid.push({ email: e, reason: v.reason });
  }
  return { valid, invalid };
}

/**
 * A domain suppression blocks every mailbox of the account from a whole domain, so only admin keys add one;
 * agent keys suppress exact addresses (an unsubscribe).
 */
function assertMayAddSuppressions(p: Principal, entries: string[]) {
  if (p.role === "admin") return;
  const domains = entries.filter(isDomainEntry);
  if (domains.length === 0) return;
  throw new AppError(
    403,
    "DOMAIN_SUPPRESSION_ADMIN_ONLY",
    `agent keys may only suppress exact addresses; ${domains.join(", ")} ${domains.length === 1 ? "is a domain" : "are domains"}, ` +
      "which would block every mailbox of the account. Ask an admin to add it, or suppress the exact address",
    { entries: domains },
  );
}

/** What a bulk add did, entry by entry. */
function bulkResult(valid: string[], added: string[], invalid: { email: string; reason: string }[]) {
  const existed = valid.filter((e) => !added.includes(e));
  return {
    added,
    already_existed: existed,
    invalid,
    counts: { added: added.length, already_existed: existed.length, invalid: invalid.length },
  };
}

/**
 * Who mail may go to: the account's suppression list (bounces, complaints, unsubscribes, manual blocks), each
 * mailbox's recipient policy and allowlist, and the send quotas. Changes that widen what an agent may do are
 * admin-only.
 */
export function recipientRoutes(app: Api, ctx: RouteContext) {
  const tags = ["recipients"];

  // Suppressions ---------------------------------------------------------------------------------------------
  app.get(
    "/v1/suppressions",
    {
      schema: {
        tags,
        summary: "The account's suppression list",
        description: "Sorted by address; `cursor` is the last address of the previous page.",
        querystring: Type.Object({
          reason: Type.Optional(Reason),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 320 })),
        }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const limit = req.query.limit ?? 100;
      const rows = await listSuppressions(ctx.db, p.accountId, {
        reason: req.query.reason ?? null,
        limit: limit + 1,
        after: req.query.cursor ?? null,
      });
      const slice = rows.slice(0, limit);
      return {
        data: slice.map(suppressionToWire),
        has_more: rows.length > limit,
        cursor: rows.length > limit ? slice[slice.length - 1]!.email : null,
      };
    },
  );

  async function suppress(
    sql: Sql,
    accountId: string,
    emails: string[],
    reason: SuppressionRow["reason"],
    detail: string | null,
  ) {
    const added = await addSuppressions(
      sql,
      accountId,
      emails.map((email) => ({ email, reason, source: "api", detail, expiresAt: null })),
    );
    for (const email of added)
      await appendEvent(sql, {
        accountId,
        mailboxId: null,
        type: "suppression.added",
        data: { email, reason, source: "api", expires_at: null },
      });
    return added;
  }

  app.post(
    "/v1/suppressions",
    {
      schema: {
        tags,
        summary: "Suppress an address or a bare domain (@corp.com)",
        description:
          "Sends to it are refused with `403 RECIPIENT_SUPPRESSED`. `reason` defaults to `manual`. Agent keys may add " +
          "exact addresses (an unsubscribe, say); a bare domain blocks the whole account from it, so it is admin-only " +
          "(`403 DOMAIN_SUPPRESSION_ADMIN_ONLY`). Only admin keys remove.",
        body: Type.Object(
          {
            email: Type.String({ maxLength: 320 }),
            reason: Type.Optional(Reason),
            detail: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const email = entryOf(req.body.email, "email");
      assertMayAddSuppressions(p, [email]);
      const added = await ctx.db.tx((sql) =>
        suppress(sql, p.accountId, [email], req.body.reason ?? "manual", req.body.detail ?? null),
      );
      return reply
        .status(added.length ? 201 : 200)
        .send({ email, reason: req.body.reason ?? "manual", created: added.length > 0 });
    },
  );

  app.post(
    "/v1/suppressions/bulk",
    {
      schema: {
        tags,
        summary: "Suppress many addresses at once",
        description:
          "Invalid entries are skipped and listed in `invalid`. From an agent key, a request with any bare domain " +
          "is refused whole (`403 DOMAIN_SUPPRESSION_ADMIN_ONLY`, `details.entries` lists them) and adds nothing.",
        body: Type.Object(
          {
            emails: Type.Array(Type.String({ maxLength: 320 }), { minItems: 1, maxItems: 1000 }),
            reason: Type.Optional(Reason),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const { valid, invalid } = splitEntries(req.body.emails);
      assertMayAddSuppressions(p, valid);
      const added = await ctx.db.tx((sql) =>
        suppress(sql, p.accountId, valid, req.body.reason ?? "manual", null),
      );
      return bulkResult(valid, added, invalid);
    },
  );

  app.delete(
    "/v1/suppressions/:email",
    {
      schema: {
        tags,
        summary: "Remove a suppression (admin)",
        params: Type.Object({ email: Type.String({ maxLength: 320 }) }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const email = entryOf(req.params.email, "email");
      if (!(await removeSuppression(ctx.db, p.accountId, email))) throw notFound("suppression", email);
      return reply.status(204).send();
    },
  );

  // Allowlist and recipient policy -----------------------------------------------------------------------------
  const mailbox = (req: { params: { id: string } }, p: ReturnType<typeof principalOf>) =>
    mailboxFor(ctx.db, p, req.params.id);

  app.get(
    "/v1/mailboxes/:id/allowlist",
    {
      schema: {
        tags,
        summary: "A mailbox's recipient allowlist and policy",
        description: "Agent keys may read it, to know whom they may write to.",
        params: MailboxParam,
      },
    },
    async (req) => {
      const p = principalOf(req);
      const mb = await mailbox(req, p);
      const rows = await allowlistOf(ctx.db, mb.id);
      return {
        mode: mb.recipient_policy,
        data: rows.map((r) => ({ email: r.email, created_at: iso(r.created_at) })),
      };
    },
  );

  async function addEntries(mb: MailboxRow, emails: string[]) {
    return ctx.db.tx(async (sql) => {
      const added = await addToAllowlist(sql, mb.id, emails);
      if (added.length)
        await appendEvent(sql, {
          accountId: mb.account_id,
          mailboxId: mb.id,
          type: "recipient_allowlist.added",
          data: { emails: added },
        });
      return added;
    });
  }

  app.post(
    "/v1/mailboxes/:id/allowlist",
    {
      schema: {
        tags,
        summary: "Allow sending to an address or a bare domain (admin)",
        params: MailboxParam,
        body: Type.Object({ email: Type.String({ maxLength: 320 }) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailbox(req, p);
      const email = entryOf(req.body.email, "email");
      const added = await addEntries(mb, [email]);
      return reply.status(added.length ? 201 : 200).send({ email, created: added.length > 0 });
    },
  );

  app.post(
    "/v1/mailboxes/:id/allowlist/bulk",
    {
      schema: {
        tags,
        summary: "Allow many recipients at once (admin)",
        params: MailboxParam,
        body: Type.Object(
          { emails: Type.Array(Type.String({ maxLength: 320 }), { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailbox(req, p);
      const { valid, invalid } = splitEntries(req.body.emails);
      const added = await addEntries(mb, valid);
      return bulkResult(valid, added, invalid);
    },
  );

  app.delete(
    "/v1/mailboxes/:id/allowlist/:email",
    {
      schema: {
        tags,
        summary: "Remove a recipient from the allowlist (admin)",
        description:
          "Removing the last entry while the mailbox is in allowlist mode would stop it sending at all: `409 " +
          "ALLOWLIST_LAST_ENTRY` unless `force_empty=true`.",
        params: Type.Object({ id: Type.String({ maxLength: 100 }), email: Type.String({ maxLength: 320 }) }),
        querystring: Type.Object({ force_empty: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailbox(req, p);
      const email = entryOf(req.params.email, "email");
      await ctx.db.tx(async (sql) => {
        await sql.query("select id from mailboxes where id = $1 for update", [mb.id]);
        const [fresh] = await sql.query<{ recipient_policy: string }>(
          "select recipient_policy from mailboxes where id = $1",
          [mb.id],
        );
        if (
          fresh?.recipient_policy === "allowlist" &&
          !req.query.force_empty &&
          (await allowlistCount(sql, mb.id)) === 1
        ) {
          const [only] = await allowlistOf(sql, mb.id);
          if (only?.email === email)
            throw new AppError(
              409,
              "ALLOWLIST_LAST_ENTRY",
              "this is the allowlist's last entry and the mailbox is in allowlist mode: it could not send at all. " +
                "Pass force_empty=true to do it anyway, or switch the mailbox to blocklist mode first",
            );
        }
        if (!(await removeFromAllowlist(sql, mb.id, email))) throw notFound("allowlist entry", email);
        await appendEvent(sql, {
          accountId: mb.account_id,
          mailboxId: mb.id,
          type: "recipient_allowlist.removed",
          data: { email },
        });
      });
      return reply.status(204).send();
    },
  );

  app.patch(
    "/v1/mailboxes/:id/recipient-policy",
    {
      schema: {
        tags,
        summary: "Switch a mailbox between blocklist and allowlist mode (admin)",
        description:
          "`blocklist` (default): any recipient not suppressed. `allowlist`: only listed ones. Switching to allowlist " +
          "with an empty list is refused with `400 ALLOWLIST_EMPTY` unless `force_empty: true` (the mailbox then sends " +
          "to no one).",
        params: MailboxParam,
        body: Type.Object(
          {
            mode: Type.Union([Type.Literal("blocklist"), Type.Literal("allowlist")]),
            force_empty: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailbox(req, p);
      return ctx.db.tx(async (sql) => {
        await sql.query("select id from mailboxes where id = $1 for update", [mb.id]);
        const size = await allowlistCount(sql, mb.id);
        if (req.body.mode === "allowlist" && size === 0 && !req.body.force_empty)
          throw new AppError(
            400,
            "ALLOWLIST_EMPTY",
            "the allowlist is empty: in allowlist mode the mailbox could not send at all. Add recipients first " +
              "(POST …/allowlist or …/allowlist/bulk), or pass force_empty: true",
          );
        const [before] = await sql.query<{ recipient_policy: string }>(
          "select recipient_policy from mailboxes where id = $1",
          [mb.id],
        );
        await sql.query("update mailboxes set recipient_policy = $2, updated_at = now() where id = $1", [
          mb.id,
          req.body.mode,
        ]);
        if (before?.recipient_policy !== req.body.mode)
          await appendEvent(sql, {
            accountId: mb.account_id,
            mailboxId: mb.id,
            type: "mailbox.recipient_policy_changed",
            data: {
              mode: req.body.mode,
              previous_mode: before?.recipient_policy ?? null,
              allowlist_size: size,
            },
          });
        return { mode: req.body.mode, allowlist_size: size };
      });
    },
  );

  app.get(
    "/v1/mailboxes/:id/allowlist/blocked-attempts",
    {
      schema: {
        tags,
        summary: "Sends the allowlist refused",
        description:
          "Every refused attempt, newest first, within `within_days` (default 30). `aggregate=true` groups them by " +
          "recipient with counts — the quick way to see whom an agent keeps trying to reach.",
        params: MailboxParam,
        querystring: Type.Object({
          aggregate: Type.Optional(Type.Boolean()),
          within_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      const mb = await mailbox(req, p);
      const rows = await blockedAttempts(ctx.db, mb.id, {
        aggregate: req.query.aggregate ?? false,
        withinDays: req.query.within_days ?? 30,
        limit: req.query.limit ?? 100,
      });
      return {
        data: rows.map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
        ),
      };
    },
  );

  // Quotas ----------------------------------------------------------------------------------------------------
  app.get(
    "/v1/accounts/quota",
    {
      schema: {
        tags,
        summary: "Send quotas and what is left of them",
        description:
          "The account's daily cap and each mailbox's windows (agent keys: their mailboxes only), counted in " +
          "recipients: a send to ten people uses ten.",
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const now = new Date();
      const [account] = await ctx.db.query<{ daily_send_cap: number | null }>(
        "select daily_send_cap from accounts where id = $1",
        [p.accountId],
      );
      const cap = account?.daily_send_cap ?? ctx.config.accountDailySendCap;
      const [daily] = await quotaUses(
        ctx.db,
        [{ scope: "account", key: p.accountId, w: { window_seconds: 86400, limit: cap } }],
        now,
      );
      const boxes = await ctx.db.query<MailboxRow>(
        "select * from mailboxes where account_id = $1 and deleted_at is null and ($2::uuid[] is null or id = any ($2::uuid[])) order by name",
        [p.accountId, p.role === "admin" ? null : p.mailboxIds],
      );
      const view = (u: { limit: number; used: number; window_seconds: number; window_start: Date }) => ({
        window_seconds: u.window_seconds,
        limit: u.limit,
        used: u.used,
        remaining: Math.max(0, u.limit - u.used),
        reset_at: new Date(u.window_start.getTime() + u.window_seconds * 1000).toISOString(),
      });
      const mailboxes = [];
      for (const mb of boxes) {
        const uses = await quotaUses(
          ctx.db,
          mb.send_quotas.map((w) => ({ scope: "mailbox" as const, key: mb.id, w })),
          now,
        );
        mailboxes.push({ mailbox_id: mb.id, name: mb.name, windows: uses.map(view) });
      }
      return { account: { daily: view(daily!) }, mailboxes };
    },
  );
}
