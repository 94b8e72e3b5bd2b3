import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import { getThreadWithMessages, listMailboxThreads } from "../../tenancy/mailbox-threads.ts";
import { presenterOf } from "../message-view.ts";
import { PageQuery, page } from "../pagination.ts";
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
        summary: "List a mailbox's threads, most recent activity first",
        params: MailboxParam,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await listMailboxThreads(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: req.query.cursor,
      });
      return page("threads", rows, limit, threadToWire, (r) =>
        encodeCursor({ t: r.last_message_at.toISOString(), i: r.id }),
      );
    },
  );

  app.get(
    "/v1/threads/:id",
    {
      schema: {
        tags,
        summary: "A thread with its messages, oldest first",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
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
        ...threadToWire(thread),
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
