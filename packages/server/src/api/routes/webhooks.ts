import { randomBytes, randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { isUuid } from "../../domain/address.ts";
import { AppError, notFound, validation } from "../../domain/errors.ts";
import { EVENT_CATALOG, EVENT_TYPES, type EventType, isEventType } from "../../domain/event-catalog.ts";
import { requireRole } from "../../domain/principal.ts";
import { envelope, eventIdOf } from "../../domain/webhook-outcome.ts";
import { newWebhookSecret } from "../../domain/webhook-signature.ts";
import { Channel, notify } from "../../store/channels.ts";
import {
  type DeliveryRow,
  deleteWebhook,
  getDelivery,
  getWebhook,
  insertTestDelivery,
  insertWebhookWithinLimit,
  listDeliveries,
  listWebhooks,
  requeueDelivery,
  rotateSecret,
  updateWebhook,
  type WebhookRow,
} from "../../store/webhooks.ts";
import { checkWebhookUrl } from "../../webhooks/target.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });
const Events = Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 });

function webhookToWire(w: WebhookRow) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    enabled_events: w.enabled_events,
    enabled: w.enabled,
    disabled_at: w.disabled_at ? new Date(w.disabled_at).toISOString() : null,
    disabled_reason: w.disabled_reason,
    consecutive_abandoned: w.consecutive_abandoned,
    previous_secret_expires_at:
      w.previous_secret_until && new Date(w.previous_secret_until) > new Date()
        ? new Date(w.previous_secret_until).toISOString()
        : null,
    created_at: new Date(w.created_at).toISOString(),
    updated_at: new Date(w.updated_at).toISOString(),
  };
}

export function deliveryToWire(d: DeliveryRow) {
  const iso = (x: Date | null) => (x ? new Date(x).toISOString() : null);
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id ? eventIdOf(d.event_id) : ((d.payload?.id as string | undefined) ?? null),
    event: d.event_type,
    state: d.state,
    attempts: d.attempts,
    last_status: d.last_status,
    last_error: d.last_error,
    last_attempt_at: iso(d.last_attempt_at),
    next_attempt_at: d.state === "pending" ? iso(d.next_attempt_at) : null,
    delivered_at: iso(d.delivered_at),
    created_at: new Date(d.created_at).toISOString(),
  };
}

function checkEvents(events: string[]): EventType[] {
  const unknown = events.filter((e) => !isEventType(e));
  if (unknown.length)
    throw validation(
      `enabled_events: unknown event type ${unknown.join(", ")}; known types: ${EVENT_TYPES.join(", ")}`,
      unknown.map((e) => `body.enabled_events: ${JSON.stringify(e)} is not in the event catalogue`),
    );
  return [...new Set(events)] as EventType[];
}

