import { type TSchema, Type } from "typebox";
import { BRIDGE_FORMATS } from "../../inbound/bridge-payloads.ts";
import { component, Nullable, RawMimeBody, Strings, Timestamp, Uuid } from "./common.ts";
import { InboundRuleRef } from "./governance.ts";

// routes/health.ts, dkim.ts, bounces.ts, ingest.ts and the bridge's own answers (routes/bridge.ts).

const Provider = Type.Object({
  healthy: Type.Boolean(),
  configured: Type.Boolean(),
  kind: Type.Optional(Type.String({ description: "relay or mx." })),
});

export const HealthRef: TSchema = component(
  "Health",
  Type.Object(
    {
      status: Type.Union([Type.Literal("ok"), Type.Literal("down")], {
        description: "down (503): the database does not answer.",
      }),
      database: Type.Boolean({ description: "Whether the database answers." }),
      database_kind: Type.String({ description: "pglite or postgres." }),
      queue_depth: Nullable(
        Type.Integer({ description: "Queued deliveries and inbound mail not yet processed." }),
      ),
      queue: Type.Optional(
        Type.Object({
          deliveries_pending: Type.Integer(),
          inbound_pending: Type.Integer(),
          inbound_failed: Type.Integer({ description: "Messages processing gave up on (state failed)." }),
        }),
      ),
      waits_open: Type.Optional(
        Type.Integer({ description: "Long-polls open in the process that answered." }),
      ),
      streams_open: Type.Optional(
        Type.Integer({ description: "Event streams open in the process that answered." }),
      ),
      version: Type.String(),
      timestamp: Timestamp,
      providers: Type.Object(
        { primary: Provider, failover: Provider },
        { description: "The outbound transport: the relay or direct MX; no failover." },
      ),
      scanner: Type.Boolean({ description: "The injection and PII scanners (built in, always on)." }),
      spam_filter: Type.Boolean({ description: "Always false: Postbox has no spam filter." }),
      capabilities: Type.Array(Type.String(), {
        description:
          "What this server supports (`messages.search`, `send.thread_id` …); clients check before using a feature.",
      }),
      roles: Strings,
    },
    {
      description: "Whether the service can serve: `ok` with its queues, or `down` (503) without a database.",
    },
  ),
);

export const DkimRecord: TSchema = Type.Object(
  {
    domain: Type.String(),
    selector: Type.String(),
    name: Type.String({ description: "Where to publish it: `<selector>._domainkey.<domain>`." }),
    type: Type.Literal("TXT"),
    value: Type.String({ description: "`v=DKIM1; k=rsa; p=…`" }),
  },
  { description: "The DKIM record to publish." },
);

export const BounceReceived: TSchema = Type.Object(
  {
    received: Type.Literal(true),
    kind: Type.String(),
    effect: Type.Union(["suppressed", "bounced", "recorded", "ignored"].map((e) => Type.Literal(e))),
    recipient: Nullable(Type.String()),
    accounts: Type.Integer({ description: "How many accounts had sent to the address." }),
  },
  { description: "The record was taken." },
);

const Accepted = Type.Array(Type.Object({ recipient: Type.String(), message_id: Uuid, mailbox_id: Uuid }));
const Rejected = Type.Array(
  Type.Object({
    recipient: Type.String(),
    code: Type.String({ description: "INVALID_ADDRESS, FOREIGN_DOMAIN or UNKNOWN_RECIPIENT." }),
    reason: Type.String(),
  }),
);

export const IngestResultRef: TSchema = component(
  "IngestResult",
  Type.Object(
    {
      accepted: Accepted,
      rejected: Rejected,
    },
    { description: "Stored for every accepted recipient (one copy per mailbox) before this answer." },
  ),
);

