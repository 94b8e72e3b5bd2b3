import { randomUUID } from "node:crypto";
import type { KeyRole } from "../domain/principal.ts";
import type { Sql } from "./db.ts";

export interface DashboardSessionRow {
  id: string;
  secret_hash: string;
  account_id: string;
  api_key_id: string;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
  last_seen_at: Date;
}

/** A session with what its key is now: the request is authenticated as that key, if it still may sign in. */
export interface LiveSessionRow extends DashboardSessionRow {
  role: KeyRole;
  mailbox_ids: string[];
  key_revoked_at: Date | null;
  account_deleted_at: Date | null;
}

export async function insertDashboardSession(
  sql: Sql,
  input: {
    secretHash: string;
    accountId: string;
    apiKeyId: string;
    csrfToken: string;
    now: Date;
    expiresAt: Date;
  },
): Promise<DashboardSessionRow> {
  const [row] = await sql.query<DashboardSessionRow>(
    `insert into dashboard_sessions
       (id, secret_hash, account_id, api_key_id, csrf_token, created_at, expires_at, last_seen_at)
     values ($1, $2, $3, $4, $5, $6, $7, $6) returning *`,
    [
      randomUUID(),
      input.secretHash,
      input.accountId,
      input.apiKeyId,
      input.csrfToken,
      input.now,
      input.expiresAt,
    ],
  );
  return row!;
}

/** The session with this secret hash, joined with its key and account as they are now. */
export async function findDashboardSession(sql: Sql, secretHash: string): Promise<LiveSessionRow | null> {
  const [row] = await sql.query<LiveSessionRow>(
    `select s.*, k.role, k.mailbox_ids, k.revoked_at as key_revoked_at, a.deleted_at as account_deleted_at
     from dashboard_sessions s
     join api_keys k on k.id = s.api_key_id
     join accounts a on a.id = s.account_id
     where s.secret_hash = $1`,
    [secretHash],
  );
  return row ?? null;
}

export async function deleteDashboardSession(sql: Sql, id: string): Promise<void> {
  await sql.query("delete from dashboard_sessions where id = $1", [id]);
}

/** Records activity at most once a minute per session: a page's many reads need not each cost a write. */
export async function touchDashboardSession(sql: Sql, id: string, now: Date): Promise<void> {
  await sql.query(
    "update dashboard_sessions set last_seen_at = $2 where id = $1 and last_seen_at < $2::timestamptz - interval '1 minute'",
    [id, now],
  );
}

/** Housekeeping at each sign-in: expired sessions and attempt windows that have closed. */
export async function deleteStaleDashboardRows(sql: Sql, now: Date, windowStart: Date): Promise<void> {
  await sql.query("delete from dashboard_sessions where expires_at <= $1", [now]);
  await sql.query("delete from dashboard_sign_in_attempts where first_attempt_at <= $1", [windowStart]);
}

/**
 * Counts one sign-in attempt of a client in its window (a window that closed before windowStart starts anew),
 * atomically, so parallel attempts cannot all slip under the limit. Returns the count with this one.
 */
export async function countSignInAttempt(
  sql: Sql,
  client: string,
  now: Date,
  windowStart: Date,
): Promise<{ attempts: number; first_attempt_at: Date }> {
  const [row] = await sql.query<{ attempts: number; first_attempt_at: Date }>(
    `insert into dashboard_sign_in_attempts as a (client, attempts, first_attempt_at) values ($1, 1, $2)
     on conflict (client) do update set
       attempts = case when a.first_attempt_at <= $3 then 1 else a.attempts + 1 end,
       first_attempt_at = case when a.first_attempt_at <= $3 then $2 else a.first_attempt_at end
     returning attempts, first_attempt_at`,
    [client, now, windowStart],
  );
  return row!;
}

export async function clearSignInAttempts(sql: Sql, client: string): Promise<void> {
  await sql.query("delete from dashboard_sign_in_attempts where client = $1", [client]);
}
