import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import { redactEventData } from "../../domain/event-redaction.ts";
import type { Principal } from "../../domain/principal.ts";
import { eventIdOf } from "../../domain/webhook-envelope.ts";
import {
  type EventRow,
  type FeedPosition,
  nextFollowedEvents,
  replayEvents,
  startFollowingEvents,
} from "../../events/feed.ts";
import { list } from "../pagination.ts";
import { EventList, EventStream, errors, MAILBOX_ACCESS } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const FeedQuery = {
  types: Type.Optional(
    Type.String({ maxLength: 2000, description: "Comma-separated event types (see the event catalogue)." }),
  ),
  mailbox_id: Type.Optional(
    Type.String({ maxLength: 100, description: "Only this mailbox's events (UUID or name)." }),
  ),
};

const positionCursor = (p: FeedPosition) => encodeCursor({ i: p.id });

/** The event as the wire shows it; agent keys see message events of redacted mailboxes redacted. */
export function eventToWire(e: EventRow, p: Principal) {
  const redact = p.role !== "admin" && e.pii_mode === "redacted";
  // The same data a webhook gets: mailbox events carry their mailbox.
  const data = { ...(e.mailbox_id ? { mailbox_id: e.mailbox_id } : {}), ...e.data };
  return {
    id: eventIdOf(e.id),
    event: e.type,
    created_at: new Date(e.created_at).toISOString(),
    mailbox_id: e.mailbox_id,
    data: redact ? redactEventData(e.type, data) : data,
    cursor: positionCursor(e),
  };
}

/**
 * The event log, readable: replay from a cursor, or follow it live over Server-Sent Events. Admin keys see the
 * whole account; agent keys see the events of their mailboxes only.
 */
export function eventRoutes(app: Api, ctx: RouteContext) {
  const tags = ["events"];

  app.get(
    "/v1/events",
    {
      schema: {
        tags,
        operationId: "listEvents",
        summary: "Replay the event log from a cursor",
        description:
          "Events in commit order after `after` (from the oldest when omitted). The response's `cursor` is where to " +
          "continue — also when `data` is empty, so a client can poll with it. Each event also carries its own `cursor`.",
        querystring: Type.Object({
          after: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          ...FeedQuery,
        }),
        response: { 200: EventList, ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const limit = q.limit ?? 100;
      const rows = await replayEvents(ctx, p, {
        types: q.types,
        mailboxId: q.mailbox_id,
        after: q.after,
        limit,
      });
      const slice = rows.slice(0, limit);
      const last = slice[slice.length - 1];
      // The feed's cursor is a position, never null: at the end it is where to resume.
      return list(
        "events",
        slice.map((e) => eventToWire(e, p)),
        {
          has_more: rows.length > limit,
          next_cursor: last ? positionCursor(last) : (req.query.after ?? positionCursor({ id: "0" })),
        },
      );
    },
  );

  app.get(
    "/v1/events/stream",
    {
      schema: {
        tags,
        operationId: "streamEvents",
        summary: "Follow the event log live (Server-Sent Events)",
        description:
          "`text/event-stream`: one SSE message per event (`id:` is the event's cursor, `event:` its type, `data:` the " +
          "event as JSON). Resumes after the `Last-Event-ID` header (or `after`); otherwise starts with events " +
          "committed from now on. A comment line every 15 s keeps proxies from closing the connection. Open streams are " +
          "capped per API key and per account (`429 STREAM_LIMIT_REACHED`); a stream ends when its key is revoked " +
          "and when the server shuts down (reconnect with `Last-Event-ID`).",
        querystring: Type.Object({ after: Type.Optional(Type.String({ maxLength: 200 })), ...FeedQuery }),
        headers: Type.Object({
          "last-event-id": Type.Optional(
            Type.String({ description: "Resume after this event (the `id:` of the last one received)." }),
          ),
        }),
        response: {
          200: EventStream,
          ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "INVALID_CURSOR", "STREAM_LIMIT_REACHED"),
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const follow = await startFollowingEvents(ctx, p, {
        types: req.query.types,
        mailboxId: req.query.mailbox_id,
        resume: (req.headers["last-event-id"] as string | undefined) ?? req.query.after,
      });
      const release = ctx.live.take("stream", p);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        // The connection ends with the stream: it is never reused for another request.
        connection: "close",
        "x-accel-buffering": "no",
      });
      res.write("retry: 2000\n\n");
      ctx.live.track(res);
      let wake: () => void = () => {};
      const unsubscribe = ctx.eventWakeups.subscribe(p.accountId, () => wake());
      let open = true;
      const stop = () => {
        open = false;
        wake();
      };
      res.on("close", stop);
      // A revoked (or rebound) key's stream ends at once; a client that reconnects is authenticated afresh.
      const unwatch = ctx.auth.watch(p.apiKeyId, stop);
      // At shutdown the stream ends cleanly; the client resumes from its Last-Event-ID on another process.
      ctx.live.closing.addEventListener("abort", stop);
      if (ctx.live.closing.aborted) stop();
      let lastWrite = Date.now();
      try {
        while (open) {
          const woken = new Promise<void>((resolve) => {
            wake = resolve;
          });
          const rows = await nextFollowedEvents(ctx, follow, 200);
          // Nothing more once the key is revoked or the server is closing, even what was just read.
          if (!open) break;
          for (const e of rows) {
            const w = eventToWire(e, p);
            res.write(`id: ${w.cursor}\nevent: ${w.event}\ndata: ${JSON.stringify(w)}\n\n`);
            follow.position = e;
            lastWrite = Date.now();
          }
          if (rows.length === 200) continue;
          if (Date.now() - lastWrite > 15_000) {
            res.write(": keep-alive\n\n");
            lastWrite = Date.now();
          }
          // A commit wakes us (from any process); the timeout only bounds what a lost notification could cost.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            woken,
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, 1000);
            }),
          ]);
          clearTimeout(timer);
        }
      } catch (err) {
        ctx.logger.warn("event stream ended by an error", { err: String(err) });
      } finally {
        unsubscribe();
        unwatch();
        ctx.live.closing.removeEventListener("abort", stop);
        release();
        // The connection ends with the stream: never reused for another request.
        res.end(() => res.destroy());
      }
    },
  );
}
