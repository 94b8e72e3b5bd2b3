import { parseApiKey, secretMatches } from "../domain/api-key.ts";
import { AppError } from "../domain/errors.ts";
import { findKeyByKeyId, type KeyRole } from "../store/accounts.ts";
import type { Sql } from "../store/db.ts";

/** Who is calling: resolved from the bearer key on every request. */
export interface Principal {
  accountId: string;
  apiKeyId: string;
  role: KeyRole;
  /** For agent keys, the only mailboxes they may reach. */
  mailboxIds: string[];
}

const CACHE_TTL_MS = 5000;

/**
 * Verifies bearer keys. Verified keys are cached for a few seconds so hot routes skip the database;
 * a revocation is immediate in the process that made it and takes at most CACHE_TTL_MS elsewhere.
 */
export function createAuthenticator(sql: Sql) {
  const cache = new Map<string, { principal: Principal; expires: number }>();

  async function authenticate(header: string | undefined): Promise<Principal> {
    if (!header) {
      throw new AppError(
        401,
        "UNAUTHENTICATED",
        "missing API key: send the header Authorization: Bearer <key>",
      );
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m)
      throw new AppError(401, "UNAUTHENTICATED", "malformed Authorization header: expected Bearer <key>");
    const key = m[1]!;
    const hit = cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.principal;
    const parsed = parseApiKey(key);
    const invalid = new AppError(401, "INVALID_API_KEY", "the API key is not valid or has been revoked");
    if (!parsed) throw invalid;
    const row = await findKeyByKeyId(sql, parsed.keyId);
    if (!row || row.revoked_at || !secretMatches(parsed.secret, row.secret_hash)) throw invalid;
    const principal: Principal = {
      accountId: row.account_id,
      apiKeyId: row.id,
      role: row.role,
      mailboxIds: row.mailbox_ids,
    };
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { principal, expires: Date.now() + CACHE_TTL_MS });
    void sql.query("update api_keys set last_used_at = now() where id = $1", [row.id]).catch(() => {});
    return principal;
  }

  /** Drops cached keys of a revoked key id so this process refuses it at once. */
  function forget(apiKeyId: string) {
    for (const [k, v] of cache) if (v.principal.apiKeyId === apiKeyId) cache.delete(k);
  }

  return { authenticate, forget };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

export function requireRole(p: Principal, ...roles: KeyRole[]): void {
  if (!roles.includes(p.role)) {
    throw new AppError(
      403,
      "INSUFFICIENT_SCOPE",
      `this action needs a key with role ${roles.join(" or ")}; the calling key has role ${p.role}`,
    );
  }
}
