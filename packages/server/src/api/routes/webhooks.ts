import { Type } from "typebox";
import { eventIdOf } from "../../domain/webhook-envelope.ts";
import {
  createWebhook,
  type DeliveryRow,
  deleteWebhook,
  getWebhookOf,
  listAccountWebhooks,
  listWebhookDeliveries,
  retryWebhookDelivery,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
  type WebhookRow,
} from "../../webhooks/subscriptions.ts";
import { list } from "../pagination.ts";
import {
  described,
  errors,
  WebhookDeleted,
  WebhookDeliveryPage,
  WebhookDeliveryRef,
  WebhookList,
  WebhookRef,
  WebhookWithSecret,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });
const Events = Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 });

export function webhookToWire(w: WebhookRow) {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    enabled_events: w.enabled_events,
    enabled: w.enabled,
    disabled_at: w.disabled_at ? new Date(w.disabled_at).toISOString() : null,
    disabled_reason: w.disabled_reason,
    consecutive_abandoned: w.consecutive_abandoned,
    // The seed's name: deliveries abandoned in a row (the subscription is disabled after 20).
    consecutive_failures: w.consecutive_abandoned,
    last_success_at: w.last_success_at ? new Date(w.last_success_at).toISOString() : null,
    last_failure_at: w.last_failure_at ? new Date(w.last_failure_at).toISOString() : null,
    last_error: w.last_error,
    signature_scheme: w.signature_scheme,
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
    // The seed's names for the same facts.
    delivery_id: d.id,
    event_type: d.event_type,
    status: d.state,
    http_status: d.last_status,
    attempt_count: d.attempts,
    failed_at: d.state === "failed" ? iso(d.last_attempt_at) : null,
    next_retry_at: d.state === "pending" ? iso(d.next_attempt_at) : null,
    response_preview: d.last_error,
  };
}

