import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";
import { hashSecret, parseApiKey } from "../domain/api-key.ts";
import { RESERVED_NAMES } from "../domain/reserved-names.ts";
import {
  createAccount,
  createApiKey,
  defaultAccount,
  findKeyByKeyId,
  insertApiKey,
  lockBootstrap,
  restoreAdminKey,
} from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { namesHeldByTenants } from "../store/mailboxes.ts";

export interface BootstrapResult {
  accountId: string;
  /** Reserved names a tenant holds (created before they were reserved): the operator should look at them. */
  reservedHeldByTenants: { name: string; account_id: string }[];
  /** The generated admin key, only on the very first start. */
  createdAdminKey: string | null;
  adminKeyFile: string | null;
}

/**
 * First start: a default account with one admin key, written to <data dir>/admin.key (0600) unless
 * POSTBOX_ADMIN_KEY is given. That key, when set, is ensured as a live admin key on every start.
 */
export async function bootstrap(
  db: Db,
  opts: { dataDir: string; adminKey: string | null },
): Promise<BootstrapResult> {
  const result = await db.tx(async (sql) => {
    await lockBootstrap(sql);
    let account = await defaultAccount(sql);
    let created: string | null = null;
    if (!account) {
      account = await createAccount(sql, "default", true);
      if (!opts.adminKey)
        created = (await createApiKey(sql, { accountId: account.id, role: "admin", name: "bootstrap" })).key;
    }
    if (opts.adminKey) {
      const parsed = parseApiKey(opts.adminKey)!;
      const existing = await findKeyByKeyId(sql, parsed.keyId);
      if (!existing) {
        await insertApiKey(sql, {
          accountId: account.id,
          role: "admin",
          mailboxIds: [],
          name: "POSTBOX_ADMIN_KEY",
          keyId: parsed.keyId,
          secretHash: hashSecret(parsed.secret),
        });
      } else {
        await restoreAdminKey(sql, {
          id: existing.id,
          accountId: account.id,
          secretHash: hashSecret(parsed.secret),
        });
      }
    }
    const reservedHeldByTenants = await namesHeldByTenants(sql, [...RESERVED_NAMES.keys()]);
    return { accountId: account.id, createdAdminKey: created, reservedHeldByTenants };
  });
  let adminKeyFile: string | null = null;
  if (result.createdAdminKey) {
    adminKeyFile = path.join(opts.dataDir, "admin.key");
    await writeFile(adminKeyFile, `${result.createdAdminKey}\n`, { mode: 0o600 });
    await chmod(adminKeyFile, 0o600);
  }
  return { ...result, adminKeyFile };
}
