import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import {
  getThreadWithMessages,
  listMailboxThreads,
  markMailboxThreadRead,
  starMailboxThread,
} from "../../tenancy/mailbox-threads.ts";
import { presenterIn } from "../message-view.ts";
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
import { View } from "./messages.ts";

const Moment = (description: string) =>
  Type.Optional(Type.String({ format: "date-time", maxLength: 40, description }));

const ThreadListQuery = Type.Object(
  {
    ...PageQuery,
    before_ts: Moment("Only threads whose last activity is strictly before this."),
    since_ts: Moment("Only threads with activity at or after this."),
    starred: Type.Optional(
      Type.Boolean({ description: "Threads with (true) or without (false) a starred message." }),
    ),
    has_inbound: Type.Optional(
      Type.Boolean({ description: "Threads with (true) or without (false) an inbound message." }),
    ),
    include_firewall_blocked: Type.Optional(
      Type.Boolean({ description: "Accepted for the seed's clients; held mail is never in a thread." }),
    ),
  },
  { additionalProperties: false },
);

export function threadRoutes(app: Api, ctx: RouteContext) {
  const tags = ["threads"];

  app.get(
    "/v1/mailboxes/:id/threads",
    {
      schema: {
        tags,
        operationId: "listThreads",
        summary: "List a mailbox's threads, most recent activity first",
        description:
          "Filters add up. `starred` and `has_inbound` look at the messages the caller sees: `has_inbound=true` is " +
          "an inbox view (threads someone wrote into), `false` the send-only threads. Held mail — quarantined, or " +
          "blocked by the inbound firewall — is never placed in a thread until it is released, so " +
          "`include_firewall_blocked` changes nothing; it is accepted for the seed's clients. Unknown query " +
          "parameters answer `400 VALIDATION_ERROR`.",
        params: MailboxParam,
        querystring: ThreadListQuery,
        response: { 200: ThreadList, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const rows = await listMailboxThreads(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: q.cursor,
        filter: {
          beforeTs: q.before_ts ? new Date(q.before_ts) : undefined,
          sinceTs: q.since_ts ? new Date(q.since_ts) : undefined,
          starred: q.starred,
          hasInbound: q.has_inbound,
        },
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
        description:
          "The id is a thread's id, or the id of a message in it. `mailbox` (id or name) finds only a thread of " +
          "that mailbox; `view=summary` gives the messages as MessageSummary objects (full messages by default).",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        querystring: Type.Object(
          {
            mailbox: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            view: Type.Optional(View),
          },
          { additionalProperties: false },
        ),
        response: { 200: ThreadRef, ...errors(...ITEM_ACCESS, "MAILBOX_FORBIDDEN") },
      },
    },
    async (req) => {
      const { thread, messages, deliveries, view } = await getThreadWithMessages(
        ctx,
        principalOf(req),
        req.params.id,
        { mailbox: req.query.mailbox },
      );
      const present = presenterIn(view, req.query.view ?? "verbose");
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
