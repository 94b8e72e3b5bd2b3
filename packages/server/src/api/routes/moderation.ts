import { Type } from "typebox";
import { validation } from "../../domain/errors.ts";
import {
  blocklistOf,
  blockMessage,
  blockSender,
  blockSenders,
  firewallRelease,
  releaseMessage,
  reportMessage,
  unblockSender,
} from "../../inbound/moderation.ts";
import { BULK_DESCRIPTION, BulkBody, ListQuery } from "../list-schemas.ts";
import { blocklistToWire, bulkToWire } from "../list-wire.ts";
import { type Present, presenterForMailboxId } from "../message-view.ts";
import { page } from "../pagination.ts";
import {
  BlocklistAdded,
  BlocklistDeleted,
  BlocklistList,
  BulkResultRef,
  described,
  errors,
  ITEM_ACCESS,
  MessageActionRef,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });
/** A human's note on a decision: `note`, or `reason` as the seed's clients call it. */
export const NoteBody = Type.Optional(
  Type.Object(
    {
      note: Type.Optional(Type.String({ maxLength: 2000 })),
      reason: Type.Optional(Type.String({ maxLength: 2000 })),
    },
    { additionalProperties: false },
  ),
);
export const noteOf = (b: { note?: string; reason?: string } | undefined) => b?.note ?? b?.reason;

/** What an action did, as the seed's clients read it (`message_id`, `status`), with the message itself. */
export const actionAnswer = <M extends { id: string; state: string }>(m: M) => ({
  ...m,
  message_id: m.id,
  status: m.state,
});

/**
 * What a human does with held inbound mail: release it to the agent, block it, or report it (block and stop its
 * sender). Admin keys only: an agent cannot release mail that was kept from it.
 */
