import type { Sql } from "./db.ts";

/** Each mailbox (deleted ones too: their mail is still stored) with the retention in force for it, in days. */
export async function retentionTargets(
  sql: Sql,
  defaultDays: number,
): Promise<{ mailbox_id: string; account_id: string; days: number }[]> {
  return sql.query(
    `select m.id as mailbox_id, m.account_id, coalesce(m.retention_days, a.retention_days, $1)::int as days
     from mailboxes m join accounts a on a.id = m.account_id order by m.account_id, m.id`,
    [defaultDays],
  );
}

// Settled mail only: mail being processed, a send waiting for its reviewer or in flight finishes first.
const SETTLED = `((direction = 'inbound' and state in ('available', 'quarantined', 'blocked', 'failed', 'deleted'))
  or (direction = 'outbound' and state in ('blocked', 'delivered', 'bounced', 'cancelled', 'deleted')))`;

/**
 * Deletes up to `limit` settled messages of a mailbox created before `cutoff`, with everything stored for them:
 * derived text and attachment metadata (columns of the row), the search document and queued rule runs (cascades),
 * deliveries and their attempts, token usage, the drafts they were sent from, spooled bytes; their threads shrink
 * and go when empty. Bounce reports stay (the record of a suppression) without the link. The raw bytes are the
 * blob sweep's (another message may share them). Returns how many messages went.
 */
export async function purgeExpiredMessages(
  sql: Sql,
  mailboxId: string,
  cutoff: Date,
  limit: number,
): Promise<number> {
  const rows = await sql.query<{ id: string; thread_id: string | null }>(
    `select id, thread_id from messages where mailbox_id = $1 and created_at < $2 and ${SETTLED}
     order by created_at limit $3 for update skip locked`,
    [mailboxId, cutoff, limit],
  );
  return deleteMessages(sql, rows);
}

/**
 * Deletes these messages with everything stored for them (see purgeExpiredMessages); the caller holds their rows
 * locked. Returns how many went.
 */
export async function deleteMessages(
  sql: Sql,
  rows: { id: string; thread_id: string | null }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const ids = rows.map((r) => r.id);
  await sql.query(
    `update bounce_reports set message_id = null, delivery_id = null
     where message_id = any($1::uuid[]) or delivery_id in (select id from deliveries where message_id = any($1::uuid[]))`,
    [ids],
  );
  await sql.query(
    "delete from delivery_attempts where delivery_id in (select id from deliveries where message_id = any($1::uuid[]))",
    [ids],
  );
  await sql.query("delete from deliveries where message_id = any($1::uuid[])", [ids]);
  await sql.query("delete from token_usage where message_id = any($1::uuid[])", [ids]);
  await sql.query("delete from drafts where message_id = any($1::uuid[])", [ids]);
  await sql.query("delete from inbound_spool where message_id = any($1::uuid[])", [ids]);
  // A consumed upload handle's work ended with its message (the message describes its own files).
  await sql.query("delete from attachment_uploads where consumed_message_id = any($1::uuid[])", [ids]);
  await sql.query("delete from messages where id = any($1::uuid[])", [ids]);
  const threads = [...new Set(rows.flatMap((r) => (r.thread_id ? [r.thread_id] : [])))];
  if (threads.length > 0) {
    await sql.query(
      `update threads t set message_count = (select count(*) from messages m
         where m.thread_id = t.id and m.state <> 'deleted')
       where t.id = any($1::uuid[])`,
      [threads],
    );
    await sql.query(
      `delete from threads t where t.id = any($1::uuid[])
         and not exists (select 1 from messages m where m.thread_id = t.id)`,
      [threads],
    );
  }
  return ids.length;
}

/** Drops upload handles past their expiry (used or not): their bytes stay only while a message refers to them. */
export async function dropExpiredUploads(sql: Sql, now: Date): Promise<number> {
  const rows = await sql.query("delete from attachment_uploads where expires_at < $1 returning id", [now]);
  return rows.length;
}

/** Which of these blob keys a stored row still refers to. */
export async function referencedBlobs(sql: Sql, shas: string[]): Promise<Set<string>> {
  if (shas.length === 0) return new Set();
  const rows = await sql.query<{ sha: string }>(
    `select raw_sha256 as sha from messages where raw_sha256 = any($1::text[])
     union select raw_sha256 from bounce_reports where raw_sha256 = any($1::text[])
     union select sha256 from attachment_uploads where sha256 = any($1::text[])
     union select x.sha from messages m cross join lateral jsonb_array_elements(
         case when jsonb_typeof(m.attachments) = 'array' then m.attachments else '[]'::jsonb end) a
       cross join lateral (values (a->>'hash'), (a->>'preview_hash')) as x (sha)
       where x.sha = any($1::text[])`,
    [shas],
  );
  return new Set(rows.map((r) => r.sha));
}
