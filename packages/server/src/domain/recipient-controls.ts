import { isEmailAddress, splitAddress } from "./address.ts";
import { AppError } from "./errors.ts";

/**
 * Entries of suppression lists and allowlists: an address ("ann@corp.com") or a bare domain ("@corp.com", that
 * exact domain and not its subdomains). Stored lower-cased.
 */
export type EntryCheck = { ok: true; entry: string } | { ok: false; reason: string };

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function parseEntry(text: string): EntryCheck {
  const v = text.trim().toLowerCase();
  if (v.startsWith("@")) {
    return DOMAIN_RE.test(v.slice(1))
      ? { ok: true, entry: v }
      : { ok: false, reason: "not a domain: write a bare domain as @example.com" };
  }
  if (!isEmailAddress(v))
    return { ok: false, reason: "not an email address (or a bare domain like @example.com)" };
  return { ok: true, entry: v };
}

/** A bare-domain entry ("@corp.com"): it covers every address at that domain. */
export const isDomainEntry = (entry: string): boolean => entry.startsWith("@");

/** The seed's name for what an entry is: an address, or a bare domain. */
export const patternTypeOf = (entry: string): "email" | "domain" =>
  isDomainEntry(entry) ? "domain" : "email";

/** An entry of a bulk add that is neither an address nor a bare domain: the seed's reason, and ours in words. */
export interface InvalidEntry {
  email: string;
  reason: "invalid_format";
  detail: string;
}

/** What a bulk add did: the rows that were new, the entries that were there already, the invalid ones. */
export interface BulkAdd<Row> {
  added: Row[];
  already_existed: string[];
  invalid: InvalidEntry[];
}

/** The entry `text` stands for, or `400 INVALID_EMAIL` naming what is wrong with it. */
export function entryOrRefuse(text: string, field = "email"): string {
  const v = parseEntry(text);
  if (v.ok) return v.entry;
  throw new AppError("invalid", "INVALID_EMAIL", `${field} ${JSON.stringify(text)} is ${v.reason}`, {
    email: text,
    reason: "invalid_format",
    errors: [`${field}: ${v.reason}`],
  });
}

/** A bulk add's entries: the valid ones (normalised, each once, in order) and the invalid ones with why. */
export function splitEntries(texts: string[]): { valid: string[]; invalid: InvalidEntry[] } {
  const valid = new Set<string>();
  const invalid: InvalidEntry[] = [];
  for (const e of texts) {
    const v = parseEntry(e);
    if (!v.ok) invalid.push({ email: e, reason: "invalid_format", detail: v.reason });
    else valid.add(v.entry);
  }
  return { valid: [...valid], invalid };
}

/** The entry of `entries` that covers `address` (the address itself first, then its exact domain), or null. */
export function coveringEntry(address: string, entries: ReadonlySet<string>): string | null {
  const a = address.toLowerCase();
  if (entries.has(a)) return a;
  const domain = splitAddress(a)?.domain;
  return domain && entries.has(`@${domain}`) ? `@${domain}` : null;
}

/** Recipients (to, cc and bcc together, each counted once) one message may have, whichever path sends it. */
export const MAX_RECIPIENTS = 50;

/** The entries to look up for a set of recipients: each address and its domain. */
export function lookupKeys(addresses: string[]): string[] {
  const keys = new Set<string>();
  for (const a of addresses) {
    const lower = a.toLowerCase();
    keys.add(lower);
    const domain = splitAddress(lower)?.domain;
    if (domain) keys.add(`@${domain}`);
  }
  return [...keys];
}

export interface QuotaWindow {
  window_seconds: number;
  limit: number;
}

export interface QuotaUse extends QuotaWindow {
  scope: "mailbox" | "account";
  used: number;
  window_start: Date;
}

/** Fixed windows aligned to the epoch (an hour window starts on the hour, a day window at 00:00 UTC). */
export function windowStart(now: Date, seconds: number): Date {
  const ms = seconds * 1000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

export interface QuotaExceeded {
  scope: "mailbox" | "account";
  window_seconds: number;
  limit: number;
  /** What is left for a smaller send (a send of n recipients uses n). */
  remaining: number;
  reset_at: string;
  retry_after_seconds: number;
}

/**
 * The verdict on a send already counted in every window (`used` includes its `recipients`): the first window it
 * overflowed, or null; and how many further recipients remain.
 */
export function quotaVerdict(
  counted: QuotaUse[],
  now: Date,
  recipients = 1,
): { exceeded: QuotaExceeded | null; remaining: number | null } {
  for (const u of counted) {
    if (u.used > u.limit) {
      const reset = new Date(u.window_start.getTime() + u.window_seconds * 1000);
      return {
        exceeded: {
          scope: u.scope,
          window_seconds: u.window_seconds,
          limit: u.limit,
          remaining: Math.max(0, u.limit - (u.used - recipients)),
          reset_at: reset.toISOString(),
          retry_after_seconds: Math.max(1, Math.ceil((reset.getTime() - now.getTime()) / 1000)),
        },
        remaining: 0,
      };
    }
  }
  return {
    exceeded: null,
    remaining: counted.length ? Math.min(...counted.map((u) => u.limit - u.used)) : null,
  };
}

/** Validates a mailbox's send_quotas setting; returns the problems (empty when valid). */
export function quotaProblems(q: unknown): string[] {
  if (!Array.isArray(q)) return ["send_quotas must be an array of {window_seconds, limit}"];
  const out: string[] = [];
  if (q.length > 5) out.push("send_quotas may have at most 5 windows");
  q.forEach((w, i) => {
    const o = w as Record<string, unknown>;
    if (typeof o !== "object" || o === null) {
      out.push(`send_quotas[${i}] must be an object`);
      return;
    }
    for (const k of Object.keys(o))
      if (k !== "window_seconds" && k !== "limit") out.push(`send_quotas[${i}].${k} is not a known field`);
    if (
      !Number.isInteger(o.window_seconds) ||
      (o.window_seconds as number) < 60 ||
      (o.window_seconds as number) > 31 * 86400
    )
      out.push(`send_quotas[${i}].window_seconds must be an integer from 60 to 2678400 (31 days)`);
    if (!Number.isInteger(o.limit) || (o.limit as number) < 0)
      out.push(`send_quotas[${i}].limit must be an integer >= 0`);
  });
  return out;
}

/** A page cursor of a blocked-attempts log (the last attempt's id), or `400 VALIDATION_ERROR`. */
export function attemptCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  if (/^[1-9][0-9]{0,17}$/.test(cursor)) return cursor;
  throw new AppError(
    "invalid",
    "VALIDATION_ERROR",
    "cursor: pass back the next_cursor of the previous page",
    {
      errors: ["querystring.cursor: not a cursor this list gave"],
    },
  );
}
