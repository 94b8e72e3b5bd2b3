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
