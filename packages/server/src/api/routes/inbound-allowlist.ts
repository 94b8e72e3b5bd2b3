import {
  allowSender,
  allowSenders,
  disallowSender,
  inboundBlockedAttemptsOf,
  senderAllowlistOf,
} from "../../inbound/sender-allowlist.ts";
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
  bulkToWire,
  inboundBlockedAttemptGroupToWire,
  inboundBlockedAttemptToWire,
  listEntryToWire,
} from "../list-wire.ts";
import { page } from "../pagination.ts";
import {
  AllowlistAdded,
  AllowlistDeleted,
  AllowlistView,
  BulkResultRef,
  described,
  errors,
  InboundBlockedAttempts,
  MAILBOX_ACCESS,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

/**
 * A mailbox's inbound sender allowlist: while it has entries, the inbound firewall lets mail through only from the
 * senders on it. The same list as `PATCH /v1/mailboxes/:id {inbound_sender_allowlist}`. Admin keys change it;
 * any key that reaches the mailbox reads it.
 */
export function inboundAllowlistRoutes(app: Api, ctx: RouteContext) {
  const tags = ["moderation"];

  app.get(
    "/v1/mailboxes/:id/inbound-allowlist",
    {
      schema: {
        tags,
        operationId: "getInboundAllowlist",
        summary: "A mailbox's inbound sender allowlist",
        description:
          "`{mode, allowlist: [entries], next_cursor}`, sorted by address. `mode` is `allowlist` while the list has " +
          "entries (only listed senders get through the inbound firewall), `blocklist` when it is empty (only the " +
          "account's inbound blocklist applies).",
        params: MailboxParam,
        querystring: ListQuery,
        response: { 200: AllowlistView, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const { entries, inForce } = await senderAllowlistOf(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: req.query.cursor,
      });
      return {
        mode: inForce ? "allowlist" : "blocklist",
        ...page("allowlist", entries, limit, listEntryToWire, (r) => r.email),
      };
    },
  );

  app.post(
    "/v1/mailboxes/:id/inbound-allowlist",
    {
      schema: {
        tags,
        operationId: "addInboundAllowlistEntry",
        summary: "Let a sender address or a bare domain (@corp.com) through the inbound firewall (admin)",
        description:
          "Answers the entry with `already_existed` (201 when new, 200 when it was there). Adding the first entry " +
          "puts the mailbox in allowlist mode: mail from anyone not listed is then kept as blocked. Agent keys get " +
          "`403 INSUFFICIENT_SCOPE`; a malformed entry is `400 INVALID_EMAIL`.",
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
      const { row, created } = await allowSender(ctx, principalOf(req), req.params.id, req.body.email);
      return reply.status(created ? 201 : 200).send({ ...listEntryToWire(row), already_existed: !created });
    },
  );

  app.post(
    "/v1/mailboxes/:id/inbound-allowlist/bulk",
    {
      schema: {
        tags,
        operationId: "addInboundAllowlistEntriesBulk",
        summary: "Let many senders through at once (admin)",
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
      bulkToWire(await allowSenders(ctx, principalOf(req), req.params.id, req.body.emails), listEntryToWire),
  );

  app.delete(
    "/v1/mailboxes/:id/inbound-allowlist/:email",
    {
      schema: {
        tags,
        operationId: "deleteInboundAllowlistEntry",
        summary: "Remove a sender from the inbound allowlist (admin)",
        description:
          "Removing the last entry while the mailbox is in allowlist mode is refused with `409 ALLOWLIST_LAST_ENTRY` " +
          "unless `force_empty=true`: it would change who can write to the mailbox all at once.",
        params: EntryParams,
        querystring: ForceEmptyQuery,
        response: {
          200: AllowlistDeleted,
          ...errors(...MAILBOX_ACCESS, "ALLOWLIST_LAST_ENTRY", "INVALID_EMAIL"),
        },
      },
    },
    async (req) => {
      const { row } = await disallowSender(
        ctx,
        principalOf(req),
        req.params.id,
        req.params.email,
        req.query.force_empty,
      );
      return { status: "deleted", deleted: true, ...listEntryToWire(row) };
    },
  );

  app.get(
    "/v1/mailboxes/:id/inbound-allowlist/blocked-attempts",
    {
      schema: {
        tags,
        operationId: "listInboundBlockedAttempts",
        summary: "Mail the inbound firewall stopped for this mailbox (admin)",
        description:
          "Messages kept as blocked by the sender allowlist or the account's inbound blocklist. By default " +
          "(`aggregate=true`) grouped by sender and rule, the most frequent first: `{attempts: [{sender, " +
          "matched_field, matched_list, mode, reason_code, count, first_attempted_at, last_attempted_at}]}`. " +
          "`aggregate=false`: every message, newest first, `{attempts: [{id, message_id, envelope_sender, " +
          "from_address, matched_field, matched_pattern, matched_list, mode, reason_code, attempted_at}], " +
          "next_cursor}`. `within_days` (1–365) looks back that many days only. Admin keys only: it names senders of " +
          "mail that was kept from the agent.",
        params: MailboxParam,
        querystring: AttemptsQuery,
        response: { 200: InboundBlockedAttempts, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const r = await inboundBlockedAttemptsOf(ctx, principalOf(req), req.params.id, {
        aggregate: req.query.aggregate ?? true,
        withinDays: req.query.within_days ?? null,
        limit,
        cursor: req.query.cursor,
      });
      return attemptsAnswer(
        r,
        limit,
        inboundBlockedAttemptGroupToWire,
        inboundBlockedAttemptToWire,
        (x) => x.id,
      );
    },
  );
}
