import type { FastifyRequest } from "fastify";
import type { Config } from "../platform/config.ts";

/** The dashboard session cookie (docs/security.md). */
export const SESSION_COOKIE = "postbox_session";
/** The header a cookie-authenticated mutation carries the session's CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/** The session cookie's value in a Cookie header, or null (the first one: browsers send the most specific first). */
export function sessionCookieOf(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return null;
}

/**
 * Whether the browser reached us over TLS: the socket itself, the trusted proxy's X-Forwarded-Proto
 * (POSTBOX_TRUST_PROXY; fastify reads it only then), or a public URL that is https.
 */
function overTls(req: FastifyRequest, config: Config): boolean {
  return req.protocol === "https" || (config.publicUrl?.startsWith("https://") ?? false);
}

function attributes(req: FastifyRequest, config: Config, maxAge: number): string {
  return `Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${overTls(req, config) ? "; Secure" : ""}`;
}

/** Set-Cookie for a new session of this many seconds. */
export function sessionCookie(req: FastifyRequest, config: Config, secret: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${secret}; ${attributes(req, config, maxAge)}`;
}

/** Set-Cookie that makes the browser drop the session cookie. */
export function clearedSessionCookie(req: FastifyRequest, config: Config): string {
  return `${SESSION_COOKIE}=; ${attributes(req, config, 0)}`;
}
