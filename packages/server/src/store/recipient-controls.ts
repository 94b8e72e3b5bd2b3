import type { Actor } from "../domain/principal.ts";
import { type QuotaUse, type QuotaWindow, windowStart } from "../domain/recipient-controls.ts";
import type { Sql } from "./db.ts";
import type { MailboxRow } from "./mailboxes.ts";

export interface SuppressionRow {
  account_id: string;
  email: string;
  reason: "hard_bounce" | "complaint" | "manual" | "unsubscribe";
  source: string | null;
  detail: string | null;
  expires_at: Date | null;
  added_by_actor_type: string | null;
  added_by_actor_id: string | null;
  created_at: Date;
}

/** Active suppressions among the given keys (addresses and @domains). */
export async function activeSuppressions(
  sql: Sql,
  accountId: string,
  keys: string[],
): Promise<SuppressionRow[]> {
  if (keys.length === 0) return [];
  return sql.query<SuppressionRow>(
    `select * from suppressions where account_id = $1 and email = any ($2::text[])
       and (expires_at is null or expires_at > now())`,
    [accountId, keys],
  );
}

export async function listSuppressions(
  sql: Sql,
  accountId: string,
  opts: { reason: string | null; limit: number; after: string | null },
): Promise<SuppressionRow[]> {
  return sql.query<SuppressionRow>(
    `select * from suppressions where account_id = $1 and ($2::text is null or reason = $2)
       and (expires_at is null or expires_at > now()) and ($3::text is null or email > $3)
     order by email limit $4`,
    [accountId, opts.reason, opts.after, opts.limit],
  );
}

/**
 * Adds or refreshes suppressions (a permanent entry stays permanent; who first added it is kept). Returns every
 * entry as it now stands, `inserted` when it was new.
 */
export async function addSuppressions(
  sql: Sql,
  accountId: string,
  entries: {
    email: string;
    reason: SuppressionRow["reason"];
    source: string | null;
    detail: string | null;
    expiresAt: Date | null;
  }[],
  actor: Actor,
): Promise<(SuppressionRow & { inserted: boolean })[]> {
  if (entries.length === 0) return [];
  return sql.query<SuppressionRow & { inserted: boolean }>(
    `insert into suppressions (account_id, email, reason, source, detail, expires_at, added_by_actor_type,
       added_by_actor_id)
     select $1, e, r, s, d, x, $7, $8 from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
       as t(e, r, s, d, x)
     on conflict (account_id, email) do update set reason = excluded.reason, source = excluded.source,
       detail = excluded.detail,
       -- A permanent entry stays permanent; otherwise the later expiry wins.
       expires_at = case when suppressions.expires_at is null or excluded.expires_at is null then null
                         else greatest(suppressions.expires_at, excluded.expires_at) end
     returning *, (xmax = 0) as inserted`,
    [
      accountId,
      entries.map((e) => e.email),
      entries.map((e) => e.reason),
      entries.map((e) => e.source),
      entries.map((e) => e.detail),
      entries.map((e) => e.expiresAt?.toISOString() ?? null),
      actor.type,
      actor.id,
    ],
  );
}

/** Removes a suppression; the removed row, or null when there was none. */
export async function removeSuppression(
  sql: Sql,
  accountId: string,
  email: string,
): Promise<SuppressionRow | null> {
  const [row] = await sql.query<SuppressionRow>(
    "delete from suppressions where account_id = $1 and email = $2 returning *",
    [accountId, email],
  );
  return row ?? null;
}

/** Locks the mailbox row until commit and reads its recipient policy (null when there is no such mailbox). */
export async function lockRecipientPolicy(sql: Sql, mailboxId: string): Promise<string | null> {
  const [row] = await sql.query<{ recipient_policy: string }>(
    "select recipient_policy from mailboxes where id = $1 for update",
    [mailboxId],
  );
  return row?.recipient_policy ?? null;
}

/** The mailbox's recipient policy as it stands (in a transaction holding the row's lock: as it stays). */
export async function recipientPolicyOf(sql: Sql, mailboxId: string): Promise<string | null> {
  const [row] = await sql.query<{ recipient_policy: string }>(
    "select recipient_policy from mailboxes where id = $1",
    [mailboxId],
  );
  return row?.recipient_policy ?? null;
}

export async function setRecipientPolicy(sql: Sql, mailboxId: string, mode: string): Promise<void> {
  await sql.query(
    `update mailboxes set recipient_policy = $2, updated_at = now(),
       policy_revision_id = case when recipient_policy = $2 then policy_revision_id else gen_random_uuid() end
     where id = $1`,
    [mailboxId, mode],
  );
}

/**
 * Records a refused attempt (always) and says whether it is the first for this recipient in the last minute
 * (only then is an event emitted).
 */
export async function recordBlockedAttempt(
  sql: Sql,
  a: { accountId: string; mailboxId: string; email: string; apiKeyId: string | null; origin: string },
): Promise<boolean> {
  const [recent] = await sql.query<{ n: number }>(
    `select count(*)::int as n from allowlist_blocked_attempts
     where mailbox_id = $1 and email = $2 and created_at > now() - interval '60 seconds'`,
    [a.mailboxId, a.email],
  );
  await sql.query(
    `insert into allowlist_blocked_attempts (account_id, mailbox_id, email, api_key_id, origin)
     values ($1, $2, $3, $4, $5)`,
    [a.accountId, a.mailboxId, a.email, a.apiKeyId, a.origin],
  );
  return (recent?.n ?? 0) === 0;
}

export interface BlockedAttemptRow {
  id: string;
  email: string;
  api_key_id: string | null;
  origin: string | null;
  created_at: Date;
}

