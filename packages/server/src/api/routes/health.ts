import { queueDepth } from "../../store/deliveries.ts";
import type { Api, RouteContext } from "../server.ts";

export function healthRoutes(app: Api, ctx: RouteContext) {
  app.get(
    "/v1/health",
    { config: { public: true }, schema: { summary: "Service health", tags: ["health"], security: [] } },
    async (_req, reply) => {
      try {
        const queue = await queueDepth(ctx.db);
        return {
          status: "ok",
          version: ctx.version,
          database: { status: "ok", kind: ctx.db.kind },
          queue: { deliveries_pending: queue.deliveries, inbound_pending: queue.inbound },
          roles: [...ctx.config.roles],
        };
      } catch {
        return reply.status(503).send({
          status: "degraded",
          version: ctx.version,
          database: { status: "unavailable", kind: ctx.db.kind },
        });
      }
    },
  );
}
