import { mailboxNameFor, splitAddress } from "../domain/address.ts";
import { defaultAccount } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { domainByName } from "../store/domains.ts";
import { mailboxByAlias } from "../store/mailbox-aliases.ts";
import { createMailbox, findMailboxByName, type MailboxRow } from "../store/mailboxes.ts";

export type RecipientVerdict =
  | { ok: true; mailbox: MailboxRow }
  | { ok: false; reason: "foreign_domain" | "unknown_mailbox" | "malformed" }
  /** The mailbox exists but is paused: its mail is refused for now, to be retried (SMTP 450). */
  | { ok: false; reason: "paused"; mailbox: MailboxRow };

/** A domain we receive for: the installation's (domain null, the operator's account) or a verified custom one. */
interface Receiving {
  domain: string | null;
  /** A custom domain's account (the installation's postmaster goes to the operator's account). */
  accountId?: string;
}

/**
 * The domain's receiving side, or null when the domain is not ours: another installation's, or a custom domain
 * that is not verified (yet, or any more).
 */
export async function receivingDomain(db: Db, installation: string, name: string): Promise<Receiving | null> {
  if (name === installation) return { domain: null };
  const row = await domainByName(db, name);
  return row?.verification_status === "verified" ? { domain: row.name, accountId: row.account_id } : null;
}

/**
 * The postmaster mailbox, created the first time mail comes for it — in the operator's account on the
 * installation's domain, in the domain's account on a custom one: RFC 5321 §4.5.1 requires postmaster@ to work,
 * and creating it on first use keeps it working even after it is deleted.
 */
async function postmaster(db: Db, at: Receiving): Promise<RecipientVerdict> {
  const existing = await findMailboxByName(db, "postmaster", at.domain);
  if (existing) return { ok: true, mailbox: existing };
  const accountId = at.domain === null ? (await defaultAccount(db))?.id : at.accountId;
  if (!accountId) return { ok: false, reason: "unknown_mailbox" };
  const created = await createMailbox(db, {
    accountId,
    name: "postmaster",
    domain: at.domain,
    displayName: "Postmaster",
    takeOver: true,
  });
  if (created.ok) return { ok: true, mailbox: created.mailbox };
  const raced = await findMailboxByName(db, "postmaster", at.domain);
  return raced ? { ok: true, mailbox: raced } : { ok: false, reason: "unknown_mailbox" };
}

/**
 * Resolves an envelope recipient to a live mailbox on one of our domains, by its name or (on the installation's
 * domain) one of its aliases; plus-addressing delivers to the base name. A paused mailbox is named but not taken.
 */
export async function resolveRecipient(db: Db, domain: string, address: string): Promise<RecipientVerdict> {
  // RFC 5321 §4.1.1.3: RCPT TO:<Postmaster> without a domain must be accepted; it means ours.
  if (address.trim().toLowerCase() === "postmaster") return postmaster(db, { domain: null });
  const parts = splitAddress(address.trim());
  if (!parts) return { ok: false, reason: "malformed" };
  const at = await receivingDomain(db, domain, parts.domain);
  if (!at) return { ok: false, reason: "foreign_domain" };
  const name = mailboxNameFor(parts.local);
  const mailbox =
    (await findMailboxByName(db, name, at.domain)) ??
    (at.domain === null ? await mailboxByAlias(db, name) : null);
  if (mailbox?.status === "paused") return { ok: false, reason: "paused", mailbox };
  if (mailbox) return { ok: true, mailbox };
  if (name === "postmaster") return postmaster(db, at);
  return { ok: false, reason: "unknown_mailbox" };
}

/**
 * The same, remembering mailboxes found for a couple of seconds: an SMTP flood to one address costs one lookup
 * per interval. Misses are not remembered, so a mailbox is reachable the moment it is created; a deleted
 * mailbox may still receive for CACHE_MS, and that mail is stored like any other.
 */
export function cachedRecipientResolver(sql: Db, domain: string, cacheMs = 2000) {
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
