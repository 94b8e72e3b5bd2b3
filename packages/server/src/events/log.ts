import type { Sql } from "../store/db.ts";

/** Appends to the event log inside the caller's transaction, so no event exists for a rolled-back change. */
export async function appendEvent(
  sql: Sql,
  e: { accountId: string; mailboxId: string | null; type: string; data: Record<string, unknown> },
): Promise<void> {
  await sql.query("insert into events (account_id, mailbox_id, type, data) values ($1, $2, $3, $4::jsonb)", [
    e.accountId,
    e.mailboxId,
    e.type,
    JSON.stringify(e.data),
  ]);
}

export async function appendEvents(
  sql: Sql,
  events: { accountId: string; mailboxId: string | null; type: string; data: Record<string, unknown> }[],
): Promise<void> {
  if (events.length === 0) return;
  await sql.query(
    `insert into events (account_id, mailbox_id, type, data)
     select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[])`,
    [
      events.map((e) => e.accountId),
      events.map((e) => e.mailboxId),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
    ],
  );
}

/** Channels used with LISTEN/NOTIFY; a NOTIFY inside a transaction is delivered only at commit. */
export const Channel = {
  /** A message was accepted and waits to be processed; payload: message id. */
  received: "postbox_received",
  /** An inbound message became available; payload: mailbox id. */
  inbound: "postbox_inbound",
  /** A delivery was queued; payload: empty. */
  delivery: "postbox_delivery",
  /** A draft was scheduled; payload: empty. */
  drafts: "postbox_drafts",
} as const;

export async function notify(sql: Sql, channel: string, payload = ""): Promise<void> {
  await sql.query("select pg_notify($1, $2)", [channel, payload]);
}
