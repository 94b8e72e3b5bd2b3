import { createQueueHealth } from "../../jobs/health.ts";
import { described, ErrorRef, HealthRef } from "../schemas/index.ts";
import type { Api, RouteContext } from "../server.ts";

export function healthRoutes(app: Api, ctx: RouteContext) {
  const queueHealth = createQueueHealth({ db: ctx.db, clock: ctx.clock });
  app.get(
    "/v1/health",
    {
      config: { public: true },
      schema: {
        operationId: "getHealth",
        summary: "Service health",
        tags: ["health"],
        security: [],
        response: {
          200: described(HealthRef, "The service is up."),
          503: {
            description:
              "`degraded`: the database does not answer; or `SHUTTING_DOWN` in the error envelope.",
            anyOf: [HealthRef, ErrorRef],
          },
        },
      },
    },
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
      };
    },
  );
}
