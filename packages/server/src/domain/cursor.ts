import { validation } from "./errors.ts";

/** Cursors are opaque to clients: base64url JSON, validated on the way back in. */
export function encodeCursor(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor<T extends Record<string, string | number>>(
  text: string,
  shape: { [K in keyof T]: "string" | "number" },
): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw validation("cursor is not valid; pass back a cursor exactly as the API returned it");
  }
  if (typeof parsed !== "object" || parsed === null) throw validation("cursor is not valid");
  for (const [k, t] of Object.entries(shape)) {
    if (typeof (parsed as Record<string, unknown>)[k] !== t) throw validation("cursor is not valid");
  }
  return parsed as T;
}
