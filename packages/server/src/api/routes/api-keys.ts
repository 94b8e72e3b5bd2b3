import { Type } from "typebox";
import { createKey, listKeys, revokeKey, rotateKey } from "../../tenancy/api-keys.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { apiKeyToWire } from "../wire.ts";

const CreateKey = Type.Object(
  {
    role: Type.Union([Type.Literal("admin"), Type.Literal("agent"), Type.Literal("ingest")]),
    mailbox_ids: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const IdParam = Type.Object({ id: Type.String() });

export function apiKeyRoutes(app: Api, ctx: RouteContext) {
  const tags = ["api-keys"];
  const keys = { db: ctx.db, forgetKey: (id: string) => ctx.auth.forget(id) };

  app.post(
    "/v1/api-keys",
    { schema: { tags, summary: "Create an API key (shown once)", body: CreateKey } },
    async (req, reply) => {
      const { role, mailbox_ids: mailboxIds, name } = req.body;
      const { row, key } = await createKey(ctx, principalOf(req), { role, mailboxIds, name });
      return reply.status(201).send({ ...apiKeyToWire(row), key });
    },
  );

  app.get("/v1/api-keys", { schema: { tags, summary: "List API keys" } }, async (req) => {
    const rows = await listKeys(ctx, principalOf(req));
    return { data: rows.map(apiKeyToWire), has_more: false, cursor: null };
  });

  app.delete(
    "/v1/api-keys/:id",
    { schema: { tags, summary: "Revoke an API key", params: IdParam } },
    async (req) => apiKeyToWire(await revokeKey(keys, principalOf(req), req.params.id)),
  );

  app.post(
    "/v1/api-keys/rotate",
    { schema: { tags, summary: "Replace the calling key with a new one" } },
    async (req, reply) => {
      const p = principalOf(req);
      const created = await rotateKey(keys, p);
      return reply.status(201).send({ ...apiKeyToWire(created.row), key: created.key, replaces: p.apiKeyId });
    },
  );
}
