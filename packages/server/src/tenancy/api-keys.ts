import { isUuid } from "../domain/address.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import { type KeyRole, type Principal, requireRole } from "../domain/principal.ts";
import {
  type ApiKeyRow,
  createApiKey,
  listApiKeys,
  lockAccount,
  lockApiKey,
  revokeApiKey,
} from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { findMailbox } from "../store/mailboxes.ts";

/** Tells the API process to drop a key from its cache at once (other processes hear of it through the database). */
export type ForgetKey = (apiKeyId: string) => void;

/** Creates a key; the full key is returned once and never stored. Agent keys are bound to mailboxes. */
export async function createKey(
  deps: { db: Db },
  p: Principal,
  input: { role: KeyRole; mailboxIds?: string[]; name?: string },
): Promise<{ row: ApiKeyRow; key: string }> {
  requireRole(p, "admin");
  const refs = input.mailboxIds ?? [];
  if (input.role === "agent" && refs.length === 0) {
    throw validation("agent keys must be bound to at least one mailbox: pass mailbox_ids", [
      "body.mailbox_ids must name at least one mailbox for an agent key",
    ]);
  }
  if (input.role !== "agent" && refs.length > 0) {
    throw validation("mailbox_ids applies only to agent keys", [
      "body.mailbox_ids is only allowed when role is agent",
    ]);
  }
  const mailboxIds: string[] = [];
  for (const ref of refs) {
    const mb = await findMailbox(deps.db, p.accountId, ref);
    if (!mb) throw notFound("mailbox", ref);
    if (!mailboxIds.includes(mb.id)) mailboxIds.push(mb.id);
  }
  return createApiKey(deps.db, {
    accountId: p.accountId,
    role: input.role,
    mailboxIds,
    name: input.name ?? null,
  });
}

export async function listKeys(deps: { db: Db }, p: Principal): Promise<ApiKeyRow[]> {
  requireRole(p, "admin");
  return listApiKeys(deps.db, p.accountId);
}

/** Revokes a key of the account; the last active admin key is never revoked, so the account stays manageable. */
export async function revokeKey(
  deps: { db: Db; forgetKey: ForgetKey },
  p: Principal,
  id: string,
): Promise<ApiKeyRow> {
  requireRole(p, "admin");
  if (!isUuid(id)) throw notFound("API key", id);
  const row = await deps.db.tx(async (sql) => {
    // Serialise revocations per account so two concurrent calls cannot remove the last two admin keys.
    await lockAccount(sql, p.accountId);
    const keys = await listApiKeys(sql, p.accountId);
    const target = keys.find((k) => k.id === id.toLowerCase());
    if (!target) throw notFound("API key", id);
    const activeAdmins = keys.filter((k) => k.role === "admin" && !k.revoked_at);
    if (target.role === "admin" && !target.revoked_at && activeAdmins.length === 1) {
      throw new AppError(
        "conflict",
        "LAST_ADMIN_KEY",
        "refusing to revoke the account's last admin key; create another first",
      );
    }
    return revokeApiKey(sql, p.accountId, target.id);
  });
  deps.forgetKey(row!.id);
  return row!;
}

/** Replaces the calling key with a new one of the same role and bindings. */
export async function rotateKey(
  deps: { db: Db; forgetKey: ForgetKey },
  p: Principal,
): Promise<{ row: ApiKeyRow; key: string }> {
  const created = await deps.db.tx(async (sql) => {
    // Copy the key's own row, not the cached principal: its bindings may have changed since.
    const old = await lockApiKey(sql, p.apiKeyId);
    if (!old || old.revoked_at) {
      throw new AppError(
        "unauthenticated",
        "INVALID_API_KEY",
        "the API key is not valid or has been revoked",
      );
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
  deps.forgetKey(p.apiKeyId);
  return created;
}
