/**
 * Why a request was refused, in the service's words. Use-cases throw these; each adapter maps them to its
 * protocol in one place (HTTP: api/http-status.ts).
 */
export type Refusal =
  | "invalid" // the request itself is wrong: fix it before sending it again
  | "unauthenticated" // no valid key
  | "forbidden" // a valid key that may not do this
  | "not_found" // nothing there, or nothing this caller may see
  | "conflict" // the thing is not in a state that allows this
  | "unprocessable" // well-formed, but its content cannot be used
  | "too_large"
  | "unsupported_media_type"
  | "rate_limited" // a limit or quota: later, or less
  | "unavailable" // this instance cannot serve now (shutting down)
  | "storage_full"; // nothing stored; the operator must free space

/** An error a client may see: a stable code, why it was refused, and a message that says what to fix. */
export class AppError extends Error {
  constructor(
    readonly refusal: Refusal,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** When a retry may succeed (temporary refusals). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id?: string) =>
  new AppError(
    "not_found",
    "NOT_FOUND",
    id ? `${what} ${JSON.stringify(id)} was not found` : `${what} was not found`,
  );

export const validation = (message: string, errors: string[] = [message]) =>
  new AppError("invalid", "VALIDATION_ERROR", message, { errors });

export const forbidden = (code: string, message: string) => new AppError("forbidden", code, message);
