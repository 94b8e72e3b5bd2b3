import { queueDepth } from "../../store/deliveries.ts";
import type { Api, RouteContext } from "../server.ts";

/** Load balancers poll health often: the queue depth is read at most once a second per process. */
const QUEUE_CACHE_MS = 1000;

export function healthRoutes(app: Api, ctx: RouteContext) {
  let cached: { at: number; queue: Awaited<ReturnType<typeof queueDepth>> } | null = null;
  app.get(
    "/v1/health",
    { config: { public: true }, schema: { summary: "Service health", tags: ["health"], security: [] } },
    async (_req, reply) => {
      try {
        if (!cached || Date.now() - cached.at > QUEUE_CACHE_MS)
          cached = { at: Date.now(), queue: await queueDepth(ctx.db) };
        const queue = cached.queue;
        return {
          status: "ok",
          version: ctx.version,
          database: { status: "ok", kind: ctx.db.kind },
          // inbound_failed: messages processing gave up on (kept for admins, state failed).
          queue: {
            deliveries_pending: queue.deliveries,
            inbound_pending: queue.inbound,
            inbound_failed: queue.inboundFailed,
          },
          waits_open: ctx.wakeups.count(),
          streams_open: ctx.live.streams.open(),
          roles: [...ctx.config.roles],
        };
      } catch {
        cached = null;
        return reply.status(503).send({
          status: "degraded",
          version: ctx.version,
          database: { status: "unavailable", kind: ctx.db.kind },
        });
      }
    },
  );
}