/** Signed webhooks: subscriptions per event type, a delivery log with manual retry, secret rotation. Admin only. */
export function webhookRoutes(app: Api, ctx: RouteContext) {
  const tags = ["webhooks"];

  async function webhookOf(req: FastifyRequest & { params: { id: string } }) {
    const p = principalOf(req);
    requireRole(p, "admin");
    const w = isUuid(req.params.id)
      ? await getWebhook(ctx.db, p.accountId, req.params.id.toLowerCase())
      : null;
    if (!w) throw notFound("webhook", req.params.id);
    return w;
  }

  app.post(
    "/v1/webhooks",
    {
      schema: {
        tags,
        summary: "Create a webhook (admin)",
        description:
          "Returns `signing_secret` (`whsec_…`) once: keep it to verify `X-Postbox-Signature`. Targets that are not " +
          "public unicast addresses are refused (`400 WEBHOOK_URL_PRIVATE`) unless the operator allows them. An " +
          "account has at most `POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT` webhooks (default 25): `409 WEBHOOK_LIMIT_REACHED`.",
        body: Type.Object(
          {
            url: Type.String({ maxLength: 2000 }),
            description: Type.Optional(Type.String({ maxLength: 500 })),
            enabled_events: Events,
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const events = checkEvents(req.body.enabled_events);
      const url = await checkWebhookUrl(req.body.url, ctx.config.webhookAllowPrivate);
      const secret = newWebhookSecret(randomBytes(24));
      const max = ctx.config.maxWebhooksPerAccount;
      const w = await ctx.db.tx((sql) =>
        insertWebhookWithinLimit(
          sql,
          {
            id: randomUUID(),
            accountId: p.accountId,
            url,
            description: req.body.description ?? null,
            events,
            enabled: req.body.enabled ?? true,
            secret,
          },
          max,
        ),
      );
      if (!w)
        throw new AppError(
          409,
          "WEBHOOK_LIMIT_REACHED",
          `this account already has ${max} webhooks, the limit per account: delete one it no longer needs ` +
            "(one webhook can subscribe to many event types), or ask the operator to raise POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT",
          { limit: max },
        );
      return reply.status(201).send({ ...webhookToWire(w), signing_secret: secret });
    },
  );

  app.get("/v1/webhooks", { schema: { tags, summary: "List webhooks (admin)" } }, async (req) => {
    const p = principalOf(req);
    requireRole(p, "admin");
    return { data: (await listWebhooks(ctx.db, p.accountId)).map(webhookToWire) };
  });

  app.get(
    "/v1/webhooks/:id",
    { schema: { tags, summary: "Get a webhook (admin)", params: IdParam } },
    async (req) => webhookToWire(await webhookOf(req)),
  );

  app.patch(
    "/v1/webhooks/:id",
    {
      schema: {
        tags,
        summary: "Update a webhook (admin)",
        description: "`enabled: true` also clears a disablement and its failure streak.",
        params: IdParam,
        body: Type.Object(
          {
            url: Type.Optional(Type.String({ maxLength: 2000 })),
            description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
            enabled_events: Type.Optional(Events),
            enabled: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const w = await webhookOf(req);
      const events = req.body.enabled_events ? checkEvents(req.body.enabled_events) : undefined;
      const url = req.body.url
        ? await checkWebhookUrl(req.body.url, ctx.config.webhookAllowPrivate)
        : undefined;
      const updated = await updateWebhook(ctx.db, w.account_id, w.id, {
        url,
        description: req.body.description,
        events,
        enabled: req.body.enabled,
      });
      if (!updated) throw notFound("webhook", req.params.id);
      // Re-enabled: what waited for it goes out now.
      if (req.body.enabled) await notify(ctx.db, Channel.webhooks);
      return webhookToWire(updated);
    },
  );

  app.delete(
    "/v1/webhooks/:id",
    { schema: { tags, summary: "Delete a webhook and its delivery log (admin)", params: IdParam } },
    async (req, reply) => {
      const w = await webhookOf(req);
      await deleteWebhook(ctx.db, w.account_id, w.id);
      return reply.status(204).send();
    },
  );

  app.post(
    "/v1/webhooks/:id/rotate-secret",
    {
      schema: {
        tags,
        summary: "Rotate a webhook's signing secret (admin)",
        description:
          "Returns the new `signing_secret` once. For `grace_seconds` (default 86400, at most 7 days; 0 = none) each " +
          "delivery is signed with both secrets (`v1=<new>,v1=<old>`), then with the new one only.",
        params: IdParam,
        body: Type.Optional(
          Type.Object(
            { grace_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })) },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (req) => {
      const w = await webhookOf(req);
      const secret = newWebhookSecret(randomBytes(24));
      const updated = await rotateSecret(
        ctx.db,
        w.account_id,
        w.id,
        secret,
        req.body?.grace_seconds ?? 86400,
      );
      if (!updated) throw notFound("webhook", req.params.id);
      return { ...webhookToWire(updated), signing_secret: secret };
    },
  );

  app.post(
    "/v1/webhooks/:id/test",
    {
      schema: {
        tags,
        summary: "Send a test delivery now (admin)",
        description:
          "Sends a real-shaped payload of `event` (default `webhook.test`; the catalogue's example data) right away and " +
          "returns the delivery as it stands after the first attempt. A failed test is retried like any delivery.",
        params: IdParam,
        body: Type.Optional(
          Type.Object(
            { event: Type.Optional(Type.String({ maxLength: 100 })) },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (req) => {
      const w = await webhookOf(req);
      const type = req.body?.event ?? "webhook.test";
      if (!isEventType(type))
        throw validation(`event: unknown event type ${type}; known types: ${EVENT_TYPES.join(", ")}`);
      if (!w.enabled)
        throw new AppError(
          409,
          "WEBHOOK_DISABLED",
          "the webhook is disabled; PATCH it with enabled: true first",
        );
      const data =
        type === "webhook.test"
          ? { webhook_id: w.id, message: "This is a test event from Postbox." }
          : EVENT_CATALOG[type].example;
      const id = randomUUID();
      await insertTestDelivery(ctx.db, {
        id,
        webhookId: w.id,
        accountId: w.account_id,
        eventType: type,
        payload: envelope({
          id: `evt_test_${id.replace(/-/g, "").slice(0, 16)}`,
          type,
          createdAt: new Date(),
          data,
        }),
      });
      const d = await ctx.webhooks.deliverNow(id, w.id);
      return deliveryToWire(d!);
    },
  );

  app.get(
    "/v1/webhooks/:id/deliveries",
    {
      schema: {
        tags,
        summary: "A webhook's deliveries, newest first (admin)",
        description:
          "Keyset pagination: pass `before_at` and `before_id` together (the `next_before_at` / `next_before_id` of the " +
          "previous page), or neither.",
        params: IdParam,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
          before_at: Type.Optional(Type.String({ format: "date-time" })),
          before_id: Type.Optional(Type.String({ format: "uuid" })),
        }),
      },
    },
    async (req) => {
      const w = await webhookOf(req);
      const { before_at, before_id } = req.query;
      if (Boolean(before_at) !== Boolean(before_id))
        throw validation(
          "before_at and before_id go together: pass both (from the previous page) or neither",
        );
      const limit = req.query.limit ?? 50;
      const rows = await listDeliveries(
        ctx.db,
        w.id,
        limit + 1,
        before_at && before_id ? { at: before_at, id: before_id } : null,
      );
      const slice = rows.slice(0, limit);
      const last = slice[slice.length - 1];
      const more = rows.length > limit;
      return {
        data: slice.map(deliveryToWire),
        has_more: more,
        next_before_at: more && last ? new Date(last.created_at).toISOString() : null,
        next_before_id: more && last ? last.id : null,
      };
    },
  );

  app.post(
    "/v1/webhooks/:id/deliveries/:did/retry",
    {
      schema: {
        tags,
        summary: "Re-queue a failed delivery (admin)",
        description:
          "`409 DELIVERY_NOT_FAILED` unless it failed; `409 WEBHOOK_DISABLED` while the webhook is disabled.",
        params: Type.Object({ id: Type.String({ maxLength: 100 }), did: Type.String({ maxLength: 100 }) }),
      },
    },
    async (req, reply) => {
      const w = await webhookOf(req);
      const d = isUuid(req.params.did) ? await getDelivery(ctx.db, w.id, req.params.did.toLowerCase()) : null;
      if (!d) throw notFound("delivery", req.params.did);
      if (!w.enabled)
        throw new AppError(
          409,
          "WEBHOOK_DISABLED",
          "the webhook is disabled; PATCH it with enabled: true, then retry",
        );
      if (d.state !== "failed")
        throw new AppError(
          409,
          "DELIVERY_NOT_FAILED",
          `the delivery is ${d.state}; only failed deliveries can be retried`,
        );
      const again = await requeueDelivery(ctx.db, d.id);
      if (!again) throw new AppError(409, "DELIVERY_NOT_FAILED", "the delivery is no longer failed");
      await notify(ctx.db, Channel.webhooks);
      return reply.status(202).send(deliveryToWire(again));
    },
  );
}
