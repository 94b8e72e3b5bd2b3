import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import {
  getThreadWithMessages,
  listMailboxThreads,
  markMailboxThreadRead,
  starMailboxThread,
} from "../../tenancy/mailbox-threads.ts";
import { presenterOf } from "../message-view.ts";
import { PageQuery, page } from "../pagination.ts";
import {
  errors,
  ITEM_ACCESS,
  MAILBOX_ACCESS,
  ThreadList,
  ThreadMarkedRead,
  ThreadRef,
  ThreadStarred,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { threadToWire } from "../wire.ts";
import { MailboxParam } from "./mailboxes.ts";

export function threadRoutes(app: Api, ctx: RouteContext) {
  const tags = ["threads"];

  app.get(
    "/v1/mailboxes/:id/threads",
    {
      schema: {
        tags,
        operationId: "listThreads",
        summary: "List a mailbox's threads, most recent activity first",
        params: MailboxParam,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: ThreadList, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await listMailboxThreads(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: req.query.cursor,
      });
      return page(
        "threads",
        rows,
        limit,
        (t) => threadToWire(t),
        (r) => encodeCursor({ t: r.last_message_at.toISOString(), i: r.id }),
      );
    },
  );

  const MailboxThreadParam = Type.Object({
    id: MailboxParam.properties.id,
    thread_id: Type.String({ maxLength: 100 }),
  });

  app.post(
    "/v1/mailboxes/:id/threads/:thread_id/read",
    {
      schema: {
        tags,
        operationId: "markThreadRead",
        summary: "Mark a thread's unread inbound messages read",
        description: "Answers `{thread_id, marked_count}`: how many messages the caller sees it marked.",
        params: MailboxThreadParam,
        response: { 200: ThreadMarkedRead, ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => {
      const r = await markMailboxThreadRead(ctx, principalOf(req), req.params.id, req.params.thread_id);
      return { thread_id: r.thread.id, marked_count: r.marked };
    },
  );

  app.patch(
    "/v1/mailboxes/:id/threads/:thread_id/star",
    {
      schema: {
        tags,
        operationId: "starThread",
        summary: "Star or unstar every message of a thread",
        description:
          "Answers `{thread_id, starred, updated_count}`: `updated_count` is how many messages changed.",
        params: MailboxThreadParam,
        body: withExamples(Type.Object({ starred: Type.Boolean() }, { additionalProperties: false }), {
          starred: true,
        }),
        response: { 200: ThreadStarred, ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => {
      const r = await starMailboxThread(
        ctx,
        principalOf(req),
        req.params.id,
        req.params.thread_id,
        req.body.starred,
      );
      return { thread_id: r.thread.id, starred: req.body.starred, updated_count: r.updated };
    },
  );

  app.get(
    "/v1/threads/:id",
    {
      schema: {
        tags,
        operationId: "getThread",
        summary: "A thread with its messages, oldest first",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: ThreadRef, ...errors(...ITEM_ACCESS) },
      },
    },
    async (req) => {
      const { thread, messages, deliveries, view } = await getThreadWithMessages(
        ctx,
        principalOf(req),
        req.params.id,
      );
      const present = presenterOf(view);
      return {
        ...threadToWire(thread, view.mailboxName ?? null),
        messages: messages.map((m) =>
          present(
            m,
            deliveries.filter((d) => d.message_id === m.id),
          ),
        ),
      };
    },
  );
}
