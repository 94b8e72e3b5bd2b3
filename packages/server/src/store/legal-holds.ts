import type { Sql } from "./db.ts";

export type HoldScope = "account" | "mailbox";

export interface LegalHoldRow {
  id: string;
  account_id: string;
  scope: HoldScope;
  mailbox_id: string | null;
  reason: string;
  case_reference: string | null;
  applied_at: Date;
  applied_by_type: string;
  applied_by_id: string | null;
  released_at: Date | null;
  released_by_type: string | null;
  released_by_id: string | null;
  release_reason: string | null;
}

/**
 * Serialises holds against deletions of one account: applying or releasing a hold takes the lock exclusively,
 * every deletion shares it until its commit, so a deletion never misses a hold committed while it ran.
 */
export async function lockHolds(sql: Sql, accountId: string, mode: "apply" | "delete"): Promise<void> {
  const fn = mode === "apply" ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared";
  await sql.query(`select ${fn}(hashtextextended('postbox.legal_holds:' || $1, 0))`, [accountId]);
}

export async function insertLegalHold(
  sql: Sql,
  h: Omit<LegalHoldRow, "released_at" | "released_by_type" | "released_by_id" | "release_reason">,
): Promise<LegalHoldRow> {
  const [row] = await sql.query<LegalHoldRow>(
    `insert into legal_holds (id, account_id, scope, mailbox_id, reason, case_reference, applied_at, applied_by_type,
       applied_by_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning *`,
    [
      h.id,
      h.account_id,
      h.scope,
      h.mailbox_id,
      h.reason,
      h.case_reference,
      h.applied_at,
      h.applied_by_type,
      h.applied_by_id,
    ],
  );
  return row!;
}

/** The account's holds, newest first (after `before`, exclusive): active ones only unless asked. */
export async function listLegalHolds(
  sql: Sql,
  accountId: string,
  f: { includeReleased: boolean; limit: number; before?: { appliedAt: string; id: string } },
): Promise<LegalHoldRow[]> {
  return sql.query<LegalHoldRow>(
    `select * from legal_holds where account_id = $1 and ($2 or released_at is null)
       and ($4::timestamptz is null or (applied_at, id) < ($4::timestamptz, $5::uuid))
     order by applied_at desc, id desc limit $3`,
    [accountId, f.includeReleased, f.limit, f.before?.appliedAt ?? null, f.before?.id ?? null],
  );
}

export async function getLegalHold(sql: Sql, accountId: string, id: string): Promise<LegalHoldRow | null> {
  const [row] = await sql.query<LegalHoldRow>("select * from legal_holds where account_id = $1 and id = $2", [
    accountId,
    id,
  ]);
  return row ?? null;
}

/** Releases an active hold; null when it was released already. */
export async function markHoldReleased(
  sql: Sql,
  accountId: string,
  id: string,
  r: { at: Date; byType: string; byId: string | null; reason: string },
): Promise<LegalHoldRow | null> {
  const [row] = await sql.query<LegalHoldRow>(
    `update legal_holds set released_at = $3, released_by_type = $4, released_by_id = $5, release_reason = $6
     where account_id = $1 and id = $2 and released_at is null returning *`,
    [accountId, id, r.at, r.byType, r.byId, r.reason],
  );
  return row ?? null;
}

/**
 * The active holds that preserve a mailbox (its own and its account's); with no mailbox, every active hold of the
 * account (what an account deletion must respect).
 */
export async function activeHolds(
  sql: Sql,
  accountId: string,
  mailboxId: string | null,
): Promise<LegalHoldRow[]> {
  return sql.query<LegalHoldRow>(
    `select * from legal_holds where account_id = $1 and released_at is null
       and ($2::uuid is null or scope = 'account' or mailbox_id = $2)
     order by applied_at, id`,
    [accountId, mailboxId],
  );
}
