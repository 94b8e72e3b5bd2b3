/** An error a client may see: a stable code, an HTTP status and a message that says what to fix. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id?: string) =>
  new AppError(
    404,
    "NOT_FOUND",
    id ? `${what} ${JSON.stringify(id)} was not found` : `${what} was not found`,
  );

export const validation = (message: string, errors: string[] = [message]) =>
  new AppError(400, "VALIDATION_ERROR", message, { errors });

export const forbidden = (code: string, message: string) => new AppError(403, code, message);