export function moderationRoutes(app: Api, ctx: RouteContext) {
  const tags = ["moderation"];

  // Held mail is shown as its mailbox shows mail (redacted under pii_mode "redacted").
  const present = async (row: Parameters<Present>[0]) =>
    (await presenterForMailboxId(ctx.db, row.mailbox_id))(row);

  app.post(
    "/v1/messages/:id/release",
    {
      schema: {
        tags,
        operationId: "releaseMessage",
        summary: "Release a quarantined or blocked inbound message to the agent (admin)",
        description: "The message becomes available as a new arrival (wait returns it). Body: `{note?}`.",
        params: IdParam,
        body: withExamples(NoteBody, { note: "Known partner; the link is fine." }),
        response: { 200: MessageActionRef, ...errors(...ITEM_ACCESS, "MESSAGE_NOT_HELD") },
      },
    },
    async (req) =>
      actionAnswer(
        await present(await releaseMessage(ctx, principalOf(req), req.params.id, noteOf(req.body))),
      ),
  );

  app.post(
    "/v1/messages/:id/firewall-release",
    {
      schema: {
        tags,
        operationId: "firewallReleaseMessage",
        summary: "Release a message the inbound firewall blocked back into processing (admin)",
        description:
          "For inbound mail the firewall stopped (a sender on the inbound blocklist, or one off the mailbox's " +
          "sender allowlist: state `blocked` with a `firewall_block`). The message is processed again as on arrival, " +
          "the firewall alone excepted — the MailPolicy and the injection scan still decide — so it becomes " +
          "`available` (`message.received`) or `quarantined` (`message.quarantined`). Answers `202` at once with the " +
          "message in state `received`; watch the events or read the message for the outcome. Any other message " +
          "answers `409 MESSAGE_NOT_FIREWALL_BLOCKED` (mail an admin blocked is released with `/release`). Body: " +
          "`{note?}`.",
        params: IdParam,
        body: withExamples(NoteBody, { note: "A partner's new address; let it through." }),
        response: { 202: MessageActionRef, ...errors(...ITEM_ACCESS, "MESSAGE_NOT_FIREWALL_BLOCKED") },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(
          actionAnswer(
            await present(await firewallRelease(ctx, principalOf(req), req.params.id, noteOf(req.body))),
          ),
        ),
  );

  app.post(
    "/v1/messages/:id/block",
    {
      schema: {
        tags,
        operationId: "blockMessage",
        summary: "Block an inbound message: the agent never sees it (admin)",
        params: IdParam,
        body: withExamples(NoteBody, { note: "Phishing attempt." }),
        response: { 200: MessageActionRef, ...errors(...ITEM_ACCESS, "MESSAGE_NOT_HELD") },
      },
    },
    async (req) =>
      actionAnswer(await present(await blockMessage(ctx, principalOf(req), req.params.id, noteOf(req.body)))),
  );

  app.post(
    "/v1/messages/:id/report",
    {
      schema: {
        tags,
        summary:
          "Report an inbound message: block it and add its sender to the account's inbound blocklist (admin)",
        operationId: "reportMessage",
        params: IdParam,
        body: withExamples(NoteBody, { reason: "Spam campaign." }),
        response: { 200: MessageActionRef, ...errors(...ITEM_ACCESS, "MESSAGE_NOT_HELD") },
      },
    },
    async (req) =>
      actionAnswer(
        await present(await reportMessage(ctx, principalOf(req), req.params.id, noteOf(req.body))),
      ),
  );

  // /v1/inbound-blocklist is the name; /v1/blocklist (issue 4) stays as an alias, kept out of the docs.
  for (const [base, alias] of [
    ["/v1/inbound-blocklist", false],
    ["/v1/blocklist", true],
  ] as const) {
    app.get(
      `${base}`,
      {
        schema: {
          tags,
          operationId: "listInboundBlocklist",
          summary: "The account's inbound blocklist (admin)",
          description:
            "`{blocklist: [entries], next_cursor}`, sorted by address. Entries carry `pattern_type`, `reason`, `source` " +
            "(customer: added through the API; report: a reported message's sender) and who added them.",
          ...(alias ? { hide: true } : {}),
          querystring: ListQuery,
          response: { 200: BlocklistList, ...errors("INSUFFICIENT_SCOPE", "INVALID_CURSOR") },
        },
      },
      async (req) => {
        const limit = req.query.limit ?? 100;
        const rows = await blocklistOf(ctx, principalOf(req), { limit, cursor: req.query.cursor });
        return page("blocklist", rows, limit, blocklistToWire, (r) => r.address);
      },
    );

    app.post(
      `${base}`,
      {
        schema: {
          tags,
          summary:
            "Block a sender address or a bare domain (@corp.com) for every mailbox of the account (admin)",
          description:
            "Mail from it (From or envelope sender) is stopped by the inbound firewall before the MailPolicy runs, " +
            "stored as `blocked`, recorded in the mailbox's audit log, and never reaches an agent. Answers the entry " +
            "with `already_existed` (201 when new, 200 when it was there); a malformed entry is `400 INVALID_EMAIL`.",
          ...(alias ? { hide: true } : {}),
          operationId: "addInboundBlocklistEntry",
          body: withExamples(
            Type.Object(
              {
                email: Type.Optional(Type.String({ maxLength: 320 })),
                address: Type.Optional(Type.String({ maxLength: 320 })),
                reason: Type.Optional(Type.String({ maxLength: 500 })),
              },
              { additionalProperties: false },
            ),
            { email: "@spam.example", reason: "bulk phishing" },
          ),
          response: {
            200: described(BlocklistAdded, "The sender was blocked already."),
            201: described(BlocklistAdded, "The blocked sender."),
            ...errors("INSUFFICIENT_SCOPE", "VALIDATION_ERROR", "INVALID_EMAIL"),
          },
        },
      },
      async (req, reply) => {
        const entry = req.body.email ?? req.body.address;
        if (entry === undefined)
          throw validation("name the sender to block in email (or address)", ["body.email is required"]);
        const { row, created } = await blockSender(ctx, principalOf(req), entry, req.body.reason ?? null);
        return reply.status(created ? 201 : 200).send({ ...blocklistToWire(row), already_existed: !created });
      },
    );

    app.post(
      `${base}/bulk`,
      {
        schema: {
          tags,
          operationId: "addInboundBlocklistEntriesBulk",
          summary: "Block many senders at once (admin)",
          description: BULK_DESCRIPTION,
          ...(alias ? { hide: true } : {}),
          body: withExamples(BulkBody, { emails: ["@spam.example", "phisher@evil.example"] }),
          response: {
            200: described(BulkResultRef, "What was added, what was there already, what was invalid."),
            ...errors("INSUFFICIENT_SCOPE"),
          },
        },
      },
      async (req) => bulkToWire(await blockSenders(ctx, principalOf(req), req.body.emails), blocklistToWire),
    );

    app.delete(
      `${base}/:address`,
      {
        schema: {
          tags,
          operationId: "deleteInboundBlocklistEntry",
          summary: "Unblock a sender address or domain (admin)",
          ...(alias ? { hide: true } : {}),
          params: Type.Object({ address: Type.String({ maxLength: 320 }) }),
          response: { 200: BlocklistDeleted, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "INVALID_EMAIL") },
        },
      },
      async (req) => ({
        status: "deleted",
        deleted: true,
        ...blocklistToWire(await unblockSender(ctx, principalOf(req), req.params.address)),
      }),
    );
  }
}
