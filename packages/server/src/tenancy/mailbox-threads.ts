import { decodeCursor } from "../domain/cursor.ts";
import type { Principal } from "../domain/principal.ts";
import type { Sql } from "../store/db.ts";
import { type DeliveryRow, deliveriesFor } from "../store/deliveries.ts";
import { type MessageRow, threadMessages } from "../store/messages.ts";
import { listThreads, type ThreadRow } from "../store/threads.ts";
import { mailboxFor, threadFor } from "./access.ts";
import { type PiiView, piiViewOfMailboxId } from "./pii-settings.ts";

/** A page of a mailbox's threads, most recent activity first: `limit + 1` rows. */
export async function listMailboxThreads(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  q: { limit: number; cursor?: string },
): Promise<ThreadRow[]> {
  const mb = await mailboxFor(deps.db, p, mailboxIdOrName);
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listThreads(deps.db, mb.id, {
    limit: q.limit + 1,
    before: before ? { at: before.t, id: before.i } : undefined,
  });
}

/** A thread with the messages the caller may see, oldest first, and the deliveries of its outbound ones. */
export async function getThreadWithMessages(
  deps: { db: Sql },
  p: Principal,
  id: string,
): Promise<{ thread: ThreadRow; messages: MessageRow[]; deliveries: DeliveryRow[]; view: PiiView }> {
  const thread = await threadFor(deps.db, p, id);
  const messages = await threadMessages(deps.db, thread.id, p.role !== "admin");
  const deliveries = await deliveriesFor(
    deps.db,
    messages.filter((m) => m.direction === "outbound").map((m) => m.id),
  );
  return { thread, messages, deliveries, view: await piiViewOfMailboxId(deps.db, thread.mailbox_id) };
}