export interface BlockedAttemptGroup {
  email: string;
  api_key_id: string | null;
  count: number;
  first_attempted_at: Date;
  last_attempted_at: Date;
}

/** Refused sends, newest first, `limit` of them before the attempt `beforeId`; within `withinDays` when given. */
export async function blockedAttempts(
  sql: Sql,
  mailboxId: string,
  opts: { withinDays: number | null; limit: number; beforeId: string | null },
): Promise<BlockedAttemptRow[]> {
  return sql.query<BlockedAttemptRow>(
    `select id::text, email, api_key_id::text, origin, created_at from allowlist_blocked_attempts
     where mailbox_id = $1 and ($2::int is null or created_at > now() - make_interval(days => $2))
       and ($4::bigint is null or id < $4::bigint)
     order by id desc limit $3`,
    [mailboxId, opts.withinDays, opts.limit, opts.beforeId],
  );
}

/** Refused sends grouped by recipient and key, the most frequent first (top `limit`). */
export async function blockedAttemptGroups(
  sql: Sql,
  mailboxId: string,
  opts: { withinDays: number | null; limit: number },
): Promise<BlockedAttemptGroup[]> {
  return sql.query<BlockedAttemptGroup>(
    `select email, api_key_id::text, count(*)::int as count, min(created_at) as first_attempted_at,
       max(created_at) as last_attempted_at
     from allowlist_blocked_attempts
     where mailbox_id = $1 and ($2::int is null or created_at > now() - make_interval(days => $2))
     group by email, api_key_id order by count(*) desc, max(created_at) desc, email limit $3`,
    [mailboxId, opts.withinDays, opts.limit],
  );
}

/** The account's own daily send cap, or null when it uses the configured default. */
export async function accountDailySendCap(sql: Sql, accountId: string): Promise<number | null> {
  const [row] = await sql.query<{ daily_send_cap: number | null }>(
    "select daily_send_cap from accounts where id = $1",
    [accountId],
  );
  return row?.daily_send_cap ?? null;
}

/** The account's live mailboxes by name, or only those in `mailboxIds` when given (an agent's). */
export async function quotaMailboxes(
  sql: Sql,
  accountId: string,
  mailboxIds: string[] | null,
): Promise<MailboxRow[]> {
  return sql.query<MailboxRow>(
    "select * from mailboxes where account_id = $1 and deleted_at is null and ($2::uuid[] is null or id = any ($2::uuid[])) order by name",
    [accountId, mailboxIds],
  );
}

/** Current usage of the given windows (no row = nothing sent in that window yet). */
export async function quotaUses(
  sql: Sql,
  windows: { scope: "mailbox" | "account"; key: string; w: QuotaWindow }[],
  now: Date,
): Promise<QuotaUse[]> {
  if (windows.length === 0) return [];
  const starts = windows.map((x) => windowStart(now, x.w.window_seconds));
  const rows = await sql.query<{ i: number; count: number }>(
    `select t.i::int, c.count from unnest($1::text[], $2::int[], $3::timestamptz[]) with ordinality as t(scope, seconds, start, i)
     join send_counters c on c.scope = t.scope and c.window_seconds = t.seconds and c.window_start = t.start`,
    [
      windows.map((x) => `${x.scope}:${x.key}`),
      windows.map((x) => x.w.window_seconds),
      starts.map((d) => d.toISOString()),
    ],
  );
  const used = new Map(rows.map((r) => [r.i - 1, r.count]));
  return windows.map((x, i) => ({
    scope: x.scope,
    ...x.w,
    used: used.get(i) ?? 0,
    window_start: starts[i]!,
  }));
}

/**
 * Counts a send of `recipients` recipients in each window and returns the counts including it. The upsert locks
 * each counter row until commit, so concurrent sends count in turn; a send that overflows a window rolls back with
 * its transaction.
 */
export async function countSend(
  sql: Sql,
  windows: { scope: "mailbox" | "account"; key: string; w: QuotaWindow }[],
  now: Date,
  recipients = 1,
): Promise<QuotaUse[]> {
  if (windows.length === 0) return [];
  const starts = windows.map((x) => windowStart(now, x.w.window_seconds));
  const rows = await sql.query<{ scope: string; window_seconds: number; count: number }>(
    `insert into send_counters (scope, window_seconds, window_start, count)
     select scope, seconds, start, $4::int from unnest($1::text[], $2::int[], $3::timestamptz[]) as t(scope, seconds, start)
     on conflict (scope, window_seconds, window_start) do update set count = send_counters.count + excluded.count
     returning scope, window_seconds, count`,
    [
      windows.map((x) => `${x.scope}:${x.key}`),
      windows.map((x) => x.w.window_seconds),
      starts.map((d) => d.toISOString()),
      recipients,
    ],
  );
  const count = new Map(rows.map((r) => [`${r.scope}|${r.window_seconds}`, r.count]));
  return windows.map((x, i) => ({
    scope: x.scope,
    ...x.w,
    used: count.get(`${x.scope}:${x.key}|${x.w.window_seconds}`) ?? 1,
    window_start: starts[i]!,
  }));
}

/** The account's sends per UTC day since `since` (days without sends are absent), from its daily counters. */
export async function dailySendHistory(
  sql: Sql,
  accountId: string,
  since: Date,
): Promise<{ day: string; count: number }[]> {
  const rows = await sql.query<{ start: Date; count: number }>(
    `select window_start as start, count from send_counters
     where scope = $1 and window_seconds = 86400 and window_start >= $2 order by window_start`,
    [`account:${accountId}`, since.toISOString()],
  );
  return rows.map((r) => ({ day: new Date(r.start).toISOString().slice(0, 10), count: r.count }));
}
