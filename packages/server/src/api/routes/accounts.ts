import { Type } from "typebox";
import { type AccountRow, allAccounts, openAccount, ownAccount } from "../../tenancy/accounts.ts";
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

  app.get("/v1/accounts/me", { schema: { tags, summary: "The calling key's account" } }, async (req) => {
    return toWire(await ownAccount(ctx, principalOf(req)));
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
      const { account, adminKey } = await openAccount(ctx, principalOf(req), req.body.name);
      return reply
        .status(201)
        .send({ ...toWire(account), admin_key: adminKey.key, admin_key_id: adminKey.id });
    },
  );

  app.get("/v1/accounts", { schema: { tags, summary: "List accounts (operator only)" } }, async (req) => {
    const rows = await allAccounts(ctx, principalOf(req));
    return { data: rows.map(toWire), has_more: false, cursor: null };
  });
}
