import { AppError } from "./errors.ts";

/** Seconds a client is told to wait before trying again when storage is full. */
export const STORAGE_FULL_RETRY_AFTER_SECONDS = 60;

// The OS's "no space" and "quota exceeded", and PostgreSQL's disk_full SQLSTATE.
const CODES = new Set(["ENOSPC", "EDQUOT", "53100"]);
const MESSAGES = /No space left on device|Disk quota exceeded/i;

/** Whether an error (or one it wraps as `cause`) says the disk or the quota is full. */
export function isStorageFull(err: unknown): boolean {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string" && CODES.has(e.code)) return true;
    // Embedded PostgreSQL (PGlite) may report the file system's failure only in its message.
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** What an API caller sees: a temporary refusal, nothing stored, with when to try again. */
export const storageFull = () =>
  new AppError(
    "storage_full",
    "STORAGE_FULL",
    "the server's storage is full, so nothing was stored or sent; try again after Retry-After seconds " +
      "(the operator has to free disk space)",
    undefined,
    STORAGE_FULL_RETRY_AFTER_SECONDS,
  );
