import { randomBytes, timingSafeEqual } from "node:crypto";
import { hashSecret } from "./api-key.ts";

/** Sign-in attempts that made no session, per client network, within one window from the first of them. */
export const SIGN_IN_MAX_ATTEMPTS = 10;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

/** The cookie's secret: 32 random bytes, base64url (43 characters). */
export const SESSION_SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** A new session: the secret goes to the browser once; only its hash is stored. */
export function newSessionSecrets(): { secret: string; secretHash: string; csrfToken: string } {
  const secret = randomBytes(32).toString("base64url");
  return { secret, secretHash: hashSecret(secret), csrfToken: randomBytes(32).toString("base64url") };
}

/** Whether the header echoes the session's CSRF token (compared in constant time). */
export function csrfMatches(sent: unknown, token: string): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Seconds until a sign-in window that has reached its limit lets the client try again (at least 1). */
export function signInRetryAfterSeconds(firstAttemptAt: Date, now: Date): number {
  return Math.max(1, Math.ceil((firstAttemptAt.getTime() + SIGN_IN_WINDOW_MS - now.getTime()) / 1000));
}
