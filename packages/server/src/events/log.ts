import { type EventType, isEventType } from "../domain/event-catalog.ts";
import { safeJson } from "../domain/safe-text.ts";
import type { Sql } from "../store/db.ts";

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
  /** Events were committed; payload: account id (wakes event streams). */
  events: "postbox_events",
  /** Webhook deliveries were queued; payload: empty. */
  webhooks: "postbox_webhooks",
  /** Inbound rules were queued for new mail; payload: empty. */
  rules: "postbox_rules",
  /** An API key was revoked or its mailboxes changed; payload: the key's id (every API process drops it). */
  keys: "postbox_keys",
} as const;

export async function notify(sql: Sql, channel: string, payload = ""): Promise<void> {
  await sql.query("select pg_notify($1, $2)", [channel, payload]);
}
