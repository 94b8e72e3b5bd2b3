import { Type } from "typebox";
import { mailboxAddress } from "../../domain/address.ts";
import { encodeCursor } from "../../domain/cursor.ts";
import { ingestBridgePayload } from "../../inbound/bridge-ingest.ts";
import { BRIDGE_FORMATS } from "../../inbound/bridge-payloads.ts";
import { putRule } from "../../inbound/rule-set.ts";
import { sendFromMailbox } from "../../outbound/send-request.ts";
import { allocateAgentAddress, MAX_ALIASES_PER_CALL } from "../../tenancy/agent-addresses.ts";
import { listMailboxMessages, markMessagesRead } from "../../tenancy/mailbox-messages.ts";
import { createWebhook, rotateWebhookSecret } from "../../webhooks/subscriptions.ts";
import { presenterOf } from "../message-view.ts";
import { page } from "../pagination.ts";
import {
  AgentAddress,
  BridgeIngestBody,
  BridgeIngestResult,
  BridgeWebhook,
  BridgeWebhookRotated,
  described,
  errors,
  IdempotencyKeyHeader,
  listOf,
  MAILBOX_ACCESS,
  MarkedRead,
  MessageRef,
  PreferStrictHeader,
  RULE_SET_EXAMPLE,
  RulePut,
  SEND_REFUSALS,
  SendResultRef,
  withExamples,
} from "../schemas/index.ts";
import { sendOutcome } from "../send-outcome.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { EnvelopeQueryFields, RcptTo } from "./ingest.ts";
import { Recipients, Subject, Text } from "./messages.ts";

/**
 * The bridge API (docs/bridge.md): the postbox seed's route table for existing MTAs and agent runtimes, each route
 * one existing use-case. Keys come bare in `x-agentpack-key`, as `Authorization: Bearer`, or as the password of
 * Basic credentials (what a provider's webhook URL can carry).
 */

const AgentId = Type.String({ minLength: 1, maxLength: 64, description: "The agent's mailbox name." });
const security: { [scheme: string]: string[] }[] = [{ agentpackKey: [] }, { bearer: [] }, { basic: [] }];
const config = { agentpackKey: true };
const tags = ["bridge"];
const DEFAULT_GRACE_SECONDS = 86400;

const IngestQuery = Type.Object(
  {
    format: Type.Optional(Type.Union(BRIDGE_FORMATS.map((f) => Type.Literal(f)))),
    rcpt_to: Type.Optional(RcptTo),
    ...EnvelopeQueryFields,
  },
  { additionalProperties: false },
);

const Direction = Type.Union([
  Type.Literal("in"),
  Type.Literal("out"),
  Type.Literal("inbound"),
  Type.Literal("outbound"),
]);

