import type { FirewallBlock } from "../domain/inbound-firewall.ts";
import type { Actor } from "../domain/principal.ts";
import type { Sql } from "./db.ts";

export interface BlocklistRow {
  account_id: string;
  address: string;
  reason: string | null;
  /** 'customer' (added through the API) or 'report' (a moderator reported a message from it). */
  source: string;
  added_by_actor_type: string | null;
  added_by_actor_id: string | null;
  created_at: Date;
}

/**
 * Which of the given keys the account has blocked: pass addresses and their @domains (lookupKeys) to match
 * domain entries too. Compared lower-cased.
 */
export async function blockedSenders(sql: Sql, accountId: string, addresses: string[]): Promise<Set<string>> {
  if (addresses.length === 0) return new Set();
  const rows = await sql.query<{ address: string }>(
    "select address from inbound_blocklist where account_id = $1 and address = any($2::text[])",
    [accountId, addresses.map((a) => a.toLowerCase())],
  );
  return new Set(rows.map((r) => r.address));
}

/**
 * Adds entries, or gives an existing one the reason now given (who added it and when are kept). Returns every
 * entry as it now stands, `inserted` when it was new.
 */
export async function addToBlocklist(
  sql: Sql,
  accountId: string,
  addresses: string[],
  e: { reason: string | null; source: string; actor: Actor },
): Promise<(BlocklistRow & { inserted: boolean })[]> {
  if (addresses.length === 0) return [];
  return sql.query<BlocklistRow & { inserted: boolean }>(
    `insert into inbound_blocklist (account_id, address, reason, source, added_by_actor_type, added_by_actor_id)
     select $1, lower(a), $3, $4, $5, $6 from unnest($2::text[]) as a
     on conflict (account_id, address) do update set reason = coalesce(excluded.reason, inbound_blocklist.reason)
     returning *, (xmax = 0) as inserted`,
    [accountId, addresses, e.reason, e.source, e.actor.type, e.actor.id],
  );
}

/** A page of the blocklist by address: `limit` entries after `after` (exclusive). */
export async function listBlocklist(
  sql: Sql,
  accountId: string,
  opts: { limit: number; after: string | null } = { limit: 100_000, after: null },
): Promise<BlocklistRow[]> {
  return sql.query<BlocklistRow>(
    `select * from inbound_blocklist where account_id = $1 and ($2::text is null or address > $2)
     order by address limit $3`,
    [accountId, opts.after, opts.limit],
  );
}

/** Removes an entry; the removed row, or null when there was none. */
export async function removeFromBlocklist(
  sql: Sql,
  accountId: string,
  address: string,
): Promise<BlocklistRow | null> {
  const [row] = await sql.query<BlocklistRow>(
    "delete from inbound_blocklist where account_id = $1 and address = $2 returning *",
    [accountId, address.toLowerCase()],
  );
  return row ?? null;
}

// Inbound blocked attempts: every message the firewall stopped, per mailbox (append-only).

export interface InboundBlockedAttemptRow extends FirewallBlock {
  id: string;
  message_id: string | null;
  created_at: Date;
}

export interface InboundBlockedAttemptGroup {
  sender: string | null;
  matched_field: string | null;
  matched_list: string | null;
  mode: string;
  reason_code: string;
  count: number;
  first_attempted_at: Date;
  last_attempted_at: Date;
}

export async function recordInboundBlocks(
  sql: Sql,
  accountId: string,
  mailboxId: string,
  blocks: { messageId: string; block: FirewallBlock }[],
): Promise<void> {
  if (blocks.length === 0) return;
  const col = <K extends keyof FirewallBlock>(k: K) => blocks.map((b) => b.block[k]);
  await sql.query(
    `insert into inbound_blocked_attempts (account_id, mailbox_id, message_id, envelope_sender, from_address,
       matched_field, matched_pattern, matched_list, reason_code, mode)
     select $1, $2, * from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::text[], $10::text[])`,
    [
      accountId,
      mailboxId,
      blocks.map((b) => b.messageId),
      col("envelope_sender"),
      col("from_address"),
      col("matched_field"),
      col("matched_pattern"),
      col("matched_list"),
      col("reason_code"),
      col("mode"),
    ],
  );
}

/** Stopped messages, newest first, `limit` of them before the attempt `beforeId`; within `withinDays` if given. */
export async function inboundBlockedAttempts(
  sql: Sql,
  mailboxId: string,
  opts: { withinDays: number | null; limit: number; beforeId: string | null },
): Promise<InboundBlockedAttemptRow[]> {
  return sql.query<InboundBlockedAttemptRow>(
    `select id::text, message_id::text, envelope_sender, from_address, matched_field, matched_pattern, matched_list,
       reason_code, mode, created_at
     from inbound_blocked_attempts
     where mailbox_id = $1 and ($2::int is null or created_at > now() - make_interval(days => $2))
       and ($4::bigint is null or id < $4::bigint)
     order by id desc limit $3`,
    [mailboxId, opts.withinDays, opts.limit, opts.beforeId],
  );
}

/** Stopped messages grouped by sender and rule, the most frequent first (top `limit`). */
export async function inboundBlockedAttemptGroups(
  sql: Sql,
  mailboxId: string,
  opts: { withinDays: number | null; limit: number },
): Promise<InboundBlockedAttemptGroup[]> {
  return sql.query<InboundBlockedAttemptGroup>(
    `select coalesce(from_address, envelope_sender) as sender, matched_field, matched_list, mode, reason_code,
       count(*)::int as count, min(created_at) as first_attempted_at, max(created_at) as last_attempted_at
     from inbound_blocked_attempts
     where mailbox_id = $1 and ($2::int is null or created_at > now() - make_interval(days => $2))
     group by 1, matched_field, matched_list, mode, reason_code
     order by count(*) desc, max(created_at) desc limit $3`,
    [mailboxId, opts.withinDays, opts.limit],
  );
}
