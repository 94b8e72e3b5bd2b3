import { randomUUID } from "node:crypto";
import { safeJson } from "../domain/safe-text.ts";
import { subjectFallbackApplies, subjectKey, threadLookupIds } from "../domain/thread-keys.ts";
import { planThreads, type ThreadCandidate } from "../domain/thread-placement.ts";
import type { Sql } from "./db.ts";
import { threadVisible } from "./visible.ts";

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
 * Places a batch of messages of one mailbox into threads (see domain/thread-placement.ts) with a fixed number of
 * statements, whatever the batch size. Call with the mailbox row locked, so concurrent batches of the same
 * mailbox cannot start two threads for one conversation.
 */
export async function placeInThreads(
  sql: Sql,
  where: { accountId: string; mailboxId: string; at: Date },
  batch: ThreadCandidate[],
): Promise<string[]> {
  const refs = [...new Set(batch.flatMap((m) => threadLookupIds(m.inReplyTo, m.references)))];
  const known =
    refs.length === 0
      ? []
      : await sql.query<{ internet_message_id: string; thread_id: string }>(
          `select internet_message_id, thread_id from messages
           where mailbox_id = $1 and internet_message_id = any($2::text[]) and thread_id is not null`,
          [where.mailboxId, refs],
        );
  const keys = [...new Set(batch.filter((m) => subjectFallbackApplies(m)).map((m) => subjectKey(m.subject)))];
  const recent =
    keys.length === 0
      ? []
      : await sql.query<{ id: string; subject_key: string; participants: string[] }>(
          `select id, subject_key, participants from threads
           where mailbox_id = $1 and subject_key = any($2::text[]) and last_message_at > now() - make_interval(days => $3)
           order by last_message_at desc limit 500`,
          [where.mailboxId, keys, SUBJECT_FALLBACK_DAYS],
        );
  const plan = planThreads(
    batch,
    {
      threadByMessageId: new Map(known.map((k) => [k.internet_message_id, k.thread_id])),
      recentBySubject: recent.map((r) => ({
        id: r.id,
        subjectKey: r.subject_key,
        participants: r.participants,
      })),
    },
    randomUUID,
  );
  if (plan.newThreads.length > 0) {
    await sql.query(
      `insert into threads (id, account_id, mailbox_id, subject, subject_key, participants, message_count, last_message_at)
       select t.id, $1, $2, t.subject, t.subject_key, array(select jsonb_array_elements_text(t.participants)), t.count, $3
       from jsonb_to_recordset($4::jsonb) as t (id uuid, subject text, subject_key text, participants jsonb, count int)`,
      [
        where.accountId,
        where.mailboxId,
        where.at,
        safeJson(
          plan.newThreads.map((t) => ({
            id: t.id,
            subject: t.subject,
            subject_key: t.subjectKey,
            participants: t.participants,
            count: t.count,
          })),
        ),
      ],
    );
  }
  if (plan.grown.length > 0) {
    await sql.query(
      `update threads set message_count = threads.message_count + g.count,
         last_message_at = greatest(threads.last_message_at, $1),
         participants = array(select distinct unnest(threads.participants || array(select jsonb_array_elements_text(g.participants))))
       from jsonb_to_recordset($2::jsonb) as g (id uuid, participants jsonb, count int)
       where threads.id = g.id`,
      [where.at, safeJson(plan.grown)],
    );
  }
  return plan.threadIds;
}

export async function getThread(sql: Sql, accountId: string, id: string): Promise<ThreadRow | null> {
  const [row] = await sql.query<ThreadRow>("select * from threads where account_id = $1 and id = $2", [
    accountId,
    id,
  ]);
  return row ?? null;
}

/** What a thread list may be narrowed to; the message conditions count only messages the caller sees. */
export interface ThreadFilter {
  /** Last activity strictly before this. */
  beforeTs?: Date;
  /** Last activity at or after this. */
  sinceTs?: Date;
  /** Some message the caller sees is starred (true), or none is (false). */
  starred?: boolean;
  /** Some message the caller sees is inbound (true), or none is: send-only threads (false). */
  hasInbound?: boolean;
}

export async function listThreads(
  sql: Sql,
  mailboxId: string,
  opts: {
    limit: number;
    before?: { at: string; id: string };
    filter?: ThreadFilter;
    /** Whether the message conditions count only what an agent may see. */
    agentView?: boolean;
  },
): Promise<ThreadRow[]> {
  const params: unknown[] = [mailboxId, opts.limit];
  let where = "mailbox_id = $1";
  if (opts.before) {
    params.push(opts.before.at, opts.before.id);
    where += " and (last_message_at, id) < ($3::timestamptz, $4::uuid)";
  }
  const f = opts.filter ?? {};
  if (f.beforeTs) {
    params.push(f.beforeTs);
    where += ` and last_message_at < $${params.length}`;
  }
  if (f.sinceTs) {
    params.push(f.sinceTs);
    where += ` and last_message_at >= $${params.length}`;
  }
  const some = (condition: string, yes: boolean) => {
    const visible = threadVisible(params, opts.agentView ?? false);
    where += ` and ${yes ? "" : "not "}exists (select 1 from messages m where m.thread_id = threads.id and ${condition} and ${visible})`;
  };
  if (f.starred !== undefined) some("m.starred", f.starred);
  if (f.hasInbound !== undefined) some("m.direction = 'inbound'", f.hasInbound);
  return sql.query<ThreadRow>(
    `select * from threads where ${where} order by last_message_at desc, id desc limit $2`,
    params,
  );
}

/** The thread a message would join by its In-Reply-To/References, without placing it (null: a new thread). */
export async function threadByReferences(
  sql: Sql,
  mailboxId: string,
  inReplyTo: string | null,
  references: string[],
): Promise<string | null> {
  const ids = threadLookupIds(inReplyTo, references);
  if (ids.length === 0) return null;
  const rows = await sql.query<{ internet_message_id: string; thread_id: string }>(
    `select internet_message_id, thread_id from messages
     where mailbox_id = $1 and internet_message_id = any($2::text[]) and thread_id is not null`,
    [mailboxId, ids],
  );
  // The closest reference wins: In-Reply-To first, then References from the newest.
  for (const id of ids) {
    const hit = rows.find((r) => r.internet_message_id === id);
    if (hit) return hit.thread_id;
  }
  return null;
}

/** Takes a message out of its thread; the thread goes too when nothing is left in it. */
export async function detachFromThread(sql: Sql, messageId: string, threadId: string): Promise<void> {
  await sql.query("update messages set thread_id = null where id = $1", [messageId]);
  await sql.query("update threads set message_count = greatest(message_count - 1, 0) where id = $1", [
    threadId,
  ]);
  await sql.query(
    "delete from threads t where t.id = $1 and not exists (select 1 from messages m where m.thread_id = t.id)",
    [threadId],
  );
}

/** Renames a thread after the subject of its only message (a held send a reviewer revised); no-op otherwise. */
export async function retitleSoleThread(sql: Sql, threadId: string, messageId: string, subject: string) {
  await sql.query(
    `update threads set subject = $3, subject_key = $4
     where id = $1 and message_count = 1 and exists (select 1 from messages where id = $2 and thread_id = $1)`,
    [threadId, messageId, subject, subjectKey(subject)],
  );
}
