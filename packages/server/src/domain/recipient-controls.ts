import { isEmailAddress, splitAddress } from "./address.ts";

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
