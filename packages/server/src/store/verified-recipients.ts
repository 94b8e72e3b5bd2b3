import { randomUUID } from "node:crypto";
import type { Sql } from "./db.ts";

export interface VerifiedRecipientRow {
  id: string;
  account_id: string;
  email: string;
  status: "pending" | "confirmed";
  link_sent_at: Date;
  link_expires_at: Date;
  links_sent: number;
  confirmed_at: Date | null;
  created_at: Date;
}

/** Adds a pending recipient; null when the account already has this address. */
export async function insertVerifiedRecipient(
  sql: Sql,
  input: { accountId: string; email: string; sentAt: Date; expiresAt: Date },
): Promise<VerifiedRecipientRow | null> {
  const [row] = await sql.query<VerifiedRecipientRow>(
    `insert into verified_recipients (id, account_id, email, link_sent_at, link_expires_at)
     values ($1, $2, $3, $4, $5) on conflict do nothing returning *`,
    [randomUUID(), input.accountId, input.email, input.sentAt, input.expiresAt],
  );
  return row ?? null;
}

export async function verifiedRecipientByEmail(
  sql: Sql,
  accountId: string,
  email: string,
): Promise<VerifiedRecipientRow | null> {
  const [row] = await sql.query<VerifiedRecipientRow>(
    "select * from verified_recipients where account_id = $1 and email = $2",
    [accountId, email],
  );
  return row ?? null;
}

/** One of the account's recipients; `lock` holds the row until commit. */
export async function verifiedRecipient(
  sql: Sql,
  accountId: string,
  id: string,
  lock = false,
): Promise<VerifiedRecipientRow | null> {
  const [row] = await sql.query<VerifiedRecipientRow>(
    `select * from verified_recipients where account_id = $1 and id = $2${lock ? " for update" : ""}`,
    [accountId, id],
  );
  return row ?? null;
}

/** The recipient a confirmation link names, whatever its account (the link is the credential). */
export async function verifiedRecipientById(sql: Sql, id: string): Promise<VerifiedRecipientRow | null> {
  const [row] = await sql.query<VerifiedRecipientRow>("select * from verified_recipients where id = $1", [
    id,
  ]);
  return row ?? null;
}

/** Newest first; `before` is the last row of the previous page. */
export async function listVerifiedRecipients(
  sql: Sql,
  accountId: string,
  opts: { limit: number; before?: { createdAt: Date; id: string } },
): Promise<VerifiedRecipientRow[]> {
  const params: unknown[] = [accountId, opts.limit];
  let cond = "";
  if (opts.before) {
    params.push(opts.before.createdAt, opts.before.id);
    cond = "and (created_at, id) < ($3, $4)";
  }
  return sql.query<VerifiedRecipientRow>(
    `select * from verified_recipients where account_id = $1 ${cond}
     order by created_at desc, id desc limit $2`,
    params,
  );
}

/** A new link went out: its time and expiry, one more sent. */
export async function recordLinkSent(
  sql: Sql,
  id: string,
  sentAt: Date,
  expiresAt: Date,
): Promise<VerifiedRecipientRow> {
  const [row] = await sql.query<VerifiedRecipientRow>(
    `update verified_recipients set link_sent_at = $2, link_expires_at = $3, links_sent = links_sent + 1
     where id = $1 returning *`,
    [id, sentAt, expiresAt],
  );
  return row!;
}

/** Confirms a pending recipient; null when it was not pending (already confirmed, or gone). */
export async function confirmVerifiedRecipient(
  sql: Sql,
  id: string,
  at: Date,
): Promise<VerifiedRecipientRow | null> {
  const [row] = await sql.query<VerifiedRecipientRow>(
    `update verified_recipients set status = 'confirmed', confirmed_at = $2
     where id = $1 and status = 'pending' returning *`,
    [id, at],
  );
  return row ?? null;
}

export async function deleteVerifiedRecipient(
  sql: Sql,
  accountId: string,
  id: string,
): Promise<VerifiedRecipientRow | null> {
  const [row] = await sql.query<VerifiedRecipientRow>(
    "delete from verified_recipients where account_id = $1 and id = $2 returning *",
    [accountId, id],
  );
  return row ?? null;
}

/** Which of these (lower-cased) addresses the account has confirmed. */
export async function confirmedAmong(sql: Sql, accountId: string, emails: string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await sql.query<{ email: string }>(
    `select email from verified_recipients
     where account_id = $1 and status = 'confirmed' and email = any($2::text[])`,
    [accountId, emails],
  );
  return new Set(rows.map((r) => r.email));
}
