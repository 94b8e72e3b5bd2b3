import { capabilitiesOf } from "../../domain/capabilities.ts";
import { createQueueHealth } from "../../jobs/health.ts";
import { described, ErrorRef, HealthRef } from "../schemas/index.ts";
import type { Api, RouteContext } from "../server.ts";

export function healthRoutes(app: Api, ctx: RouteContext) {
  const queueHealth = createQueueHealth({ db: ctx.db, clock: ctx.clock });
  const { config } = ctx;
  const capabilities = capabilitiesOf({
    roles: config.roles,
    dkimSigning: config.dkim.enabled,
    smtpRelay: config.smtpRelay !== null,
    providerBounces: config.bounceSecret !== null,
    injectionClassifier: config.injectionOnnx !== null,
  });
  // What this process sends through: the relay, or the recipients' MX hosts directly. No failover transport.
  const providers = {
    primary: { healthy: true, configured: true, kind: config.smtpRelay ? "relay" : "mx" },
    failover: { healthy: false, configured: false },
  };
  app.get(
    "/v1/health",
    {
      config: { public: true },
      schema: {
        operationId: "getHealth",
        summary: "Service health",
        description:
          "`status` ok | down (the database does not answer: 503); `database` whether it answers (its kind in " +
          "`database_kind`); `queue_depth` the work waiting (queued deliveries and inbound mail not yet processed), " +
          "with the detail in `queue`; `capabilities` what this server supports (clients check them before using a " +
          "feature); `providers` the outbound transport (relay or direct MX; no failover); `scanner` the injection " +
          "and PII scanners (built in, always on); `spam_filter` false (Postbox has none; the inbound firewall and " +
          "MailPolicy decide instead). `waits_open`, `streams_open`: long-polls and event streams open in the " +
          "process that answered.",
        tags: ["health"],
        security: [],
        response: {
          200: described(HealthRef, "The service is up."),
          503: {
            description: "`down`: the database does not answer; or `SHUTTING_DOWN` in the error envelope.",
            anyOf: [HealthRef, ErrorRef],
          },
        },
      },
    },
    async (_req, reply) => {
      const queue = await queueHealth();
      const common = {
        version: ctx.version,
        timestamp: ctx.clock.now().toISOString(),
        database_kind: ctx.db.kind,
        providers,
        scanner: true,
        spam_filter: false,
        capabilities,
        roles: [...config.roles],
      };
      if (!queue) {
        return reply.status(503).send({ status: "down", database: false, queue_depth: null, ...common });
      }
      return {
        status: "ok",
        database: true,
        queue_depth: queue.deliveries + queue.inbound,
        // inbound_failed: messages processing gave up on (kept for admins, state failed).
        queue: {
          deliveries_pending: queue.deliveries,
          inbound_pending: queue.inbound,
          inbound_failed: queue.inboundFailed,
        },
        waits_open: ctx.wakeups.count(),
        streams_open: ctx.live.streams.open(),
        ...common,
      };
    },
  );
}
