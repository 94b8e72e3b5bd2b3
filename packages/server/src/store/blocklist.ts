import type { Sql } from "./db.ts";

export interface BlocklistRow {
  account_id: string;
  address: string;
  reason: string | null;
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

export async function addToBlocklist(sql: Sql, accountId: string, address: string, reason: string | null) {
  const [row] = await sql.query<BlocklistRow>(
    `insert into inbound_blocklist (account_id, address, reason) values ($1, $2, $3)
     on conflict (account_id, address) do update set reason = coalesce(excluded.reason, inbound_blocklist.reason)
     returning *`,
    [accountId, address.toLowerCase(), reason],
  );
  return row!;
}

export async function listBlocklist(sql: Sql, accountId: string): Promise<BlocklistRow[]> {
  return sql.query<BlocklistRow>(
    "select * from inbound_blocklist where account_id = $1 order by created_at desc, address",
    [accountId],
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
