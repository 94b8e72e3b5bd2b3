import { AuthenticationError, ConnectionError, PostboxError, ValidationError } from "@postbox/sdk";

/** The exit codes every command keeps (docs/cli.md lists them for users). */
export const EXIT = {
  /** Done — also a send that was held for review or quarantined: the server decided, nothing failed. */
  OK: 0,
  /** The API refused the request (validation, permission, not found, conflict, rate limit). */
  REFUSED: 1,
  /** The command line is wrong: unknown command or option, missing argument, bad value. */
  USAGE: 2,
  /** No API key, or the server did not accept it (401). */
  AUTH: 3,
  /** The server could not be reached, timed out, or failed (5xx): trying again later may work. */
  UNREACHABLE: 4,
  /** A check answered no: `policy test` would not accept, `audit verify` found a broken chain. */
  CHECK_FAILED: 5,
} as const;

/** The command line is wrong; `usage` is the synopsis of the command that was meant, when known. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the CLI itself detects, with a stable code and its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exit: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

const isParseArgsError = (err: unknown): err is TypeError & { code: string } =>
  err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS");

/** Which exit code an error means. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || isParseArgsError(err)) return EXIT.USAGE;
  if (err instanceof CliError) return err.exit;
  if (err instanceof AuthenticationError) return EXIT.AUTH;
  if (err instanceof ConnectionError) return EXIT.UNREACHABLE;
  if (err instanceof PostboxError)
    return err.status !== null && err.status >= 500 ? EXIT.UNREACHABLE : EXIT.REFUSED;
  return EXIT.REFUSED;
}

/** The error as `--json` prints it on stderr: `{error, code, details}`. */
export function errorRecord(err: unknown): {
  error: string;
  code: string;
  details: Record<string, unknown> | null;
} {
  const error = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError || isParseArgsError(err))
    return {
      error,
      code: "USAGE_ERROR",
      details: err instanceof UsageError && err.usage ? { usage: err.usage } : null,
    };
  if (err instanceof CliError) return { error, code: err.code, details: err.details ?? null };
  if (err instanceof PostboxError) {
    const fieldErrors = err instanceof ValidationError ? err.fieldErrors : [];
    const details = { ...err.details, ...(fieldErrors.length > 0 ? { errors: fieldErrors } : {}) };
    return {
      error,
      code: err.code,
      details: Object.keys(details).length > 0 ? details : null,
    };
  }
  return { error, code: "CLI_ERROR", details: null };
}

/** The error for a person: one line, then each validation problem and any details. */
export function errorText(err: unknown): string {
  const rec = errorRecord(err);
  if (err instanceof UsageError || isParseArgsError(err)) {
    const usage = err instanceof UsageError && err.usage ? `\nusage: ${err.usage}` : "";
    return `postbox: ${rec.error}${usage}`;
  }
  if (!(err instanceof PostboxError) && !(err instanceof CliError)) return `postbox: ${rec.error}`;
  const lines = [`postbox: ${rec.error} (${rec.code})`];
  if (err instanceof ValidationError) for (const e of err.fieldErrors) lines.push(`  - ${e}`);
  const { errors: _errors, ...rest } = rec.details ?? {};
  if (Object.keys(rest).length > 0) lines.push(`  details: ${JSON.stringify(rest)}`);
  return lines.join("\n");
}
