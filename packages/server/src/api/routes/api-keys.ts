import { Type } from "typebox";
import { createKey, listKeys, rebindKey, revokeKey, rotateKey } from "../../tenancy/api-keys.ts";
import { list } from "../pagination.ts";
import {
  ApiKeyList,
  ApiKeyRef,
  CreatedApiKey,
  described,
  errors,
  RotatedApiKey,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { apiKeyToWire } from "../wire.ts";

const MailboxIds = Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 });

const CreateKey = Type.Object(
  {
    role: Type.Union([Type.Literal("admin"), Type.Literal("agent"), Type.Literal("ingest")]),
    mailbox_ids: Type.Optional(MailboxIds),
    label: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const IdParam = Type.Object({ id: Type.String() });

export function apiKeyRoutes(app: Api, ctx: RouteContext) {
  const tags = ["api-keys"];
  const keys = { db: ctx.db, forgetKey: (id: string) => ctx.auth.forget(id) };
  const base = "/v1/accounts/api-keys";

  app.post(
    base,
    {
      schema: {
        tags,
        operationId: "createApiKey",
        summary: "Create an API key (shown once, as api_key)",
        description: "Agent keys name their mailboxes in `mailbox_ids` (UUIDs or names).",
        body: withExamples(CreateKey, { role: "agent", label: "support-bot", mailbox_ids: ["support"] }),
        response: { 201: CreatedApiKey, ...errors("INSUFFICIENT_SCOPE", "VALIDATION_ERROR", "NOT_FOUND") },
      },
    },
    async (req, reply) => {
      const { role, mailbox_ids: mailboxIds, label } = req.body;
      const { row, key } = await createKey(ctx, principalOf(req), { role, mailboxIds, name: label });
      return reply.status(201).send({ ...apiKeyToWire(row), api_key: key });
    },
  );

  app.get(
    base,
    {
      schema: {
        tags,
        operationId: "listApiKeys",
        summary: "List API keys",
        querystring: Type.Object({ include_revoked: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 200: ApiKeyList, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) => {
      const rows = await listKeys(ctx, principalOf(req), { includeRevoked: req.query.include_revoked });
      return list("keys", rows.map(apiKeyToWire));
    },
  );

  app.patch(
    `${base}/:id`,
    {
      schema: {
        tags,
        operationId: "rebindApiKey",
        summary: "Rebind an agent key to other mailboxes, in place",
        description: "The agent keeps its key; every process applies the new bindings at once.",
        params: IdParam,
        body: withExamples(Type.Object({ mailbox_ids: MailboxIds }, { additionalProperties: false }), {
          mailbox_ids: ["support", "billing"],
        }),
        response: {
          200: described(ApiKeyRef, "The key with its new bindings."),
          ...errors("INSUFFICIENT_SCOPE", "VALIDATION_ERROR", "NOT_FOUND", "NOT_AN_AGENT_KEY"),
        },
      },
    },
    async (req) => apiKeyToWire(await rebindKey(keys, principalOf(req), req.params.id, req.body.mailbox_ids)),
  );

  app.delete(
    `${base}/:id`,
    {
      schema: {
        tags,
        operationId: "revokeApiKey",
        summary: "Revoke an API key",
        params: IdParam,
        response: {
          200: described(ApiKeyRef, "The revoked key."),
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "LAST_ADMIN_KEY"),
        },
      },
    },
    async (req) => apiKeyToWire(await revokeKey(keys, principalOf(req), req.params.id)),
  );

  app.post(
    `${base}/rotate`,
    {
      schema: {
        tags,
        operationId: "rotateApiKey",
        summary: "Replace the calling key with a new one (shown once, as api_key)",
        response: { 201: RotatedApiKey },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const created = await rotateKey(keys, p);
      return reply
        .status(201)
        .send({ ...apiKeyToWire(created.row), api_key: created.key, replaces: p.apiKeyId });
    },
  );
}
