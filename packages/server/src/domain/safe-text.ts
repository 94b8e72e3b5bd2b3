/**
 * Text that PostgreSQL and JSON can hold. PostgreSQL refuses NUL in `text` and `\u0000` in `jsonb`, and
 * `jsonb` refuses an unpaired UTF-16 surrogate; mail can carry either (a NUL byte, `=?UTF-16BE?B?2AA=?=`).
 * Neither means anything to a reader, so both become U+FFFD, the replacement character.
 */
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const UNSAFE_TEST = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function safeText(s: string): string;
export function safeText(s: string | null): string | null;
export function safeText(s: string | null | undefined): string | null | undefined;
export function safeText(s: string | null | undefined): string | null | undefined {
  return typeof s === "string" && UNSAFE_TEST.test(s) ? s.replace(UNSAFE, "\uFFFD") : s;
}

/** Whether a string holds something the database cannot store (the API refuses such input). */
export function isUnsafeText(s: string): boolean {
  return UNSAFE_TEST.test(s);
}

/**
 * The same, through plain objects and arrays (keys included): what came out of a mail is made safe once, before
 * anything stores it. Dates, Buffers and other class instances are left as they are.
 */
export function safeDeep<T>(value: T): T {
  if (typeof value === "string") return safeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => safeDeep(v)) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[safeText(k)] = safeDeep(v);
    return out as T;
  }
  return value;
}

// What JSON.stringify writes for NUL and for an unpaired surrogate; paired surrogates are written as they are.
const UNSAFE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** JSON for a `jsonb` parameter: JSON.stringify, made safe when (rarely) the value holds unsafe text. */
export function safeJson(value: unknown): string {
  const json = JSON.stringify(value);
  return UNSAFE_ESCAPE.test(json) ? JSON.stringify(safeDeep(value)) : json;
}

/** A valid date in years 1 to 9999: what PostgreSQL stores and ISO 8601 writes without an expanded year. */
export function isStorableDate(d: Date): boolean {
  const year = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && year >= 1 && year <= 9999;
}

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d{1,9})?([Zz]|[+-](\d\d):(\d\d))$/;

/**
 * An RFC 3339 date-time the database can store, or null: every field in range (no 30 February, no 24:00, no leap
 * second — JavaScript cannot hold one), years 1 to 9999.
 */
export function parseDateTime(text: string): Date | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  const d = new Date(text.replace(" ", "T"));
  return isStorableDate(d) ? d : null;
}
