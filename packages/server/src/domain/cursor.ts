import { isUuid } from "./address.ts";
import { AppError } from "./errors.ts";
import { isStorableDate } from "./safe-text.ts";

/** What a cursor field holds: each kind is checked on the way back in, so a forged cursor never reaches SQL. */
export type CursorField = "timestamp" | "uuid" | "seq" | "string";

type FieldValue<K extends CursorField> = K extends "seq" ? number : string;

/** The largest position a cursor may name: PostgreSQL's bigint is wider, JavaScript's safe integers are not. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export const invalidCursor = (what = "cursor") =>
  new AppError(
    "invalid",
    "INVALID_CURSOR",
    `${what} is not valid; pass back a cursor exactly as the API returned it`,
  );

/** Cursors are opaque to clients: base64url JSON, validated on the way back in. */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function valid(kind: CursorField, v: unknown): boolean {
  switch (kind) {
    case "timestamp":
      return (
        typeof v === "string" && v.length <= 40 && /^\d{4}-\d\d-\d\dT/.test(v) && isStorableDate(new Date(v))
      );
    case "uuid":
      return typeof v === "string" && isUuid(v);
    case "seq":
      return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= MAX_SEQ;
    case "string":
      return typeof v === "string" && v.length <= 1000;
  }
}

export function decodeCursor<S extends Record<string, CursorField>>(
  text: string,
  shape: S,
  what = "cursor",
): { [K in keyof S]: FieldValue<S[K]> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor(what);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalidCursor(what);
  for (const [k, kind] of Object.entries(shape)) {
    if (!valid(kind, (parsed as Record<string, unknown>)[k])) throw invalidCursor(what);
  }
  return parsed as { [K in keyof S]: FieldValue<S[K]> };
}
