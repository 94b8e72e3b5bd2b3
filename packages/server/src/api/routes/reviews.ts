import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import { approveSend, denySend, listHeldSends, reviseSend } from "../../outbound/review.ts";
import { PageQuery, page } from "../pagination.ts";
import {
  errors,
  ITEM_ACCESS,
  listOf,
  MAILBOX_ACCESS,
  MessageActionRef,
  MessageRef,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { messageToWire } from "../wire.ts";
import { Subject, Text } from "./messages.ts";
import { actionAnswer, NoteBody, noteOf } from "./moderation.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** A reviewer's edit of a held send: the limits of a send's fields; absent ones keep the message's. */
const ReviseBody = Type.Object(
  {
    subject: Type.Optional(Subject),
    text: Type.Optional(Text),
    html: Type.Optional(Type.Union([Text, Type.Null()], { description: "null removes the HTML part." })),
    note: Type.Optional(
      Type.String({ maxLength: 2000, description: "Why (kept on the message.revised event)." }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Human review of held sends. Admin keys only — an agent key gets 403 INSUFFICIENT_SCOPE, so an agent can never
 * approve its own mail.
 */
export function reviewRoutes(app: Api, ctx: RouteContext) {
  const tags = ["review"];
  const review = { db: ctx.db, clock: ctx.clock };

  app.get(
    "/v1/reviews",
    {
      schema: {
        tags,
        operationId: "listReviews",
        summary: "Sends waiting for a human, oldest first (admin)",
        querystring: Type.Object(
          { ...PageQuery, mailbox: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: {
          200: listOf("messages", MessageRef, "Held outbound messages, oldest first."),
          ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR"),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await listHeldSends(ctx, principalOf(req), { ...req.query, limit });
      return page(
        "messages",
        rows,
        limit,
        (r) => messageToWire(r),
        (r) => encodeCursor({ t: r.created_at.toISOString(), i: r.id }),
      );
    },
  );

  app.post(
    "/v1/messages/:id/approve",
    {
      schema: {
        tags,
        operationId: "approveMessage",
        summary: "Approve a held send: it goes to the delivery queue (admin)",
        description:
          "Body `{note?}`; a note is required when the mailbox sets outbound_review_policy.approval_note = " +
          "required_for_sensitive_pii and the hold involves an SSN or card number (400 APPROVAL_NOTE_REQUIRED).",
        params: IdParam,
        body: withExamples(NoteBody, { note: "Checked with the customer: OK to send." }),
        response: {
          200: MessageActionRef,
          ...errors(...ITEM_ACCESS, "APPROVAL_NOTE_REQUIRED", "MESSAGE_NOT_HELD"),
        },
      },
    },
    async (req) =>
      actionAnswer(
        messageToWire(await approveSend(review, principalOf(req), req.params.id, noteOf(req.body)), []),
      ),
  );

  app.post(
    "/v1/messages/:id/revise",
    {
      schema: {
        tags,
        operationId: "reviseMessage",
        summary: "Edit a held send and rescan it; it stays held for approval (admin)",
        description:
          "Body `{subject?, text?, html?, note?}` with at least one of subject, text or html; absent fields keep " +
          "the message's. The message (pending_review) is composed again with the same Message-ID, headers, " +
          "recipients and attachments, signed again, and rescanned under the mailbox's current policy: a rescan " +
          "that would quarantine or block answers 409 REVISION_REJECTED_BY_RESCAN with `details.scan` and nothing " +
          "changes. Otherwise it stays `pending_review` with the new `scan` and `hold_context` (the mailbox's own " +
          "reasons stand; scanner reasons the rescan no longer finds are dropped) and a `message.revised` event " +
          "is recorded. Approving it then delivers the revised message.",
        params: IdParam,
        body: withExamples(ReviseBody, {
          text: "Hi Sam, your order shipped today. Tracking number on request.",
          note: "Removed the customer's SSN.",
        }),
        response: {
          200: MessageActionRef,
          ...errors(...ITEM_ACCESS, "MESSAGE_NOT_HELD", "REVISION_REJECTED_BY_RESCAN"),
        },
      },
    },
    async (req) =>
      actionAnswer(messageToWire(await reviseSend(ctx, principalOf(req), req.params.id, req.body), [])),
  );

  app.post(
    "/v1/messages/:id/deny",
    {
      schema: {
        tags,
        operationId: "denyMessage",
        summary: "Deny a held send: it is never delivered (admin)",
        params: IdParam,
        body: withExamples(NoteBody, { reason: "Contains a customer's card number." }),
        response: { 200: MessageActionRef, ...errors(...ITEM_ACCESS, "MESSAGE_NOT_HELD") },
      },
    },
    async (req) =>
      actionAnswer(
        messageToWire(await denySend(review, principalOf(req), req.params.id, noteOf(req.body)), []),
      ),
  );
}
