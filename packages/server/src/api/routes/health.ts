import { createQueueHealth } from "../../jobs/health.ts";
import type { Api, RouteContext } from "../server.ts";

/** Features a client can ask about before using them: the seed's CLI checks `messages.has_attachment_filter`. */
export const CAPABILITIES = [
  "messages.has_attachment_filter",
  "messages.search",
  "messages.search_operators",
  "threads.filters",
  "send.thread_id",
  "drafts.thread_id",
  "messages.firewall_release",
];

export function healthRoutes(app: Api, ctx: RouteContext) {
  const queueHealth = createQueueHealth({ db: ctx.db, clock: ctx.clock });
  app.get(
    "/v1/health",
    { config: { public: true }, schema: { summary: "Service health", tags: ["health"], security: [] } },
    async (_req, reply) => {
      const queue = await queueHealth();
      if (!queue) {
        return reply.status(503).send({
          status: "degraded",
          version: ctx.version,
          database: { status: "unavailable", kind: ctx.db.kind },
        });
      }
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
        // What this server supports that a client may check before relying on it (the seed's names).
        capabilities: CAPABILITIES,
      };
    },
  );
}
