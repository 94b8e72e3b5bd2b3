import { parseApiKey, secretMatches } from "../domain/api-key.ts";
import { AppError } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import { findKeyByKeyId, liveKeyIds, touchKeyLastUsed } from "../store/accounts.ts";
import { Channel } from "../store/channels.ts";
import type { Db } from "../store/db.ts";

/** Bounds what a lost key notification could cost a read; a revocation normally reaches every process at once. */
const CACHE_TTL_MS = 5000;

export interface Authenticator {
  /**
   * Verifies a bearer key. `fresh` always asks the database (mutations: a revoked key must never change
   * anything, even if its notification was lost); otherwise a verified key is trusted for a few seconds.
   */
  authenticate(header: string | undefined, opts?: { fresh?: boolean }): Promise<Principal>;
  /** The same for a bare key (the bridge's `x-agentpack-key` header). */
  authenticateKey(key: string, opts?: { fresh?: boolean }): Promise<Principal>;
  /** Drops cached keys of a key id so this process refuses it at once. */
  forget(apiKeyId: string): void;
  /** Calls fn when the key is revoked or changed (in any process); returns the unsubscribe function. */
  watch(apiKeyId: string, fn: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Verifies bearer keys. A key revoked or changed anywhere is announced on the keys channel at commit (see
 * revokeApiKey); every API process listens, drops the key from its cache and ends the key's live streams.
 */
export async function createAuthenticator(db: Db): Promise<Authenticator> {
  const cache = new Map<string, { principal: Principal; expires: number }>();
  const watchers = new Map<string, Set<() => void>>();

  function forget(apiKeyId: string) {
    for (const [k, v] of cache) if (v.principal.apiKeyId === apiKeyId) cache.delete(k);
  }

  function fire(apiKeyId: string) {
    for (const fn of [...(watchers.get(apiKeyId) ?? [])]) fn();
  }

  const unlisten = await db.listen(Channel.keys, (apiKeyId) => {
    if (apiKeyId) {
      forget(apiKeyId);
      fire(apiKeyId);
      return;
    }
    // The listener reconnected and may have missed revocations: trust nothing cached, re-check watched keys.
    cache.clear();
    const watched = [...watchers.keys()];
    if (watched.length === 0) return;
    liveKeyIds(db, watched)
      .then((ids) => {
        const live = new Set(ids);
        for (const id of watched) if (!live.has(id)) fire(id);
      })
      .catch(() => {
        for (const id of watched) fire(id);
      });
  });

  async function authenticate(
    header: string | undefined,
    opts: { fresh?: boolean } = {},
  ): Promise<Principal> {
    if (!header) {
      throw new AppError(
        "unauthenticated",
        "UNAUTHENTICATED",
        "missing API key: send the header Authorization: Bearer <key>",
      );
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m)
      throw new AppError(
        "unauthenticated",
        "UNAUTHENTICATED",
        "malformed Authorization header: expected Bearer <key>",
      );
    return authenticateKey(m[1]!, opts);
  }

  async function authenticateKey(key: string, opts: { fresh?: boolean } = {}): Promise<Principal> {
    const hit = cache.get(key);
    const cached = hit && hit.expires > Date.now() ? hit : null;
    if (cached && !opts.fresh) return cached.principal;
    const parsed = parseApiKey(key);
    const invalid = new AppError(
      "unauthenticated",
      "INVALID_API_KEY",
      "the API key is not valid or has been revoked",
    );
    if (!parsed) throw invalid;
    const row = await findKeyByKeyId(db, parsed.keyId);
    if (!row || row.revoked_at || !secretMatches(parsed.secret, row.secret_hash)) {
      cache.delete(key);
      throw invalid;
    }
    const principal: Principal = {
      accountId: row.account_id,
      apiKeyId: row.id,
      role: row.role,
      mailboxIds: row.mailbox_ids,
    };
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { principal, expires: Date.now() + CACHE_TTL_MS });
    // Recorded when the key is (re)loaded, not on every fresh check: a mutation need not cost a second write.
    if (!cached) void touchKeyLastUsed(db, row.id).catch(() => {});
    return principal;
  }

  return {
    authenticate,
    authenticateKey,
    forget,
    watch(apiKeyId, fn) {
      let set = watchers.get(apiKeyId);
      if (!set) {
        set = new Set();
        watchers.set(apiKeyId, set);
      }
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0 && watchers.get(apiKeyId) === set) watchers.delete(apiKeyId);
      };
    },
    close: unlisten,
  };
}
