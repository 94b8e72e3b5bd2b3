import { Type } from "typebox";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { deliveriesFor } from "../../store/deliveries.ts";
import { threadMessages } from "../../store/messages.ts";
import { listThreads } from "../../store/threads.ts";
import { mailboxFor, threadFor } from "../../tenancy/access.ts";
import { PageQuery, page } from "../pagination.ts";
import { presenterForMailboxId } from "../present.ts";
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
      const mb = await mailboxFor(ctx.db, principalOf(req), req.params.id);
      const limit = req.query.limit ?? 50;
      const before = req.query.cursor ? decodeCursor(req.query.cursor, { t: "timestamp", i: "uuid" }) : null;
      const rows = await listThreads(ctx.db, mb.id, {
        limit: limit + 1,
        before: before ? { at: before.t, id: before.i } : undefined,
      });
      return page(rows, limit, threadToWire, (r) =>
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
      const p = principalOf(req);
      const thread = await threadFor(ctx.db, p, req.params.id);
      const messages = await threadMessages(ctx.db, thread.id, p.role !== "admin");
      const deliveries = await deliveriesFor(
        ctx.db,
        messages.filter((m) => m.direction === "outbound").map((m) => m.id),
      );
      const present = await presenterForMailboxId(ctx.db, thread.mailbox_id);
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
