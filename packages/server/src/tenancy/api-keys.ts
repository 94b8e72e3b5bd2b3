import { isUuid } from "../domain/address.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import { type KeyRole, type Principal, requireRole } from "../domain/principal.ts";
import {
  type ApiKeyRow,
  createApiKey,
  getApiKey,
  listApiKeys,
  lockAccount,
  lockApiKey,
  rebindApiKey,
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
  const mailboxIds = await mailboxIdsOf(deps.db, p.accountId, refs);
  return createApiKey(deps.db, {
    accountId: p.accountId,
    role: input.role,
    mailboxIds,
    name: input.name ?? null,
  });
}

/** Mailbox references (UUID or name) as the account's mailbox ids, each once. */
async function mailboxIdsOf(db: Db, accountId: string, refs: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    const mb = await findMailbox(db, accountId, ref);
    if (!mb) throw notFound("mailbox", ref);
    if (!ids.includes(mb.id)) ids.push(mb.id);
  }
  return ids;
}

/** The calling key's own row. */
export async function describeKey(deps: { db: Db }, p: Principal): Promise<ApiKeyRow> {
  const row = await getApiKey(deps.db, p.accountId, p.apiKeyId);
  if (!row)
    throw new AppError("unauthenticated", "INVALID_API_KEY", "the API key is not valid or has been revoked");
  return row;
}

/** The account's keys; revoked ones only when asked. */
export async function listKeys(
  deps: { db: Db },
  p: Principal,
  opts: { includeRevoked?: boolean } = {},
): Promise<ApiKeyRow[]> {
  requireRole(p, "admin");
  const rows = await listApiKeys(deps.db, p.accountId);
  return opts.includeRevoked ? rows : rows.filter((k) => !k.revoked_at);
}

/**
 * Rebinds an agent key to other mailboxes in place — the agent keeps its key, every process drops the old
 * bindings at once. An empty list leaves the key able to authenticate but reach no mailbox.
 */
export async function rebindKey(
  deps: { db: Db; forgetKey: ForgetKey },
  p: Principal,
  id: string,
  mailboxRefs: string[],
): Promise<ApiKeyRow> {
  requireRole(p, "admin");
  if (!isUuid(id)) throw notFound("API key", id);
  const mailboxIds = await mailboxIdsOf(deps.db, p.accountId, mailboxRefs);
  const row = await deps.db.tx(async (sql) => {
    const target = await getApiKey(sql, p.accountId, id.toLowerCase());
    if (!target || target.revoked_at) throw notFound("API key", id);
    if (target.role !== "agent")
      throw new AppError("invalid", "NOT_AN_AGENT_KEY", "only agent keys are bound to mailboxes", {
        role: target.role,
      });
    return rebindApiKey(sql, p.accountId, target.id, mailboxIds);
  });
  deps.forgetKey(row!.id);
  return row!;
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