export function bridgeRoutes(app: Api, ctx: RouteContext) {
  // Provider forms are read by the use-case from their bytes (inbound/form-data.ts), in this plugin's routes only.
  app.addContentTypeParser(
    ["multipart/form-data", "application/x-www-form-urlencoded"],
    { parseAs: "buffer" },
    (_req, body, done) => done(null, body),
  );

  app.post(
    "/ingest",
    {
      config,
      // Base64 in Postmark's JSON makes a message about 4/3 as large, plus the JSON around it.
      bodyLimit: Math.ceil((ctx.config.maxMessageBytes * 4) / 3) + 1024 * 1024,
      schema: {
        tags,
        security,
        operationId: "bridgeIngest",
        summary: "Ingest a message from an MTA or a provider's inbound webhook (bridge)",
        description:
          "Bodies: raw MIME (`message/rfc822`), Postmark's inbound JSON (`application/json`), SendGrid Inbound Parse " +
          "or a Mailgun route's forward (`multipart/form-data` or `application/x-www-form-urlencoded`), detected " +
          "or named with `format`. A raw message is stored as given; parts are rebuilt into MIME. Recipients: " +
          "`rcpt_to`, else the payload's envelope, else the message's Delivered-To / X-Original-To / To / Cc. Then " +
          "exactly the pipeline of `POST /v1/ingest` (202 once stored). Needs an ingest (bridge) or admin key.",
        querystring: IngestQuery,
        body: BridgeIngestBody,
        response: {
          202: BridgeIngestResult,
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "UNSUPPORTED_MEDIA_TYPE",
            "MESSAGE_TOO_LARGE",
            "HEADER_TOO_LARGE",
            "UNRECOGNIZED_PAYLOAD",
            "INVALID_PAYLOAD",
            "INVALID_HEADER",
            "INVALID_ATTACHMENT",
            "INVALID_FORM",
            "MAILGUN_SIGNATURE_INVALID",
            "NO_RECIPIENTS",
            "NO_VALID_RECIPIENTS",
          ),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const r = await ingestBridgePayload(ctx, principalOf(req), {
        contentType: req.headers["content-type"],
        body: req.body,
        format: q.format,
        rcptTo: q.rcpt_to,
        mailFrom: q.mail_from,
        clientIp: q.client_ip,
        helo: q.helo,
      });
      return reply.status(202).send({
        format: r.format,
        reconstructed: r.reconstructed,
        accepted: r.accepted.map((c) => ({
          recipient: c.recipient,
          message_id: c.messageId,
          mailbox_id: c.mailboxId,
        })),
        rejected: r.rejected,
      });
    },
  );

  app.post(
    "/alloc",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgeAlloc",
        summary: "The mailbox address of an agent id, created on first use, with aliases (bridge)",
        description:
          "The agent id is the mailbox name (case-insensitive). Aliases are more addresses delivering to the same " +
          `mailbox (at most ${MAX_ALIASES_PER_CALL} new per call; \`409 ALIAS_TAKEN\` when another mailbox has one). ` +
          "Creating or adding aliases needs an admin key; an agent key may look up a mailbox it is bound to.",
        body: withExamples(
          Type.Object(
            {
              agent_id: AgentId,
              aliases: Type.Optional(
                Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 }),
              ),
              display_name: Type.Optional(
                Type.Union([Type.String({ maxLength: 200, pattern: "^[^\\r\\n]*$" }), Type.Null()]),
              ),
            },
            { additionalProperties: false },
          ),
          { agent_id: "research-bot", aliases: ["research"], display_name: "Research Bot" },
        ),
        response: {
          200: AgentAddress,
          201: AgentAddress,
          ...errors(
            ...MAILBOX_ACCESS,
            "VALIDATION_ERROR",
            "MAILBOX_NAME_RESERVED",
            "MAILBOX_NAME_TAKEN",
            "MAILBOX_NAME_RETIRED",
            "ALIAS_TAKEN",
            "MAILBOX_LIMIT_REACHED",
          ),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const r = await allocateAgentAddress(
        { db: ctx.db, domain: ctx.config.domain, mailboxLimit: ctx.config.mailboxLimit },
        principalOf(req),
        {
          agentId: b.agent_id,
          aliases: b.aliases,
          displayName: b.display_name,
        },
      );
      return reply.status(r.created ? 201 : 200).send({
        agent_id: r.mailbox.name,
        mailbox_id: r.mailbox.id,
        address: mailboxAddress(r.mailbox, ctx.config.domain),
        aliases: r.aliases.map((a) => `${a}@${ctx.config.domain}`),
        display_name: r.mailbox.display_name,
        created: r.created,
      });
    },
  );

  app.post(
    "/send",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgeSend",
        summary: "Send a message from an agent's mailbox (bridge)",
        description:
          "The send of `POST /v1/messages/send` (gates, quotas, suppressions, scan, review), from the mailbox of " +
          "`agent_id`. `Idempotency-Key` is honoured. Answers the send's outcome: `status` is `sent`, " +
          "`pending_review` or `blocked`; with `Prefer: outcome=strict` a blocked send answers " +
          "`422 EMAIL_EFFECT_BLOCKED` and a held one `409 EMAIL_EFFECT_HELD`, the result in `details`.",
        headers: Type.Object({ "idempotency-key": IdempotencyKeyHeader, prefer: PreferStrictHeader }),
        body: withExamples(
          Type.Object(
            {
              agent_id: AgentId,
              to: Recipients,
              cc: Type.Optional(Recipients),
              bcc: Type.Optional(Recipients),
              subject: Subject,
              text: Text,
              html: Type.Optional(Type.Union([Text, Type.Null()])),
            },
            { additionalProperties: false },
          ),
          {
            agent_id: "research-bot",
            to: "alice@partner.example",
            subject: "The report you asked for",
            text: "Hello Alice, the report is attached below.",
          },
        ),
        response: {
          200: described(SendResultRef, "The send's outcome."),
          ...errors(...MAILBOX_ACCESS, ...SEND_REFUSALS),
        },
      },
    },
    async (req) => {
      const b = req.body;
      return sendOutcome(
        req,
        await sendFromMailbox(
          ctx,
          principalOf(req),
          {
            from_mailbox: b.agent_id,
            to: b.to,
            cc: b.cc,
            bcc: b.bcc,
            subject: b.subject,
            body: b.text,
            html: b.html,
          },
          req.headers["idempotency-key"],
        ),
      );
    },
  );

  app.post(
    "/list",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgeList",
        summary: "List an agent's messages, newest first (bridge)",
        description:
          "`direction`: `in` / `inbound` or `out` / `outbound`; `since`: only messages created at or after it. " +
          "Pass `next_cursor` back as `cursor` for the next page. Messages have the shape of `GET /v1/messages/{id}`.",
        body: withExamples(
          Type.Object(
            {
              agent_id: AgentId,
              direction: Type.Optional(Direction),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
              since: Type.Optional(Type.String({ format: "date-time", maxLength: 40 })),
              cursor: Type.Optional(Type.String({ maxLength: 500 })),
              unread: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          { agent_id: "research-bot", direction: "in", limit: 20, since: "2026-11-22T00:00:00Z" },
        ),
        response: {
          200: listOf("messages", MessageRef, "Full messages, newest first."),
          ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR"),
        },
      },
    },
    async (req) => {
      const b = req.body;
      const limit = b.limit ?? 50;
      const direction = b.direction?.startsWith("in") ? "inbound" : b.direction ? "outbound" : undefined;
      const r = await listMailboxMessages(ctx, principalOf(req), b.agent_id, {
        limit,
        cursor: b.cursor,
        direction,
        since: b.since,
        unread: b.unread,
      });
      const present = presenterOf(r.view);
      return page(
        "messages",
        r.rows,
        limit,
        (m) =>
          present(
            m,
            r.deliveries.filter((d) => d.message_id === m.id),
          ),
        (m) => encodeCursor({ t: m.created_at.toISOString(), i: m.id }),
      );
    },
  );

  app.post(
    "/mark_read",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgeMarkRead",
        summary: "Mark messages read, many at once (bridge)",
        description:
          "Ids the key cannot see (or that do not exist) are listed in `not_found`; the others are marked. A message " +
          "read before keeps its first `read_at`.",
        body: withExamples(
          Type.Object(
            { ids: Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 }) },
            { additionalProperties: false },
          ),
          { ids: ["0b7e3f7a-5a43-4c1e-9a62-3c0f3b1c2d4e"] },
        ),
        response: { 200: MarkedRead, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) => {
      const r = await markMessagesRead(ctx, principalOf(req), req.body.ids);
      return {
        marked: r.marked.map((m) => ({
          id: m.id,
          read_at: m.read_at ? new Date(m.read_at).toISOString() : null,
        })),
        not_found: r.notFound,
      };
    },
  );

  app.post(
    "/rule/put",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgePutRule",
        summary: "Create or replace one inbound rule of an agent's mailbox, by name (admin; bridge)",
        description:
          "`rule` is one rule of `PUT /v1/mailboxes/{id}/rules` with a required `name`: `{name, when?: {from?, " +
          "subject_contains?, header?, auth?}, action: {type: label, label} | {type: forward, to} | {type: " +
          "auto_reply, subject?, body}, stop?}`. A rule of that name is replaced in place; a new one goes last.",
        body: withExamples(
          Type.Object(
            { agent_id: AgentId, rule: Type.Unknown({ description: "One inbound rule, with a name." }) },
            { additionalProperties: false },
          ),
          { agent_id: "research-bot", rule: RULE_SET_EXAMPLE.rules[0] },
        ),
        response: { 200: RulePut, ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR") },
      },
    },
    async (req) => {
      const r = await putRule(ctx, principalOf(req), req.body.agent_id, req.body.rule);
      return {
        agent_id: req.body.agent_id.toLowerCase(),
        replaced: r.replaced,
        index: r.index,
        rules: r.rules.rules,
        auto_reply_period_hours: r.rules.auto_reply_period_hours,
      };
    },
  );

  app.post(
    "/webhook/register",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgeRegisterWebhook",
        summary: "Register a signed webhook (admin; bridge)",
        description:
          "A webhook of the account (`GET /v1/webhooks` lists it) whose deliveries also carry " +
          "`x-agentpack-webhook-timestamp` and `x-agentpack-webhook-signature: v1=<hex HMAC-SHA256(secret, " +
          'timestamp + "." + body)>`. `events` defaults to `["message.received"]`. The `secret` is shown once.',
        body: withExamples(
          Type.Object(
            {
              url: Type.String({ maxLength: 2000 }),
              events: Type.Optional(
                Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 }),
              ),
              description: Type.Optional(Type.String({ maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
          { url: "https://runtime.example.com/agentpack/mail", events: ["message.received"] },
        ),
        response: {
          201: BridgeWebhook,
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
        enabledEvents: b.events ?? ["message.received"],
        signatureScheme: "agentpack",
      });
      return reply.status(201).send({
        webhook_id: webhook.id,
        url: webhook.url,
        events: webhook.enabled_events,
        secret,
        created_at: new Date(webhook.created_at).toISOString(),
      });
    },
  );

  app.post(
    "/webhook/rotate",
    {
      config,
      schema: {
        tags,
        security,
        operationId: "bridgeRotateWebhook",
        summary: "Rotate a webhook's secret; both stay valid for a grace period (admin; bridge)",
        description:
          `For \`grace_seconds\` (default ${DEFAULT_GRACE_SECONDS}, at most 7 days; 0 = none) every delivery carries ` +
          "two signatures, `v1=<new>,v1=<old>`; then the new one only. The new `secret` is shown once.",
        body: withExamples(
          Type.Object(
            {
              webhook_id: Type.String({ maxLength: 100 }),
              grace_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })),
            },
            { additionalProperties: false },
          ),
          { webhook_id: "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f", grace_seconds: 86400 },
        ),
        response: { 200: BridgeWebhookRotated, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
      },
    },
    async (req) => {
      const grace = req.body.grace_seconds ?? DEFAULT_GRACE_SECONDS;
      const { webhook, secret } = await rotateWebhookSecret(
        ctx,
        principalOf(req),
        req.body.webhook_id,
        grace,
      );
      return {
        webhook_id: webhook.id,
        secret,
        previous_secret_expires_at: webhook.previous_secret_until
          ? new Date(webhook.previous_secret_until).toISOString()
          : null,
      };
    },
  );
}
