import { randomUUID } from "node:crypto";
import type { DeliveryOutcome } from "../domain/delivery-outcome.ts";
import type { Sql } from "./db.ts";

export interface DeliveryRow {
  id: string;
  account_id: string;
  message_id: string;
  recipient: string;
  /** cancelled: its mailbox was deleted before it went out (last_response says so). */
  state: "queued" | "delivered" | "bounced" | "cancelled";
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  locked_by: string | null;
  last_code: number | null;
  last_response: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface ClaimedDelivery extends DeliveryRow {
  raw_sha256: string;
  mail_from: string;
  /** Null for service mail (a recipient confirmation), which no mailbox sends. */
  mailbox_id: string | null;
  /** The sending mailbox's custom domain (null: the installation's): its return path is at that domain. */
  mailbox_domain: string | null;
  /** The sending mailbox was deleted after this was queued: it is cancelled, not sent. */
  mailbox_deleted: boolean;
}

/** The recorded reason of deliveries cancelled because their mailbox was deleted. */
export const CANCELLED_MAILBOX_DELETED = "cancelled: the sending mailbox was deleted";

export async function queueDeliveries(sql: Sql, accountId: string, messageId: string, recipients: string[]) {
  for (const recipient of recipients) {
    await sql.query(
      "insert into deliveries (id, account_id, message_id, recipient, state) values ($1, $2, $3, $4, 'queued')",
      [randomUUID(), accountId, messageId, recipient],
    );
  }
}

/** Leases due deliveries; SKIP LOCKED lets many workers claim disjoint rows without waiting on each other. */
export async function claimDeliveries(
  sql: Sql,
  worker: string,
  limit: number,
  leaseSeconds: number,
): Promise<ClaimedDelivery[]> {
  return sql.query<ClaimedDelivery>(
    `with claimed as (
       update deliveries set locked_until = now() + make_interval(secs => $3), locked_by = $1,
         attempts = attempts + 1, updated_at = now()
       where id in (
         select id from deliveries
         where state = 'queued' and next_attempt_at <= now() and (locked_until is null or locked_until < now())
         order by next_attempt_at limit $2 for update skip locked)
       returning *)
     select c.*, m.raw_sha256, coalesce(m.envelope->>'mail_from', m.sender) as mail_from, m.mailbox_id,
       mb.domain as mailbox_domain, coalesce(mb.deleted_at is not null, false) as mailbox_deleted
     from claimed c join messages m on m.id = c.message_id left join mailboxes mb on mb.id = m.mailbox_id`,
    [worker, limit, leaseSeconds],
  );
}

/** Seconds until the next delivery becomes due (or a lease expires), or null when nothing is queued. */
export async function secondsUntilNextDue(sql: Sql): Promise<number | null> {
  const [row] = await sql.query<{ s: number | null }>(
    `select extract(epoch from min(greatest(next_attempt_at, coalesce(locked_until, next_attempt_at))) - now())::float8 as s
     from deliveries where state = 'queued'`,
  );
  return row?.s ?? null;
}

/** Records one attempt and moves the delivery on; false when our lease was lost to another worker. */
export async function finishAttempt(
  sql: Sql,
  d: { id: string; worker: string; startedAt: Date },
  result: { outcome: DeliveryOutcome; code: number | null; response: string; remoteHost: string | null },
  nextAttemptAt: Date | null,
): Promise<DeliveryRow | null> {
  const state = result.outcome === "deferred" ? (nextAttemptAt ? "queued" : "bounced") : result.outcome;
  const [row] = await sql.query<DeliveryRow>(
    `update deliveries set state = $3, last_code = $4, last_response = $5,
       next_attempt_at = coalesce($6, next_attempt_at), locked_until = null, locked_by = null, updated_at = now(),
       finished_at = case when $3 = 'queued' then null else now() end
     where id = $1 and locked_by = $2 and state = 'queued' returning *`,
    [d.id, d.worker, state, result.code, result.response, nextAttemptAt],
  );
  if (!row) return null;
  await sql.query(
    `insert into delivery_attempts (id, delivery_id, worker, started_at, outcome, code, response, remote_host)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      randomUUID(),
      d.id,
      d.worker,
      d.startedAt,
      result.outcome,
      result.code,
      result.response,
      result.remoteHost,
    ],
  );
  return row;
}

/** A delivery the remote server had accepted turns out bounced (a report arrived after the fact). */
export async function markDeliveryBounced(sql: Sql, id: string, response: string): Promise<void> {
  await sql.query(
    `update deliveries set state = 'bounced', last_response = $2, finished_at = now(), updated_at = now(),
       locked_until = null where id = $1`,
    [id, response],
  );
}

/** The delivery of a message to one recipient, locked for update. */
export async function lockDeliveryTo(
  sql: Sql,
  messageId: string,
  recipient: string,
): Promise<{ id: string; state: string } | null> {
  const [row] = await sql.query<{ id: string; state: string }>(
    "select id, state from deliveries where message_id = $1 and recipient = $2 for update",
    [messageId, recipient],
  );
  return row ?? null;
}

/** What a message's deliveries come to. */
export type SettledState = "dispatching" | "delivered" | "bounced" | "cancelled";

/** dispatching while any recipient is pending; then bounced if any did, cancelled if any was, else delivered. */
export async function settledState(sql: Sql, messageId: string): Promise<SettledState> {
  const [row] = await sql.query<{ state: SettledState }>(
    `select case
        when exists (select 1 from deliveries where message_id = $1 and state = 'queued') then 'dispatching'
        when exists (select 1 from deliveries where message_id = $1 and state = 'bounced') then 'bounced'
        when exists (select 1 from deliveries where message_id = $1 and state = 'cancelled') then 'cancelled'
        else 'delivered' end as state`,
    [messageId],
  );
  return row!.state;
}

/**
 * Cancels the queued deliveries of a mailbox's mail, recording why; returns how many, and their messages (which
 * the caller settles). Deliveries a worker holds are left to finish their attempt (a later retry is cancelled
 * when claimed).
 */
export async function cancelMailboxDeliveries(
  sql: Sql,
  mailboxId: string,
  reason: string,
): Promise<{ cancelled: number; messageIds: string[] }> {
  const rows = await sql.query<{ message_id: string }>(
    `update deliveries d set state = 'cancelled', last_response = $2, finished_at = now(), updated_at = now()
     from messages m
     where m.id = d.message_id and m.mailbox_id = $1 and d.state = 'queued'
       and (d.locked_until is null or d.locked_until < now())
     returning d.message_id`,
    [mailboxId, reason],
  );
  return { cancelled: rows.length, messageIds: [...new Set(rows.map((r) => r.message_id))] };
}

/** Cancels a delivery this worker claimed instead of attempting it; false when the lease was lost. */
export async function cancelClaimedDelivery(
  sql: Sql,
  d: { id: string; worker: string },
  reason: string,
): Promise<boolean> {
  const rows = await sql.query(
    `update deliveries set state = 'cancelled', last_response = $3, locked_until = null, locked_by = null,
       finished_at = now(), updated_at = now()
     where id = $1 and locked_by = $2 and state = 'queued' returning id`,
    [d.id, d.worker, reason],
  );
  return rows.length > 0;
}

export async function deliveriesFor(sql: Sql, messageIds: string[]): Promise<DeliveryRow[]> {
  if (messageIds.length === 0) return [];
  return sql.query<DeliveryRow>(
    "select * from deliveries where message_id = any($1::uuid[]) order by created_at, recipient",
    [messageIds],
  );
}

export async function queueDepth(
  sql: Sql,
): Promise<{ deliveries: number; inbound: number; inboundFailed: number }> {
  const [row] = await sql.query<{ deliveries: number; inbound: number; inboundFailed: number }>(
    `select (select count(*) from deliveries where state = 'queued')::int as deliveries,
            (select count(*) from messages where state = 'received')::int as inbound,
            (select count(*) from messages where state = 'failed')::int as "inboundFailed"`,
  );
  return row!;
}
