import { Type } from "typebox";
import { isUuid } from "../../domain/address.ts";
import { AppError, notFound, validation } from "../../domain/errors.ts";
import { requireRole } from "../../domain/principal.ts";
import { type ApiKeyRow, createApiKey, listApiKeys, revokeApiKey } from "../../store/accounts.ts";
import { findMailbox } from "../../store/mailboxes.ts";
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

  app.post(
    "/v1/api-keys",
    { schema: { tags, summary: "Create an API key (shown once)", body: CreateKey } },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const body = req.body;
      const refs = body.mailbox_ids ?? [];
      if (body.role === "agent" && refs.length === 0) {
        throw validation("agent keys must be bound to at least one mailbox: pass mailbox_ids", [
          "body.mailbox_ids must name at least one mailbox for an agent key",
        ]);
      }
      if (body.role !== "agent" && refs.length > 0) {
        throw validation("mailbox_ids applies only to agent keys", [
          "body.mailbox_ids is only allowed when role is agent",
        ]);
      }
      const mailboxIds: string[] = [];
      for (const ref of refs) {
        const mb = await findMailbox(ctx.db, p.accountId, ref);
        if (!mb) throw notFound("mailbox", ref);
        if (!mailboxIds.includes(mb.id)) mailboxIds.push(mb.id);
      }
      const { row, key } = await createApiKey(ctx.db, {
        accountId: p.accountId,
        role: body.role,
        mailboxIds,
        name: body.name ?? null,
      });
      return reply.status(201).send({ ...apiKeyToWire(row), key });
    },
  );

  app.get("/v1/api-keys", { schema: { tags, summary: "List API keys" } }, async (req) => {
    const p = principalOf(req);
    requireRole(p, "admin");
    const rows = await listApiKeys(ctx.db, p.accountId);
    return { data: rows.map(apiKeyToWire), has_more: false, cursor: null };
  });

  app.delete(
    "/v1/api-keys/:id",
    { schema: { tags, summary: "Revoke an API key", params: IdParam } },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const { id } = req.params;
      if (!isUuid(id)) throw notFound("API key", id);
      const row = await ctx.db.tx(async (sql) => {
        // Serialise revocations per account so two concurrent calls cannot remove the last two admin keys.
        await sql.query("select id from accounts where id = $1 for update", [p.accountId]);
        const keys = await listApiKeys(sql, p.accountId);
        const target = keys.find((k) => k.id === id.toLowerCase());
        if (!target) throw notFound("API key", id);
        const activeAdmins = keys.filter((k) => k.role === "admin" && !k.revoked_at);
        if (target.role === "admin" && !target.revoked_at && activeAdmins.length === 1) {
          throw new AppError(
            409,
            "LAST_ADMIN_KEY",
            "refusing to revoke the account's last admin key; create another first",
          );
        }
        return revokeApiKey(sql, p.accountId, target.id);
      });
      ctx.auth.forget(row!.id);
      return apiKeyToWire(row!);
    },
  );

  app.post(
    "/v1/api-keys/rotate",
    { schema: { tags, summary: "Replace the calling key with a new one" } },
    async (req, reply) => {
      const p = principalOf(req);
      const created = await ctx.db.tx(async (sql) => {
        // Copy the key's own row, not the cached principal: its bindings may have changed since.
        const [old] = await sql.query<ApiKeyRow>("select * from api_keys where id = $1 for update", [
          p.apiKeyId,
        ]);
        if (!old || old.revoked_at) {
          throw new AppError(401, "INVALID_API_KEY", "the API key is not valid or has been revoked");
        }
        const next = await createApiKey(sql, {
          accountId: old.account_id,
          role: old.role,
          mailboxIds: old.mailbox_ids,
          name: old.name,
        });
        await revokeApiKey(sql, p.accountId, p.apiKeyId);
        return next;
      });
      ctx.auth.forget(p.apiKeyId);
      return reply.status(201).send({ ...apiKeyToWire(created.row), key: created.key, replaces: p.apiKeyId });
    },
  );
}
