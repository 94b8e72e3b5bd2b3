import { mailboxNameFor, splitAddress } from "../domain/address.ts";
import type { Sql } from "../store/db.ts";
import { findMailboxByName, type MailboxRow } from "../store/mailboxes.ts";

export type RecipientVerdict =
  | { ok: true; mailbox: MailboxRow }
  | { ok: false; reason: "foreign_domain" | "unknown_mailbox" | "malformed" };

/** Resolves an envelope recipient to a live mailbox on our domain; plus-addressing delivers to the base name. */
export async function resolveRecipient(sql: Sql, domain: string, address: string): Promise<RecipientVerdict> {
  const parts = splitAddress(address.trim());
  if (!parts) return { ok: false, reason: "malformed" };
  if (parts.domain !== domain) return { ok: false, reason: "foreign_domain" };
  const mailbox = await findMailboxByName(sql, mailboxNameFor(parts.local));
  return mailbox ? { ok: true, mailbox } : { ok: false, reason: "unknown_mailbox" };
}

/**
 * The same, remembering mailboxes found for a couple of seconds: an SMTP flood to one address costs one lookup
 * per interval. Misses are not remembered, so a mailbox is reachable the moment it is created; a deleted
 * mailbox may still receive for CACHE_MS, and that mail is stored like any other.
 */
export function cachedRecipientResolver(sql: Sql, domain: string, cacheMs = 2000) {
  const hits = new Map<string, { mailbox: MailboxRow; until: number }>();
  return async (address: string): Promise<RecipientVerdict> => {
    const key = address.trim().toLowerCase();
    const hit = hits.get(key);
    if (hit && hit.until > Date.now()) return { ok: true, mailbox: hit.mailbox };
    const v = await resolveRecipient(sql, domain, address);
    if (v.ok) {
      if (hits.size > 10_000) hits.clear();
      hits.set(key, { mailbox: v.mailbox, until: Date.now() + cacheMs });
    }
    return v;
  };
}
