import { randomUUID } from "node:crypto";
import { subjectFallbackApplies, subjectKey, threadLookupIds } from "../domain/threading.ts";
import type { Sql } from "./db.ts";

export interface ThreadRow {
  id: string;
  account_id: string;
  mailbox_id: string;
  subject: string;
  subject_key: string;
  participants: string[];
  message_count: number;
  last_message_at: Date;
  created_at: Date;
}

const SUBJECT_FALLBACK_DAYS = 30;

/**
 * Finds the thread a message belongs to (by its ids, then by subject among threads the sender is part of)
 * or starts one; then counts the message into it. Call with the mailbox row locked to keep one thread per
 * conversation when messages arrive concurrently.
 */
export async function placeInThread(
  sql: Sql,
  msg: {
    accountId: string;
    mailboxId: string;
    subject: string | null;
    inReplyTo: string | null;
    references: string[];
    sender: string | null;
    participants: string[];
    at: Date;
    knownThreadId?: string | null;
  },
): Promise<string> {
  let threadId = msg.knownThreadId ?? null;
  const ids = threadLookupIds(msg.inReplyTo, msg.references);
  if (!threadId && ids.length > 0) {
    const [hit] = await sql.query<{ thread_id: string }>(
      `select thread_id from messages
       where mailbox_id = $1 and internet_message_id = any($2::text[]) and thread_id is not null
       order by array_position($2::text[], internet_message_id) limit 1`,
      [msg.mailboxId, ids],
    );
    threadId = hit?.thread_id ?? null;
  }
  const key = subjectKey(msg.subject);
  if (!threadId && msg.sender && subjectFallbackApplies(msg)) {
    const [hit] = await sql.query<{ id: string }>(
      `select id from threads
       where mailbox_id = $1 and subject_key = $2 and $3 = any(participants)
         and last_message_at > now() - make_interval(days => $4)
       order by last_message_at desc limit 1`,
      [msg.mailboxId, key, msg.sender, SUBJECT_FALLBACK_DAYS],
    );
    threadId = hit?.id ?? null;
  }
  const participants = [...new Set(msg.participants.map((p) => p.toLowerCase()))];
  if (!threadId) {
    threadId = randomUUID();
    await sql.query(
      `insert into threads (id, account_id, mailbox_id, subject, subject_key, participants, message_count, last_message_at)
       values ($1, $2, $3, $4, $5, $6::text[], 1, $7)`,
      [threadId, msg.accountId, msg.mailboxId, msg.subject ?? "", key, participants, msg.at],
    );
    return threadId;
  }
  await sql.query(
    `update threads set message_count = message_count + 1,
       last_message_at = greatest(last_message_at, $2),
       participants = array(select distinct unnest(participants || $3::text[]))
     where id = $1`,
    [threadId, msg.at, participants],
  );
  return threadId;
}

export async function getThread(sql: Sql, accountId: string, id: string): Promise<ThreadRow | null> {
  const [row] = await sql.query<ThreadRow>("select * from threads where account_id = $1 and id = $2", [
    accountId,
    id,
  ]);
  return row ?? null;
}

export async function listThreads(
  sql: Sql,
  mailboxId: string,
  opts: { limit: number; before?: { at: string; id: string } },
): Promise<ThreadRow[]> {
  const params: unknown[] = [mailboxId, opts.limit];
  let where = "mailbox_id = $1";
  if (opts.before) {
    params.push(opts.before.at, opts.before.id);
    where += " and (last_message_at, id) < ($3::timestamptz, $4::uuid)";
  }
  return sql.query<ThreadRow>(
    `select * from threads where ${where} order by last_message_at desc, id desc limit $2`,
    params,
  );
}
