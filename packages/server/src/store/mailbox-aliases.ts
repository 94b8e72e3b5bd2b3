import type { Sql } from "./db.ts";
import type { MailboxRow } from "./mailboxes.ts";

export type AddAliasResult =
  | { ok: true; added: boolean }
  /** taken: a live mailbox or another mailbox's alias has the name; retired: another account used the name. */
  | { ok: false; reason: "taken" | "retired" };

/**
 * Points an alias at a mailbox, in the caller's transaction. The name is claimed in mailbox_names like a mailbox
 * name (the row lock serialises every claim of it); an alias of a deleted mailbox of the same account moves over.
 */
export async function addAlias(
  sql: Sql,
  a: { accountId: string; mailboxId: string; name: string },
): Promise<AddAliasResult> {
  await sql.query(
    "insert into mailbox_names (name, account_id) values ($1, $2) on conflict (name) do nothing",
    [a.name, a.accountId],
  );
  const [owner] = await sql.query<{ account_id: string }>(
    "select account_id from mailbox_names where name = $1 for update",
    [a.name],
  );
  const [live] = await sql.query<{ id: string }>(
    "select id from mailboxes where name = $1 and domain is null and deleted_at is null",
    [a.name],
  );
  const [current] = await sql.query<{ mailbox_id: string; live: boolean }>(
    `select x.mailbox_id, m.deleted_at is null as live from mailbox_aliases x join mailboxes m on m.id = x.mailbox_id
     where x.name = $1`,
    [a.name],
  );
  if (owner!.account_id !== a.accountId)
    return { ok: false, reason: live || current?.live ? "taken" : "retired" };
  if (live) return { ok: false, reason: "taken" };
  if (current?.mailbox_id === a.mailboxId) return { ok: true, added: false };
  if (current?.live) return { ok: false, reason: "taken" };
  await sql.query(
    `insert into mailbox_aliases (name, account_id, mailbox_id) values ($1, $2, $3)
     on conflict (name) do update set mailbox_id = excluded.mailbox_id, created_at = now()`,
    [a.name, a.accountId, a.mailboxId],
  );
  return { ok: true, added: true };
}

/** A mailbox's aliases, by name. */
export async function aliasesOf(sql: Sql, mailboxId: string): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    "select name from mailbox_aliases where mailbox_id = $1 order by name",
    [mailboxId],
  );
  return rows.map((r) => r.name);
}

/** The live mailbox an alias delivers to, in any account (the address space is the installation's). */
export async function mailboxByAlias(sql: Sql, name: string): Promise<MailboxRow | null> {
  const [row] = await sql.query<MailboxRow>(
    `select m.* from mailbox_aliases x join mailboxes m on m.id = x.mailbox_id
     where x.name = $1 and m.deleted_at is null`,
    [name],
  );
  return row ?? null;
}

/** Whether a name is the alias of a live mailbox (a new mailbox may not take it). */
export async function isLiveAlias(sql: Sql, name: string): Promise<boolean> {
  return (await mailboxByAlias(sql, name)) !== null;
}
