import { AppError } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import {
  type AccountRow,
  createAccount,
  createApiKey,
  defaultAccount,
  getAccount,
  listAccounts,
} from "../store/accounts.ts";
import type { Db } from "../store/db.ts";

// Tenants. The default account (created at first start) belongs to the operator: only its admin keys may create or
// list accounts. Every other key sees only its own account.

export type { AccountRow };

/** Refuses any key but an admin key of the operator's (default) account. */
export async function requireOperator(db: Db, p: Principal) {
  requireRole(p, "admin");
  const operator = await defaultAccount(db);
  if (operator?.id !== p.accountId) {
    throw new AppError(
      "forbidden",
      "INSUFFICIENT_SCOPE",
      "only admin keys of the default (operator) account can manage accounts",
    );
  }
}

/** The calling key's account. */
export async function ownAccount(deps: { db: Db }, p: Principal): Promise<AccountRow> {
  return (await getAccount(deps.db, p.accountId))!;
}

/** Creates an account with its first admin key (returned once, never stored). */
export async function openAccount(
  deps: { db: Db },
  p: Principal,
  name: string,
): Promise<{ account: AccountRow; adminKey: { id: string; key: string } }> {
  await requireOperator(deps.db, p);
  return deps.db.tx(async (sql) => {
    const account = await createAccount(sql, name);
    const { row, key } = await createApiKey(sql, {
      accountId: account.id,
      role: "admin",
      name: "initial admin key",
    });
    return { account, adminKey: { id: row.id, key } };
  });
}

export async function allAccounts(deps: { db: Db }, p: Principal): Promise<AccountRow[]> {
  await requireOperator(deps.db, p);
  return listAccounts(deps.db);
}
