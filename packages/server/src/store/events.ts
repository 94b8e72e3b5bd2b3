import { type EventType, isEventType } from "../domain/event-catalog.ts";
import { safeJson } from "../domain/safe-text.ts";
import { Channel } from "./channels.ts";
import type { Sql } from "./db.ts";

export interface EventRow {
  id: string;
  account_id: string;
  mailbox_id: string | null;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
  /** The mailbox's pii_mode, for redaction on the way out. */
  pii_mode: "passthrough" | "redacted" | null;
}

/** A position in the feed: the id of the last event handed out. */
export interface FeedPosition {
  id: string;
}

export interface FeedFilter {
  accountId: string;
  types: string[] | null;
  /** Only these mailboxes' events; null = every mailbox. */
  mailboxIds: string[] | null;
  /** Whether events without a mailbox (webhook.*) are included. */
  accountLevel: boolean;
  /** Whether events about mail kept from agents are included (admin readers only). */
  adminOnly: boolean;
}

function where(f: FeedFilter, params: unknown[]): string {
  const parts = ["e.account_id = $1"];
  params.push(f.accountId);
  if (f.types) {
    params.push(f.types);
    parts.push(`e.type = any ($${params.length}::text[])`);
  }
  const scope: string[] = [];
  if (f.mailboxIds) {
    params.push(f.mailboxIds);
    scope.push(`e.mailbox_id = any ($${params.length}::uuid[])`);
  } else scope.push("e.mailbox_id is not null");
  if (f.accountLevel) scope.push("e.mailbox_id is null");
  parts.push(`(${scope.join(" or ")})`);
  if (!f.adminOnly) parts.push("not e.admin_only");
  return parts.join(" and ");
}

/** Events after `after` (from the start when null), in feed order. */
export async function readFeed(
  sql: Sql,
  f: FeedFilter,
  after: FeedPosition | null,
  limit: number,
): Promise<EventRow[]> {
  const params: unknown[] = [];
  let cond = where(f, params);
  if (after) {
    params.push(after.id);
    cond += ` and e.id > $${params.length}::bigint`;
  }
  params.push(limit);
  return sql.query<EventRow>(
    `select e.id::text, e.account_id, e.mailbox_id, e.type, e.data, e.created_at, mb.pii_mode
     from events e left join mailboxes mb on mb.id = e.mailbox_id
     where ${cond} order by e.id limit $${params.length}`,
    params,
  );
}

/** The position of the newest event a reader may see now: a stream that starts "now" starts here. */
export async function feedHead(sql: Sql, accountId: string): Promise<FeedPosition> {
  const [row] = await sql.query<FeedPosition>(
    "select e.id::text from events e where e.account_id = $1 order by e.id desc limit 1",
    [accountId],
  );
  return row ?? { id: "0" };
}

export interface NewEvent {
  accountId: string;
  mailboxId: string | null;
  type: EventType;
  data: Record<string, unknown>;
  /** About mail kept from agents (see domain/visibility.ts): only admin readers of the feed see it. */
  adminOnly?: boolean;
}

/** Appends to the event log inside the caller's transaction, so no event exists for a rolled-back change. */
export async function appendEvent(sql: Sql, e: NewEvent): Promise<void> {
  await appendEvents(sql, [e]);
}

/**
 * One statement: the events, a delivery row for every enabled webhook subscribed to each (so a webhook
 * delivery is as durable as the change itself), and the wake-ups for streams and the webhook worker.
 */
export async function appendEvents(sql: Sql, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  for (const e of events)
    if (!isEventType(e.type)) throw new Error(`event type ${e.type} is not in the catalogue`);
  // One writer of an account's events at a time, until commit: ids are then handed out in commit order, so a
  // reader's cursor (the last id it saw) can never skip an event that commits late. Accounts in a fixed order.
  await sql.query(
    "select pg_advisory_xact_lock(hashtextextended('postbox.events:' || a, 0)) from unnest($1::text[]) as a order by a",
    [[...new Set(events.map((e) => e.accountId))].sort()],
  );
  await sql.query(
    `with ev as (
       insert into events (account_id, mailbox_id, type, data, admin_only)
       select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $6::boolean[])
       returning id, account_id, type
     ), wh as (
       insert into webhook_deliveries (id, webhook_id, account_id, event_id, event_type)
       select gen_random_uuid(), w.id, ev.account_id, ev.id, ev.type
       from ev join webhooks w on w.account_id = ev.account_id and w.enabled and ev.type = any (w.enabled_events)
       returning 1
     ), counted as (select count(*)::int as n from wh)
     select pg_notify('${Channel.events}', $5),
            case when n > 0 then pg_notify('${Channel.webhooks}', '') end
     from counted`,
    [
      events.map((e) => e.accountId),
      events.map((e) => e.mailboxId),
      events.map((e) => e.type),
      events.map((e) => safeJson(e.data)),
      events[0]!.accountId,
      events.map((e) => e.adminOnly ?? false),
    ],
  );
}
