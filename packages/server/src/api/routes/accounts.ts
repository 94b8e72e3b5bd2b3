import { Type } from "typebox";
import { AppError } from "../../domain/errors.ts";
import { requireRole } from "../../domain/principal.ts";
import { type AccountRow, createAccount, createApiKey, defaultAccount } from "../../store/accounts.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const CreateAccount = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const toWire = (a: AccountRow) => ({
  id: a.id,
  name: a.name,
  is_default: a.is_default,
  created_at: a.created_at.toISOString(),
});

/**
 * Tenants. The default account (created at first start) belongs to the operator: only its admin keys may
 * create or list accounts. Every other key sees only its own account.
 */
export function accountRoutes(app: Api, ctx: RouteContext) {
  const tags = ["accounts"];

  async function requireOperator(accountId: string) {
    const operator = await defaultAccount(ctx.db);
    if (operator?.id !== accountId) {
      throw new AppError(
        403,
        "INSUFFICIENT_SCOPE",
        "only admin keys of the default (operator) account can manage accounts",
      );
    }
  }

  app.get("/v1/accounts/me", { schema: { tags, summary: "The calling key's account" } }, async (req) => {
    const p = principalOf(req);
    const [row] = await ctx.db.query<AccountRow>("select * from accounts where id = $1", [p.accountId]);
    return toWire(row!);
  });

  app.post(
    "/v1/accounts",
    {
      schema: {
        tags,
        summary: "Create an account (tenant) with its first admin key (operator only)",
        body: CreateAccount,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      await requireOperator(p.accountId);
      const { account, key } = await ctx.db.tx(async (sql) => {
        const account = await createAccount(sql, req.body.name);
        const { row, key } = await createApiKey(sql, {
          accountId: account.id,
          role: "admin",
          name: "initial admin key",
        });
        return { account, key: { id: row.id, key } };
      });
      return reply.status(201).send({ ...toWire(account), admin_key: key.key, admin_key_id: key.id });
    },
  );

  app.get("/v1/accounts", { schema: { tags, summary: "List accounts (operator only)" } }, async (req) => {
    const p = principalOf(req);
    requireRole(p, "admin");
    await requireOperator(p.accountId);
    const rows = await ctx.db.query<AccountRow>("select * from accounts order by created_at, id");
    return { data: rows.map(toWire), has_more: false, cursor: null };
  });
}
