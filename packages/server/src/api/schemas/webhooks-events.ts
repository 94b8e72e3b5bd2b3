import { type TSchema, Type } from "typebox";
import { EVENT_TYPES } from "../../domain/event-catalog.ts";
import { component, DeletedMark, listOf, Nullable, Timestamp, Uuid } from "./common.ts";

// routes/webhooks.ts webhookToWire and deliveryToWire; routes/events.ts eventToWire.

export const EventType: TSchema = Type.Union(
  EVENT_TYPES.map((t) => Type.Literal(t)),
  { description: "An event type of the catalogue (docs/events.md)." },
);

const webhookFields = {
  id: Uuid,
  url: Type.String(),
  description: Nullable(Type.String()),
  enabled_events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabled_at: Nullable(Timestamp),
  disabled_reason: Nullable(Type.String()),
  consecutive_abandoned: Type.Integer({ description: "Deliveries abandoned in a row (disabled after 20)." }),
  consecutive_failures: Type.Integer({ description: "The seed's name for consecutive_abandoned." }),
  last_success_at: Nullable(Timestamp, { description: "The last delivery it answered with 2xx." }),
  last_failure_at: Nullable(Timestamp, { description: "The last delivery attempt that failed." }),
  last_error: Nullable(Type.String({ description: "What the last failed attempt got." })),
  signature_scheme: Type.String({
    description: "postbox, agentpack or replylayer: how deliveries are signed.",
  }),
  previous_secret_expires_at: Nullable(Timestamp, {
    description: "Until when deliveries are also signed with the previous secret (after a rotation).",
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const WebhookRef: TSchema = component(
  "Webhook",
  Type.Object(webhookFields, { description: "A signed webhook subscription." }),
);

export const WebhookWithSecret: TSchema = Type.Object(
  {
    ...webhookFields,
    signing_secret: Type.String({
      description: "`whsec_…`: verify X-Postbox-Signature with it. Shown once.",
    }),
  },
  { description: "The webhook and its signing secret (shown once)." },
);

export const WebhookList: TSchema = listOf("webhooks", WebhookRef, "The account's webhooks.");

export const WebhookDeleted: TSchema = Type.Object(
  { ...DeletedMark, id: Uuid },
  { description: "The webhook is gone." },
);

export const WebhookDeliveryRef: TSchema = component(
  "WebhookDelivery",
  Type.Object(
    {
      id: Uuid,
      webhook_id: Uuid,
      event_id: Nullable(Type.String({ description: "`evt_<n>`, as in the delivered payload." })),
      event: Type.String(),
      state: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed")]),
      attempts: Type.Integer(),
      last_status: Nullable(Type.Integer()),
      last_error: Nullable(Type.String()),
      last_attempt_at: Nullable(Timestamp),
      next_attempt_at: Nullable(Timestamp),
      delivered_at: Nullable(Timestamp),
      created_at: Timestamp,
      delivery_id: Uuid,
      event_type: Type.String(),
      status: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("failed")]),
      http_status: Nullable(Type.Integer()),
      attempt_count: Type.Integer(),
      failed_at: Nullable(Timestamp),
      next_retry_at: Nullable(Timestamp),
      response_preview: Nullable(Type.String()),
    },
    {
      description:
        "One event's delivery to one webhook; `delivery_id`, `event_type`, `status`, `http_status`, `attempt_count`, " +
        "`failed_at`, `next_retry_at` and `response_preview` are the seed's names for the same facts.",
    },
  ),
);

export const WebhookDeliveryPage: TSchema = Type.Object(
  {
    deliveries: Type.Array(WebhookDeliveryRef),
    has_more: Type.Boolean(),
    next_before_at: Nullable(Timestamp),
    next_before_id: Nullable(Uuid),
  },
  { description: "Newest first; pass `next_before_at` and `next_before_id` back for the next page." },
);

export const EventRef: TSchema = component(
  "Event",
  Type.Object(
    {
      id: Type.String({ description: "`evt_<n>`: the same in webhook deliveries of this event." }),
      event: EventType,
      created_at: Timestamp,
      mailbox_id: Nullable(Uuid),
      data: Type.Object({}, { description: "The event's data (docs/events.md)." }),
      cursor: Type.String({ description: "Where to resume after this event." }),
    },
    { description: "One entry of the event log." },
  ),
);

export const EventList: TSchema = listOf(
  "events",
  EventRef,
  "Events in commit order; `next_cursor` is never null: it is where to continue, also after an empty page.",
);

export const EventStream: TSchema = {
  description: "Server-Sent Events: `id:` the event's cursor, `event:` its type, `data:` the Event as JSON.",
  content: {
    "text/event-stream": {
      schema: {
        type: "string",
        examples: [
          'retry: 2000\n\nid: eyJpIjoiMTA0MiJ9\nevent: message.received\ndata: {"id":"evt_1042","event":"message.received",…}\n\n',
        ],
      },
    },
  },
} as unknown as TSchema;