export const BridgeIngestResult: TSchema = Type.Object(
  {
    format: Type.Union(BRIDGE_FORMATS.map((f) => Type.Literal(f))),
    reconstructed: Type.Boolean({ description: "Whether MIME was rebuilt from the payload's parts." }),
    accepted: Accepted,
    rejected: Rejected,
  },
  { description: "Stored for every accepted recipient before this answer." },
);

export const AgentAddress: TSchema = Type.Object(
  {
    agent_id: Type.String(),
    mailbox_id: Uuid,
    address: Type.String(),
    aliases: Strings,
    display_name: Nullable(Type.String()),
    created: Type.Boolean(),
  },
  { description: "The agent's mailbox address (201 when created now) and its aliases." },
);

export const MarkedRead: TSchema = Type.Object(
  {
    marked: Type.Array(Type.Object({ id: Uuid, read_at: Nullable(Timestamp) })),
    not_found: Strings,
  },
  { description: "What was marked; ids the key cannot see are in `not_found`." },
);

export const RulePut: TSchema = Type.Object(
  {
    agent_id: Type.String(),
    replaced: Type.Boolean(),
    index: Type.Integer(),
    rules: Type.Array(InboundRuleRef),
    auto_reply_period_hours: Type.Integer(),
  },
  { description: "The mailbox's rules after the put." },
);

export const BridgeWebhook: TSchema = Type.Object(
  {
    webhook_id: Uuid,
    url: Type.String(),
    events: Strings,
    secret: Type.String({ description: "Shown once." }),
    created_at: Timestamp,
  },
  { description: "The registered webhook and its secret (shown once)." },
);

export const BridgeWebhookRotated: TSchema = Type.Object(
  {
    webhook_id: Uuid,
    secret: Type.String({ description: "The new secret. Shown once." }),
    previous_secret_expires_at: Nullable(Timestamp),
  },
  { description: "The new secret; the previous one stays valid until `previous_secret_expires_at`." },
);

/** The provider's record, read from the raw bytes by the use-case (the signature covers them). */
export const BounceRecordBody: TSchema = {
  type: "object",
  "x-raw-body": true,
  description: "A Postmark-style bounce or spam-complaint record, signed byte for byte.",
  properties: {
    RecordType: { type: "string", description: "Bounce or SpamComplaint." },
    Type: { type: "string", description: "HardBounce, SoftBounce, SpamComplaint, …" },
    Email: { type: "string", description: "The address that bounced." },
    MessageID: { type: "string", description: "Our message id, when the provider kept it." },
    Description: { type: "string" },
    Details: { type: "string" },
    BouncedAt: { type: "string" },
  },
  required: ["Email"],
  examples: [
    {
      RecordType: "Bounce",
      Type: "HardBounce",
      Email: "gone@example.com",
      MessageID: "0b7e3f7a-5a43-4c1e-9a62-3c0f3b1c2d4e",
      Description: "The mailbox does not exist",
      BouncedAt: "2026-11-22T10:00:00Z",
    },
  ],
} as unknown as TSchema;

const rawBody = (description: string, type = "string", example?: unknown) =>
  ({
    type,
    "x-raw-body": true,
    description,
    ...(example === undefined ? {} : { examples: [example] }),
  }) as unknown as TSchema;

/** The bridge's /ingest bodies: raw MIME, or a provider's inbound webhook, each read by the use-case. */
export const BridgeIngestBody: TSchema = {
  content: {
    "message/rfc822": { schema: RawMimeBody },
    "application/json": {
      schema: rawBody(
        "Postmark's inbound webhook JSON (`RawEmail` kept when present, else rebuilt).",
        "object",
        {
          From: "alice@partner.example",
          To: "research-bot@mail.example.com",
          Subject: "Hello",
          TextBody: "Hi there.",
          MessageID: "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
        },
      ),
    },
    "multipart/form-data": { schema: rawBody("SendGrid Inbound Parse, or a Mailgun route's forward.") },
    "application/x-www-form-urlencoded": { schema: rawBody("A Mailgun route's forward (or SendGrid's).") },
  },
} as unknown as TSchema;
