import { safeJson } from "../domain/safe-text.ts";
import type { Sql } from "./db.ts";

export type SignatureScheme = "postbox" | "agentpack";

export interface WebhookRow {
  id: string;
  account_id: string;
  url: string;
  description: string | null;
  enabled_events: string[];
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  /** Which signature headers deliveries carry (migration 0022). */
  signature_scheme: SignatureScheme;
  consecutive_abandoned: number;
  disabled_at: Date | null;
  disabled_reason: string | null;
  /** The webhook's health as its deliveries left it (migration 0024). */
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  account_id: string;
  event_id: string | null;
  event_type: string;
  payload: Record<string, unknown> | null;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

export async function insertWebhook(
  sql: Sql,
  w: {
    id: string;
    accountId: string;
    url: string;
    description: string | null;
    events: string[];
    enabled: boolean;
    secret: string;
    signatureScheme?: SignatureScheme;
  },
): Promise<WebhookRow> {
  const [row] = await sql.query<WebhookRow>(
    `insert into webhooks (id, account_id, url, description, enabled_events, enabled, secret, signature_scheme)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
    [w.id, w.accountId, w.url, w.description, w.events, w.enabled, w.secret, w.signatureScheme ?? "postbox"],
  );
  return row!;
}

/**
 * Inserts a webhook unless the account already has `max` (enabled or not); null when it has. The account row is
 * locked first so concurrent creates count in turn and cannot overshoot.
 */
export async function insertWebhookWithinLimit(
  sql: Sql,
  w: Parameters<typeof insertWebhook>[1],
  max: number,
): Promise<WebhookRow | null> {
  await sql.query("select id from accounts where id = $1 for update", [w.accountId]);
  const [row] = await sql.query<{ n: number }>(
    "select count(*)::int as n from webhooks where account_id = $1",
    [w.accountId],
  );
  if ((row?.n ?? 0) >= max) return null;
  return insertWebhook(sql, w);
}

export async function listWebhooks(sql: Sql, accountId: string): Promise<WebhookRow[]> {
  return sql.query<WebhookRow>("select * from webhooks where account_id = $1 order by created_at, id", [
    accountId,
  ]);
}

export async function getWebhook(sql: Sql, accountId: string, id: string): Promise<WebhookRow | null> {
  const [row] = await sql.query<WebhookRow>("select * from webhooks where account_id = $1 and id = $2", [
    accountId,
    id,
  ]);
  return row ?? null;
}

export async function updateWebhook(
  sql: Sql,
  accountId: string,
  id: string,
  p: { url?: string; description?: string | null; events?: string[]; enabled?: boolean },
): Promise<WebhookRow | null> {
  const [row] = await sql.query<WebhookRow>(
    `update webhooks set url = coalesce($3, url),
       description = case when $4::boolean then $5 else description end,
       enabled_events = coalesce($6, enabled_events),
       enabled = coalesce($7, enabled),
       -- Turning a webhook back on clears its disablement and its failure streak.
       disabled_at = case when $7 then null else disabled_at end,
       disabled_reason = case when $7 then null else disabled_reason end,
       consecutive_abandoned = case when $7 then 0 else consecutive_abandoned end,
       updated_at = now()
     where account_id = $1 and id = $2 returning *`,
    [
      accountId,
      id,
      p.url ?? null,
      p.description !== undefined,
      p.description ?? null,
      p.events ?? null,
      p.enabled ?? null,
    ],
  );
  return row ?? null;
}

export async function deleteWebhook(sql: Sql, accountId: string, id: string): Promise<boolean> {
  const rows = await sql.query("delete from webhooks where account_id = $1 and id = $2 returning id", [
    accountId,
    id,
  ]);
  return rows.length > 0;
}

export async function rotateSecret(
  sql: Sql,
  accountId: string,
  id: string,
  secret: string,
  graceSeconds: number,
): Promise<WebhookRow | null> {
  const [row] = await sql.query<WebhookRow>(
    `update webhooks set previous_secret = case when $4 > 0 then secret end,
       previous_secret_until = case when $4 > 0 then now() + make_interval(secs => $4) end,
       secret = $3, updated_at = now()
     where account_id = $1 and id = $2 returning *`,
    [accountId, id, secret, graceSeconds],
  );
  return row ?? null;
}

export async function insertTestDelivery(
  sql: Sql,
  d: {
    id: string;
    webhookId: string;
    accountId: string;
    eventType: string;
    payload: Record<string, unknown>;
  },
): Promise<DeliveryRow> {
  const [row] = await sql.query<DeliveryRow>(
    `insert into webhook_deliveries (id, webhook_id, account_id, event_type, payload)
     values ($1, $2, $3, $4, $5::jsonb) returning *`,
    [d.id, d.webhookId, d.accountId, d.eventType, safeJson(d.payload)],
  );
  return row!;
}

/** Newest first; `before` is the (created_at, id) of the last row of the previous page. */
export async function listDeliveries(
  sql: Sql,
  webhookId: string,
  limit: number,
  before: { at: string; id: string } | null,
): Promise<DeliveryRow[]> {
  return sql.query<DeliveryRow>(
    `select * from webhook_deliveries where webhook_id = $1
       and ($2::timestamptz is null or (created_at, id) < ($2::timestamptz, $3::uuid))
     order by created_at desc, id desc limit $4`,
    [webhookId, before?.at ?? null, before?.id ?? null, limit],
  );
}

export async function getDelivery(sql: Sql, webhookId: string, id: string): Promise<DeliveryRow | null> {
  const [row] = await sql.query<DeliveryRow>(
    "select * from webhook_deliveries where webhook_id = $1 and id = $2",
    [webhookId, id],
  );
  return row ?? null;
}

/** A failed delivery goes back to the queue with a fresh retry schedule. */
export async function requeueDelivery(sql: Sql, id: string): Promise<DeliveryRow | null> {
  const [row] = await sql.query<DeliveryRow>(
    `update webhook_deliveries set state = 'pending', attempts = 0, next_attempt_at = now(), locked_until = null,
       updated_at = now()
     where id = $1 and state = 'failed' returning *`,
    [id],
  );
  return row ?? null;
}

/** A claimed delivery with what sending it needs: the webhook, and the event with its mailbox's pii_mode. */
export interface ClaimedWebhookDelivery extends DeliveryRow {
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  signature_scheme: SignatureScheme;
  event_created_at: Date | null;
  event_mailbox_id: string | null;
  event_data: Record<string, unknown> | null;
  pii_mode: "passthrough" | "redacted" | null;
}

const CLAIMED_COLUMNS = `d.*, w.url, w.secret, w.previous_secret, w.previous_secret_until, w.signature_scheme,
  e.created_at as event_created_at, e.mailbox_id as event_mailbox_id, e.data as event_data, mb.pii_mode`;
const CLAIMED_JOINS = `join webhooks w on w.id = d.webhook_id
  left join events e on e.id = d.event_id
  left join mailboxes mb on mb.id = e.mailbox_id`;

/**
 * Leases due deliveries of enabled webhooks, fairly across accounts; each claim counts as an attempt. Each
 * account's due deliveries are ranked oldest first and the claim takes rank 1 of every account, then rank 2…, so
 * one account's backlog cannot push another's delivery back. An account gets at most `perAccount` minus what it
 * already has in flight (`busy`). The update re-checks the lease, so two claimers never take the same row.
 */
export async function claimWebhookDeliveries(
  sql: Sql,
  opts: { limit: number; leaseSeconds: number; perAccount: number; busy: ReadonlyMap<string, number> },
): Promise<ClaimedWebhookDelivery[]> {
  return sql.query<ClaimedWebhookDelivery>(
    `with due as (
       select d.id, d.account_id, d.next_attempt_at,
         row_number() over (partition by d.account_id order by d.next_attempt_at, d.id) as rank
       from webhook_deliveries d join webhooks w on w.id = d.webhook_id
       where d.state = 'pending' and d.next_attempt_at <= now() and (d.locked_until is null or d.locked_until < now())
         and w.enabled),
     picked as (
       select due.id from due left join unnest($3::uuid[], $4::int[]) as busy(account_id, n) using (account_id)
       where due.rank <= $5 - coalesce(busy.n, 0)
       order by due.rank, due.next_attempt_at, due.id limit $1),
     claimed as (
       update webhook_deliveries d set locked_until = now() + make_interval(secs => $2), attempts = attempts + 1,
         last_attempt_at = now(), updated_at = now()
       from picked where d.id = picked.id and d.state = 'pending' and (d.locked_until is null or d.locked_until < now())
       returning d.*)
     select ${CLAIMED_COLUMNS} from claimed d ${CLAIMED_JOINS}`,
    [opts.limit, opts.leaseSeconds, [...opts.busy.keys()], [...opts.busy.values()], opts.perAccount],
  );
}

/** Leases one pending delivery now, whatever is due (the test endpoint). */
export async function claimWebhookDelivery(
  sql: Sql,
  id: string,
  leaseSeconds: number,
): Promise<ClaimedWebhookDelivery | null> {
  const [row] = await sql.query<ClaimedWebhookDelivery>(
    `with claimed as (
       update webhook_deliveries d set locked_until = now() + make_interval(secs => $2), attempts = attempts + 1,
         last_attempt_at = now(), updated_at = now()
       from webhooks w
       where d.id = $1 and w.id = d.webhook_id and w.enabled and d.state = 'pending'
         and (d.locked_until is null or d.locked_until < now())
       returning d.*)
     select ${CLAIMED_COLUMNS} from claimed d ${CLAIMED_JOINS}`,
    [id, leaseSeconds],
  );
  return row ?? null;
}

/**
 * Records an attempt's outcome, if our lease still holds (the attempt number is the lease token), and the webhook's
 * health: its last success, or its last failure and why (`webhookError`). Returns the webhook's streak of
 * abandoned deliveries after it, or null when the lease was lost.
 */
export async function finishWebhookDelivery(
  sql: Sql,
  d: { id: string; attempts: number; webhookId: string },
  outcome: {
    state: "pending" | "delivered" | "failed";
    status: number | null;
    error: string | null;
    retryAt: Date | null;
    /** The failure as the webhook shows it (last_error); null after a success. */
    webhookError: string | null;
  },
): Promise<{ streak: number } | null> {
  const rows = await sql.query(
    `update webhook_deliveries set state = $3, last_status = $4, last_error = $5,
       next_attempt_at = coalesce($6, next_attempt_at), locked_until = null,
       delivered_at = case when $3 = 'delivered' then now() else delivered_at end, updated_at = now()
     where id = $1 and attempts = $2 and state = 'pending' returning id`,
    [d.id, d.attempts, outcome.state, outcome.status, outcome.error, outcome.retryAt],
  );
  if (rows.length === 0) return null;
  const [w] = await sql.query<{ consecutive_abandoned: number }>(
    `update webhooks set
       consecutive_abandoned = case when $2 = 'delivered' then 0 when $2 = 'failed' then consecutive_abandoned + 1
                                    else consecutive_abandoned end,
       last_success_at = case when $2 = 'delivered' then now() else last_success_at end,
       last_failure_at = case when $2 = 'delivered' then last_failure_at else now() end,
       last_error = case when $2 = 'delivered' then last_error else $3 end
     where id = $1 returning consecutive_abandoned`,
    [d.webhookId, outcome.state, outcome.webhookError],
  );
  if (outcome.state === "pending") return { streak: -1 };
  return { streak: w?.consecutive_abandoned ?? 0 };
}

/** Disables a webhook (once); true when this call did it. */
export async function disableWebhook(sql: Sql, id: string, reason: string): Promise<WebhookRow | null> {
  const [row] = await sql.query<WebhookRow>(
    `update webhooks set enabled = false, disabled_at = now(), disabled_reason = $2, updated_at = now()
     where id = $1 and disabled_at is null returning *`,
    [id, reason],
  );
  return row ?? null;
}

/**
 * Seconds until a pending delivery next becomes due or its lease runs out, ignoring those due already (a busy
 * dispatcher takes those when a slot frees up); null when there is none.
 */
export async function secondsUntilNextWebhookChange(sql: Sql): Promise<number | null> {
  const [row] = await sql.query<{ s: number | null }>(
    `select extract(epoch from min(at) - now())::float8 as s from (
       select greatest(d.next_attempt_at, coalesce(d.locked_until, d.next_attempt_at)) as at
       from webhook_deliveries d join webhooks w on w.id = d.webhook_id where d.state = 'pending' and w.enabled) x
     where at > now()`,
  );
  return row?.s ?? null;
}

export async function secondsUntilNextWebhookDue(sql: Sql): Promise<number | null> {
  const [row] = await sql.query<{ s: number | null }>(
    `select extract(epoch from min(greatest(d.next_attempt_at, coalesce(d.locked_until, d.next_attempt_at))) - now())::float8 as s
     from webhook_deliveries d join webhooks w on w.id = d.webhook_id where d.state = 'pending' and w.enabled`,
  );
  return row?.s ?? null;
}
