import { decodeCursor } from "../domain/cursor.ts";
import { notFound } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import type { Sql } from "../store/db.ts";
import { type DeliveryRow, deliveriesFor } from "../store/deliveries.ts";
import {
  type MessageRow,
  markThreadRead,
  setThreadStarred,
  type ThreadStats,
  threadMessages,
  threadStats,
} from "../store/messages.ts";
import { listThreads, type ThreadFilter, type ThreadRow } from "../store/threads.ts";
import { mailboxFor, threadFor } from "./access.ts";
import { type PiiView, piiViewOfMailboxId } from "./pii-settings.ts";

/** A thread with what its summary says of the messages in it the caller sees. */
export type ThreadWithStats = ThreadRow & ThreadStats;

const NO_STATS: ThreadStats = { first_message_at: null, unread_count: 0, starred: false };

/** A page of a mailbox's threads, most recent activity first: `limit + 1` rows. */
export async function listMailboxThreads(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  q: { limit: number; cursor?: string; filter?: ThreadFilter },
): Promise<ThreadWithStats[]> {
  const mb = await mailboxFor(deps.db, p, mailboxIdOrName);
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  const rows = await listThreads(deps.db, mb.id, {
    limit: q.limit + 1,
    before: before ? { at: before.t, id: before.i } : undefined,
    filter: q.filter,
    agentView: p.role !== "admin",
  });
  const stats = await threadStats(
    deps.db,
    rows.map((r) => r.id),
    p.role !== "admin",
  );
  return rows.map((r) => ({ ...r, ...(stats.get(r.id) ?? NO_STATS) }));
}

/** A thread of this mailbox the caller may use: a thread of another mailbox looks missing. */
async function mailboxThread(sql: Sql, p: Principal, mailboxIdOrName: string, threadId: string) {
  const mb = await mailboxFor(sql, p, mailboxIdOrName);
  const thread = await threadFor(sql, p, threadId);
  if (thread.mailbox_id !== mb.id) throw notFound("thread", threadId);
  return thread;
}

/** Marks the thread's unread inbound messages the caller sees read; returns how many. */
export async function markMailboxThreadRead(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  threadId: string,
): Promise<{ thread: ThreadRow; marked: number }> {
  const thread = await mailboxThread(deps.db, p, mailboxIdOrName, threadId);
  return { thread, marked: await markThreadRead(deps.db, thread.id, p.role !== "admin") };
}

/** Stars or unstars every message of the thread the caller sees; returns how many changed. */
export async function starMailboxThread(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  threadId: string,
  starred: boolean,
): Promise<{ thread: ThreadRow; updated: number }> {
  const thread = await mailboxThread(deps.db, p, mailboxIdOrName, threadId);
  return { thread, updated: await setThreadStarred(deps.db, thread.id, starred, p.role !== "admin") };
}

/**
 * A thread with the messages the caller may see, oldest first, and the deliveries of its outbound ones. With
 * `mailbox`, only a thread of that mailbox is found (the seed's clients scope a read so).
 */
export async function getThreadWithMessages(
  deps: { db: Sql },
  p: Principal,
  id: string,
  opts: { mailbox?: string } = {},
): Promise<{ thread: ThreadWithStats; messages: MessageRow[]; deliveries: DeliveryRow[]; view: PiiView }> {
  const thread =
    opts.mailbox !== undefined
      ? await mailboxThread(deps.db, p, opts.mailbox, id)
      : await threadFor(deps.db, p, id);
  const messages = await threadMessages(deps.db, thread.id, p.role !== "admin");
  const deliveries = await deliveriesFor(
    deps.db,
    messages.filter((m) => m.direction === "outbound").map((m) => m.id),
  );
  // The same stats as the list's, from the messages the caller sees.
  const stats: ThreadStats = {
    first_message_at: messages[0]?.created_at ?? null,
    unread_count: messages.filter((m) => m.direction === "inbound" && m.read_at === null).length,
    starred: messages.some((m) => m.starred),
  };
  return {
    thread: { ...thread, ...stats },
    messages,
    deliveries,
    view: await piiViewOfMailboxId(deps.db, thread.mailbox_id),
  };
}
