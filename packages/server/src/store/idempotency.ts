import { safeJson } from "../domain/safe-text.ts";
import type { Sql } from "./db.ts";

/** A request stored under an account's Idempotency-Key: its hash and, once it finished, its response. */
export async function findIdempotencyKey<T>(
  sql: Sql,
  accountId: string,
  key: string,
): Promise<{ request_hash: string; response: T | null } | null> {
  const [row] = await sql.query<{ request_hash: string; response: T | null }>(
    "select request_hash, response from idempotency_keys where account_id = $1 and key = $2",
    [accountId, key],
  );
  return row ?? null;
}

/**
 * Claims a key for a request; false when it is already taken. The insert waits for a concurrent request with the
 * same key to commit, so after a false the caller sees that request's row.
 */
export async function claimIdempotencyKey(
  sql: Sql,
  accountId: string,
  key: string,
  requestHash: string,
): Promise<boolean> {
  const claimed = await sql.query(
    `insert into idempotency_keys (account_id, key, request_hash) values ($1, $2, $3)
     on conflict do nothing returning key`,
    [accountId, key, requestHash],
  );
  return claimed.length > 0;
}

export async function saveIdempotentResponse(
  sql: Sql,
  accountId: string,
  key: string,
  response: unknown,
): Promise<void> {
  await sql.query(
    "update idempotency_keys set response = $3::jsonb, status_code = 200 where account_id = $1 and key = $2",
    [accountId, key, safeJson(response)],
  );
}
