import { createHash, timingSafeEqual } from "node:crypto";
import type { Metrics } from "../../platform/metrics.ts";
import { requireOperator } from "../../tenancy/accounts.ts";
import { errors } from "../schemas/index.ts";
import type { Api, RouteContext } from "../server.ts";

/** Whether an Authorization header carries the metrics token (compared in constant time). */
export function bearsToken(header: string | undefined, token: string | null): boolean {
  if (token === null) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/**
 * `GET /metrics` on the API port (POSTBOX_METRICS=1): installation-wide figures, so only the operator's admin
 * keys or the scraper's token (POSTBOX_METRICS_TOKEN) may read them, never a tenant's key.
 */
export function metricsRoutes(app: Api, ctx: RouteContext, metrics: Metrics) {
  app.get(
    "/metrics",
    {
      config: { public: true },
      schema: {
        hide: true,
        response: {
          200: {
            description: "The Prometheus text exposition format (docs/operations.md#metrics).",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          ...errors("UNAUTHENTICATED", "INVALID_API_KEY", "INSUFFICIENT_SCOPE"),
        },
      },
    },
    async (req, reply) => {
      if (!bearsToken(req.headers.authorization, ctx.config.metrics.token)) {
        const principal = await ctx.auth.authenticate(req.headers.authorization);
        await requireOperator(ctx.db, principal);
      }
      return reply.type(metrics.contentType).send(await metrics.text());
    },
  );
}