/** Signed webhooks: subscriptions per event type, a delivery log with manual retry, secret rotation. Admin only. */
export function webhookRoutes(app: Api, ctx: RouteContext) {
  const tags = ["webhooks"];

  app.post(
    "/v1/webhooks",
    {
      schema: {
        tags,
        operationId: "createWebhook",
        summary: "Create a webhook (admin)",
        description:
          "Returns `signing_secret` (`whsec_…`) once: keep it to verify `X-Postbox-Signature`. Targets that are not " +
          "public unicast addresses are refused (`400 WEBHOOK_URL_PRIVATE`) unless the operator allows them. An " +
          "account has at most `POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT` webhooks (default 25): `409 WEBHOOK_LIMIT_REACHED`.",
        body: withExamples(
          Type.Object(
            {
              url: Type.String({ maxLength: 2000 }),
              description: Type.Optional(Type.String({ maxLength: 500 })),
              enabled_events: Events,
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          {
            url: "https://agent.example.com/hooks/postbox",
            description: "new mail for the support agent",
            enabled_events: ["message.received", "message.bounced"],
          },
        ),
        response: {
          201: WebhookWithSecret,
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "WEBHOOK_URL_INVALID",
            "WEBHOOK_URL_PRIVATE",
            "WEBHOOK_LIMIT_REACHED",
          ),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { webhook, secret } = await createWebhook(ctx, principalOf(req), {
        url: b.url,
        description: b.description,
        enabledEvents: b.enabled_events,
        enabled: b.enabled,
      });
      return reply.status(201).send({ ...webhookToWire(webhook), signing_secret: secret });
    },
  );

  app.get(
    "/v1/webhooks",
    {
      schema: {
        tags,
        operationId: "listWebhooks",
        summary: "List webhooks (admin)",
        response: { 200: WebhookList, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) => list("webhooks", (await listAccountWebhooks(ctx, principalOf(req))).map(webhookToWire)),
  );

  app.get(
    "/v1/webhooks/:id",
    {
      schema: {
        tags,
        operationId: "getWebhook",
        summary: "Get a webhook (admin)",
        params: IdParam,
        response: {
          200: described(WebhookRef, "The webhook."),
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND"),
        },
      },
    },
    async (req) => webhookToWire(await getWebhookOf(ctx, principalOf(req), req.params.id)),
  );

  app.patch(
    "/v1/webhooks/:id",
    {
      schema: {
        tags,
        operationId: "updateWebhook",
        summary: "Update a webhook (admin)",
        description: "`enabled: true` also clears a disablement and its failure streak.",
        params: IdParam,
        body: withExamples(
          Type.Object(
            {
              url: Type.Optional(Type.String({ maxLength: 2000 })),
              description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
              enabled_events: Type.Optional(Events),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          { enabled: true },
        ),
        response: {
          200: described(WebhookRef, "The webhook as changed."),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "NOT_FOUND",
            "VALIDATION_ERROR",
            "WEBHOOK_URL_INVALID",
            "WEBHOOK_URL_PRIVATE",
          ),
        },
      },
    },
    async (req) => {
      const b = req.body;
      const w = await updateWebhook(ctx, principalOf(req), req.params.id, {
        url: b.url,
        description: b.description,
        enabledEvents: b.enabled_events,
        enabled: b.enabled,
      });
      return webhookToWire(w);
    },
  );

  app.delete(
    "/v1/webhooks/:id",
    {
      schema: {
        tags,
        operationId: "deleteWebhook",
        summary: "Delete a webhook and its delivery log (admin)",
        params: IdParam,
        response: { 200: WebhookDeleted, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
      },
    },
    async (req) => {
      const w = await deleteWebhook(ctx, principalOf(req), req.params.id);
      return { status: "deleted", deleted: true, id: w.id };
    },
  );

  app.post(
    "/v1/webhooks/:id/rotate-secret",
    {
      schema: {
        tags,
        operationId: "rotateWebhookSecret",
        summary: "Rotate a webhook's signing secret (admin)",
        description:
          "Returns the new `signing_secret` once. For `grace_seconds` (default 86400, at most 7 days; 0 = none) each " +
          "delivery is signed with both secrets (`v1=<new>,v1=<old>`), then with the new one only.",
        params: IdParam,
        body: withExamples(
          Type.Optional(
            Type.Object(
              { grace_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })) },
              { additionalProperties: false },
            ),
          ),
          { grace_seconds: 3600 },
        ),
        response: { 200: WebhookWithSecret, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
      },
    },
    async (req) => {
      const grace = req.body?.grace_seconds ?? 86400;
      const { webhook, secret } = await rotateWebhookSecret(ctx, principalOf(req), req.params.id, grace);
      return { ...webhookToWire(webhook), signing_secret: secret };
    },
  );

  app.post(
    "/v1/webhooks/:id/test",
    {
      schema: {
        tags,
        operationId: "testWebhook",
        summary: "Send a test delivery now (admin)",
        description:
          "Sends a real-shaped payload of `event` (default `webhook.test`; the catalogue's example data) right away and " +
          "returns the delivery as it stands after the first attempt. A failed test is retried like any delivery.",
        params: IdParam,
        body: withExamples(
          Type.Optional(
            Type.Object(
              { event: Type.Optional(Type.String({ maxLength: 100 })) },
              { additionalProperties: false },
            ),
          ),
          { event: "message.received" },
        ),
        response: {
          200: described(WebhookDeliveryRef, "The test delivery after its first attempt."),
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "VALIDATION_ERROR", "WEBHOOK_DISABLED"),
        },
      },
    },
    async (req) => deliveryToWire(await testWebhook(ctx, principalOf(req), req.params.id, req.body?.event)),
  );

  app.get(
    "/v1/webhooks/:id/deliveries",
    {
      schema: {
        tags,
        operationId: "listWebhookDeliveries",
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
        response: {
          200: WebhookDeliveryPage,
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "VALIDATION_ERROR"),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await listWebhookDeliveries(ctx, principalOf(req), req.params.id, {
        limit,
        beforeAt: req.query.before_at,
        beforeId: req.query.before_id,
      });
      const slice = rows.slice(0, limit);
      const last = slice[slice.length - 1];
      const more = rows.length > limit;
      return {
        deliveries: slice.map(deliveryToWire),
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
        operationId: "retryWebhookDelivery",
        summary: "Re-queue a failed delivery (admin)",
        description:
          "`409 DELIVERY_NOT_FAILED` unless it failed; `409 WEBHOOK_DISABLED` while the webhook is disabled.",
        params: Type.Object({ id: Type.String({ maxLength: 100 }), did: Type.String({ maxLength: 100 }) }),
        response: {
          202: described(WebhookDeliveryRef, "The delivery, queued again."),
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "WEBHOOK_DISABLED", "DELIVERY_NOT_FAILED"),
        },
      },
    },
    async (req, reply) => {
      const d = await retryWebhookDelivery(ctx, principalOf(req), req.params.id, req.params.did);
      return reply.status(202).send(deliveryToWire(d));
    },
  );
}
