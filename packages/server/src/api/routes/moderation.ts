import { Type } from "typebox";
import { validation } from "../../domain/errors.ts";
import {
  blocklistOf,
  blockMessage,
  blockSender,
  releaseMessage,
  reportMessage,
  unblockSender,
} from "../../inbound/moderation.ts";
import { type Present, presenterForMailboxId } from "../message-view.ts";
import { list } from "../pagination.ts";
import {
  BlocklistDeleted,
  BlocklistEntryRef,
  BlocklistList,
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

const blocklistToWire = (r: { address: string; reason: string | null; created_at: Date }) => ({
  email: r.address,
  address: r.address,
  pattern_type: r.address.startsWith("@") ? "domain" : "email",
  reason: r.reason,
  source: "customer",
  created_at: new Date(r.created_at).toISOString(),
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
          ...(alias ? { hide: true } : {}),
          response: { 200: BlocklistList, ...errors("INSUFFICIENT_SCOPE") },
        },
      },
      async (req) => list("blocklist", (await blocklistOf(ctx, principalOf(req))).map(blocklistToWire)),
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
            "stored as `blocked`, recorded in the mailbox's audit log, and never reaches an agent.",
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
            201: described(BlocklistEntryRef, "The blocked sender."),
            ...errors("INSUFFICIENT_SCOPE", "VALIDATION_ERROR"),
          },
        },
      },
      async (req, reply) => {
        const entry = req.body.email ?? req.body.address;
        if (entry === undefined)
          throw validation("name the sender to block in email (or address)", ["body.email is required"]);
        const row = await blockSender(ctx, principalOf(req), entry, req.body.reason ?? null);
        return reply.status(201).send(blocklistToWire(row));
      },
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
          response: { 200: BlocklistDeleted, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
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
