import { hashSecret } from "../domain/api-key.ts";
import type { Clock } from "../domain/clock.ts";
import {
  csrfMatches,
  newSessionSecrets,
  SESSION_SECRET_RE,
  SIGN_IN_MAX_ATTEMPTS,
  SIGN_IN_WINDOW_MS,
  signInRetryAfterSeconds,
} from "../domain/dashboard-session.ts";
import { AppError, forbidden } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import {
  clearSignInAttempts,
  countSignInAttempt,
  type DashboardSessionRow,
  deleteDashboardSession,
  deleteStaleDashboardRows,
  findDashboardSession,
  insertDashboardSession,
  touchDashboardSession,
} from "../store/dashboard-sessions.ts";
import type { Db } from "../store/db.ts";

export interface SessionDeps {
  db: Db;
  clock: Clock;
}

/**
 * Signs a human in to the dashboard with an admin key: returns the new session and its secret (the cookie's value,
 * never stored). Agent and ingest keys are refused. Attempts that make no session are counted per client network;
 * past SIGN_IN_MAX_ATTEMPTS in a window every attempt from it is refused until the window ends, a right key too
 * (otherwise guessing would go on at full speed and only the hit would be refused).
 */
export async function signIn(
  deps: SessionDeps & { verifyKey: (key: string) => Promise<Principal>; sessionHours: number },
  input: { apiKey: string; client: string },
): Promise<{ session: DashboardSessionRow; secret: string }> {
  const now = deps.clock.now();
  const windowStart = new Date(now.getTime() - SIGN_IN_WINDOW_MS);
  const attempt = await countSignInAttempt(deps.db, input.client, now, windowStart);
  if (attempt.attempts > SIGN_IN_MAX_ATTEMPTS) {
    const retryAfter = signInRetryAfterSeconds(attempt.first_attempt_at, now);
    throw new AppError(
      "rate_limited",
      "RATE_LIMITED",
      `too many sign-in attempts from this address; try again in ${retryAfter} s`,
      {
        limit: SIGN_IN_MAX_ATTEMPTS,
        window_seconds: SIGN_IN_WINDOW_MS / 1000,
        reset_at: new Date(now.getTime() + retryAfter * 1000).toISOString(),
      },
      retryAfter,
    );
  }
  const p = await deps.verifyKey(input.apiKey);
  if (p.role !== "admin")
    throw forbidden(
      "DASHBOARD_ADMIN_KEY_REQUIRED",
      `the dashboard signs in with an admin key; this key has role ${p.role}`,
    );
  const { secret, secretHash, csrfToken } = newSessionSecrets();
  const session = await deps.db.tx(async (sql) => {
    await clearSignInAttempts(sql, input.client);
    await deleteStaleDashboardRows(sql, now, windowStart);
    return insertDashboardSession(sql, {
      secretHash,
      accountId: p.accountId,
      apiKeyId: p.apiKeyId,
      csrfToken,
      now,
      expiresAt: new Date(now.getTime() + deps.sessionHours * 3600 * 1000),
    });
  });
  return { session, secret };
}

/**
 * The live session a cookie's secret names, and the principal it acts as: its key's as the key is now. A session
 * whose key was revoked (or lost its admin role) or whose account was deleted is ended here and refused.
 */
export async function resolveSession(
  deps: SessionDeps,
  secret: string,
): Promise<{ session: DashboardSessionRow; principal: Principal }> {
  const none = new AppError(
    "unauthenticated",
    "UNAUTHENTICATED",
    "no dashboard session: sign in again (POST /v1/dashboard/session)",
  );
  if (!SESSION_SECRET_RE.test(secret)) throw none;
  const row = await findDashboardSession(deps.db, hashSecret(secret));
  if (!row) throw none;
  const now = deps.clock.now();
  if (row.key_revoked_at || row.account_deleted_at || row.role !== "admin") {
    await deleteDashboardSession(deps.db, row.id);
    throw none;
  }
  if (row.expires_at.getTime() <= now.getTime()) {
    await deleteDashboardSession(deps.db, row.id);
    throw new AppError(
      "unauthenticated",
      "SESSION_EXPIRED",
      "the dashboard session has expired: sign in again",
    );
  }
  void touchDashboardSession(deps.db, row.id, now).catch(() => {});
  const { role, mailbox_ids, key_revoked_at: _k, account_deleted_at: _a, ...session } = row;
  return {
    session,
    principal: { accountId: row.account_id, apiKeyId: row.api_key_id, role, mailboxIds: mailbox_ids },
  };
}

/** Refuses a cookie-authenticated mutation that does not echo the session's CSRF token. */
export function requireCsrf(session: DashboardSessionRow, sent: unknown): void {
  if (!csrfMatches(sent, session.csrf_token))
    throw forbidden(
      "CSRF_TOKEN_INVALID",
      "a change made with the dashboard session cookie must carry the session's CSRF token in the x-csrf-token header",
    );
}

/** Signs out: the session is deleted, so its cookie authenticates nothing from now on. */
export async function signOut(deps: SessionDeps, session: DashboardSessionRow): Promise<void> {
  await deleteDashboardSession(deps.db, session.id);
}
