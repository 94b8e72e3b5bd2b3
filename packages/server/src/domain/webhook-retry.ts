/** What one webhook POST came to: an HTTP status, or a network error / timeout (status null). */
export interface PostResult {
  status: number | null;
  error: string | null;
  /** Retry-After of a 429 or 503, in seconds. */
  retryAfterSeconds: number | null;
}

export type Next =
  | { state: "delivered" }
  | { state: "pending"; retryInMs: number }
  | { state: "failed"; reason: string };

/** A delivery is abandoned after this many deliveries of a webhook in a row were abandoned. */
export const DISABLE_AFTER_ABANDONED = 20;

/**
 * The retry rule, as data in, decision out: 2xx delivers; network errors, timeouts, 429 and 5xx are retried
 * along the schedule (one step per failed attempt; Retry-After may stretch a step, up to an hour); anything
 * else — other 4xx, redirects — is abandoned at once, as is a retryable failure past the schedule's end.
 */
export function nextAfterAttempt(r: PostResult, attempts: number, schedule: number[]): Next {
  if (r.status !== null && r.status >= 200 && r.status < 300) return { state: "delivered" };
  const retryable = r.status === null || r.status === 429 || r.status >= 500;
  const what = r.status === null ? (r.error ?? "network error") : `HTTP ${r.status}`;
  if (!retryable)
    return {
      state: "failed",
      reason: `${what}: not retried (only timeouts, network errors, 429 and 5xx are)`,
    };
  if (attempts > schedule.length)
    return { state: "failed", reason: `${what}: gave up after ${attempts} attempts` };
  const step = schedule[attempts - 1]!;
  const asked = r.retryAfterSeconds !== null ? Math.min(r.retryAfterSeconds, 3600) * 1000 : 0;
  return { state: "pending", retryInMs: Math.max(step, asked) };
}

/** How a failed attempt reads on the webhook (`last_error`): the status and the start of the answer, or the error. */
export function webhookErrorOf(r: PostResult, next: Next): string | null {
  if (next.state === "delivered") return null;
  if (next.state === "failed") return next.reason.slice(0, 500);
  const what = r.status === null ? (r.error ?? "network error") : `HTTP ${r.status}`;
  return (r.status !== null && r.error ? `${what}: ${r.error}` : what).slice(0, 500);
}
