import type { Actor } from "../domain/principal.ts";
import type { Sql } from "./db.ts";

/**
 * A mailbox's two lists of addresses and bare domains ("@corp.com"): `recipients`, whom it may send to in
 * allowlist mode (the outbound allowlist), and `senders`, whom it takes mail from (the inbound sender allowlist).
 * Same shape, same rules; separate tables.
 */
export type MailboxList = "recipients" | "senders";

const TABLE: Record<MailboxList, string> = {
  recipients: "mailbox_allowlist",
  senders: "mailbox_sender_allowlist",
};

export interface ListEntryRow {
  mailbox_id: string;
  email: string;
  /** 'customer': added through the API. */
  source: string;
  added_by_actor_type: string | null;
  added_by_actor_id: string | null;
  created_at: Date;
}

/** A page of entries by address: `limit` rows after `after` (exclusive). */
export async function listEntries(
  sql: Sql,
  list: MailboxList,
  mailboxId: string,
  opts: { limit: number; after: string | null } = { limit: 100_000, after: null },
): Promise<ListEntryRow[]> {
  return sql.query<ListEntryRow>(
    `select * from ${TABLE[list]} where mailbox_id = $1 and ($2::text is null or email > $2)
     order by email limit $3`,
    [mailboxId, opts.after, opts.limit],
  );
}

/** The entries among `emails`, as stored. */
export async function entriesAmong(
  sql: Sql,
  list: MailboxList,
  mailboxId: string,
  emails: string[],
): Promise<ListEntryRow[]> {
  if (emails.length === 0) return [];
  return sql.query<ListEntryRow>(
    `select * from ${TABLE[list]} where mailbox_id = $1 and email = any ($2::text[]) order by email`,
    [mailboxId, emails],
  );
}

/** Adds entries; returns the rows that were new (existing entries keep who added them and when). */
export async function addEntries(
  sql: Sql,
  list: MailboxList,
  mailboxId: string,
  emails: string[],
  actor: Actor,
  source = "customer",
): Promise<ListEntryRow[]> {
  if (emails.length === 0) return [];
  return sql.query<ListEntryRow>(
    `insert into ${TABLE[list]} (mailbox_id, email, source, added_by_actor_type, added_by_actor_id)
     select $1, e, $3, $4, $5 from unnest($2::text[]) as e
     on conflict do nothing returning *`,
    [mailboxId, emails, source, actor.type, actor.id],
  );
}

/** Removes an entry; the removed row, or null when there was none. */
export async function removeEntry(
  sql: Sql,
  list: MailboxList,
  mailboxId: string,
  email: string,
): Promise<ListEntryRow | null> {
  const [row] = await sql.query<ListEntryRow>(
    `delete from ${TABLE[list]} where mailbox_id = $1 and email = $2 returning *`,
    [mailboxId, email],
  );
  return row ?? null;
}

/** Replaces the whole list with `emails` (PATCH /v1/mailboxes/:id inbound_sender_allowlist); [] empties it. */
export async function replaceEntries(
  sql: Sql,
  list: MailboxList,
  mailboxId: string,
  emails: string[],
  actor: Actor,
): Promise<void> {
  await sql.query(`delete from ${TABLE[list]} where mailbox_id = $1 and not (email = any ($2::text[]))`, [
    mailboxId,
    emails,
  ]);
  await addEntries(sql, list, mailboxId, emails, actor);
}

export async function countEntries(sql: Sql, list: MailboxList, mailboxId: string): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    `select count(*)::int as n from ${TABLE[list]} where mailbox_id = $1`,
    [mailboxId],
  );
  return row?.n ?? 0;
}

/** Which of the keys (addresses and @domains, see lookupKeys) are on the list. */
export async function listedAmong(
  sql: Sql,
  list: MailboxList,
  mailboxId: string,
  keys: string[],
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await sql.query<{ email: string }>(
    `select email from ${TABLE[list]} where mailbox_id = $1 and email = any ($2::text[])`,
    [mailboxId, keys],
  );
  return new Set(rows.map((r) => r.email));
}

/** The whole list's entries (the inbound firewall reads the sender allowlist this way). */
export async function allEntries(sql: Sql, list: MailboxList, mailboxId: string): Promise<string[]> {
  const rows = await sql.query<{ email: string }>(
    `select email from ${TABLE[list]} where mailbox_id = $1 order by email`,
    [mailboxId],
  );
  return rows.map((r) => r.email);
}
