import { Postbox, PostboxError } from "@postbox/sdk";

/** What the server says about the signed-in session (GET/POST /v1/dashboard/session). */
export interface Session {
  account_id: string;
  api_key_id: string;
  csrf_token: string;
  expires_at: string;
}

let csrfToken = "";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Fired when the server answers 401: the session ended (expired, signed out elsewhere, key revoked). */
export const SESSION_ENDED = "postbox:session-ended";

/**
 * Every API call of the pages: the httpOnly session cookie authenticates (the key never reaches the browser), and
 * each mutation carries the session's CSRF token. The SDK insists on a key string, so its header is dropped here.
 */
const sessionFetch: typeof fetch = async (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.delete("authorization");
  const method = (init.method ?? "GET").toUpperCase();
  if (!SAFE.has(method)) headers.set("x-csrf-token", csrfToken);
  const res = await fetch(input, { ...init, headers, credentials: "same-origin" });
  if (res.status === 401) window.dispatchEvent(new Event(SESSION_ENDED));
  return res;
};

/** The SDK the pages use: the same client and the same routes as any agent or script. */
export const pb = new Postbox({
  apiKey: "dashboard-session",
  baseUrl: location.origin,
  fetch: sessionFetch,
  maxRetries: 0,
  timeout: 60,
});

async function sessionCall(method: string, body?: unknown): Promise<Response> {
  return sessionFetch("/v1/dashboard/session", {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

async function failure(res: Response): Promise<PostboxError> {
  const body = (await res.json().catch(() => null)) as { error?: string; code?: string } | null;
  return new PostboxError(body?.error ?? `HTTP ${res.status}`, {
    status: res.status,
    code: body?.code ?? `HTTP_${res.status}`,
  });
}

/** The current session, or null when the cookie is missing or no longer valid. */
export async function currentSession(): Promise<Session | null> {
  const res = await fetch("/v1/dashboard/session", { credentials: "same-origin" });
  if (res.status === 401) return null;
  if (!res.ok) throw await failure(res);
  const session = (await res.json()) as Session;
  csrfToken = session.csrf_token;
  return session;
}

/** Exchanges an admin key for a session cookie; the key is not kept anywhere in the page. */
export async function signIn(apiKey: string): Promise<Session> {
  const res = await sessionCall("POST", { api_key: apiKey });
  if (!res.ok) throw await failure(res);
  const session = (await res.json()) as Session;
  csrfToken = session.csrf_token;
  return session;
}

export async function signOut(): Promise<void> {
  const res = await sessionCall("DELETE");
  csrfToken = "";
  if (!res.ok && res.status !== 401) throw await failure(res);
}

/** A failure in words for a person: the server's message and its stable code. */
export function describeError(err: unknown): string {
  if (err instanceof PostboxError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
