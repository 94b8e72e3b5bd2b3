/** Every error the SDK raises. `code` is the server's stable error code. */
export class PostboxError extends Error {
  readonly status: number | null;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    message: string,
    opts: { status: number | null; code: string; details?: Record<string, unknown> },
  ) {
    super(message);
    this.name = new.target.name;
    this.status = opts.status;
    this.code = opts.code;
    this.details = opts.details;
  }
}

export class AuthenticationError extends PostboxError {}
export class ForbiddenError extends PostboxError {}
export class NotFoundError extends PostboxError {}
export class ConflictError extends PostboxError {}

export class ValidationError extends PostboxError {
  /** One human-readable line per problem, e.g. "body.to is required". */
  readonly fieldErrors: string[];
  constructor(
    message: string,
    opts: { status: number; code: string; details?: Record<string, unknown>; fieldErrors: string[] },
  ) {
    super(message, opts);
    this.fieldErrors = opts.fieldErrors;
  }
}

export class RateLimitError extends PostboxError {
  /** Seconds the server asked us to wait, when it said. */
  readonly retryAfter: number | null;
  constructor(
    message: string,
    opts: { status: number; code: string; details?: Record<string, unknown>; retryAfter: number | null },
  ) {
    super(message, opts);
    this.retryAfter = opts.retryAfter;
  }
}

/** The request never got an HTTP answer (connection refused, reset, DNS) or timed out. */
export class ConnectionError extends PostboxError {}

export interface ErrorBody {
  error?: string;
  code?: string;
  details?: Record<string, unknown>;
  errors?: string[];
}

export function errorFromResponse(
  status: number,
  body: ErrorBody | null,
  retryAfter: number | null,
): PostboxError {
  const message = body?.error ?? `HTTP ${status}`;
  const base = { status, code: body?.code ?? `HTTP_${status}`, details: body?.details };
  if (status === 400 || status === 422) {
    const fieldErrors = Array.isArray(body?.errors) ? body.errors : [];
    return new ValidationError(message, { ...base, fieldErrors });
  }
  if (status === 401) return new AuthenticationError(message, base);
  if (status === 403) return new ForbiddenError(message, base);
  if (status === 404) return new NotFoundError(message, base);
  if (status === 409) return new ConflictError(message, base);
  if (status === 429) return new RateLimitError(message, { ...base, retryAfter });
  return new PostboxError(message, base);
}
