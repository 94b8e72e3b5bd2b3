import { Channel } from "./channels.ts";
import type { Sql } from "./db.ts";
import { deleteMessages } from "./retention.ts";

/** Whether the account is deleted (its data may still be being purged). */
export async function accountDeleted(sql: Sql, accountId: string): Promise<boolean> {
  const [row] = await sql.query<{ deleted: boolean }>(
    "select deleted_at is not null as deleted from accounts where id = $1",
    [accountId],
  );
  return row?.deleted ?? true;
}

/** Stamps the account deleted; false when it was already (a concurrent deletion won). Takes the row lock. */
export async function markAccountDeleted(
  sql: Sql,
  accountId: string,
  by: { at: Date; keyId: string },
): Promise<boolean> {
  const rows = await sql.query(
    `update accounts set deleted_at = $2, deleted_by_key_id = $3, default_domain_id = null
     where id = $1 and deleted_at is null returning id`,
    [accountId, by.at, by.keyId],
  );
  return rows.length > 0;
}

/**
 * Revokes every key of the account and, in the same statement, tells every API process to drop them from its
 * cache (delivered at commit); the account's dashboard sessions end with them. Returns how many were live.
 */
export async function revokeAccountKeys(sql: Sql, accountId: string): Promise<number> {
  const rows = await sql.query(
    `with r as (
       update api_keys set revoked_at = now() where account_id = $1 and revoked_at is null returning id
     )
     select pg_notify('${Channel.keys}', r.id::text) from r`,
    [accountId],
  );
  await sql.query("delete from dashboard_sessions where account_id = $1", [accountId]);
  return rows.length;
}

/** Deletes the account's domains, so another account may add them; returns their names. */
export async function releaseAccountDomains(sql: Sql, accountId: string): Promise<string[]> {
  const rows = await sql.query<{ name: string }>("delete from domains where account_id = $1 returning name", [
    accountId,
  ]);
  return rows.map((r) => r.name).sort();
}

/** Deletes the account's webhooks and their pending deliveries; returns how many webhooks went. */
export async function deleteAccountWebhooks(sql: Sql, accountId: string): Promise<number> {
  await sql.query("delete from webhook_deliveries where account_id = $1", [accountId]);
  const rows = await sql.query("delete from webhooks where account_id = $1 returning id", [accountId]);
  return rows.length;
}

export async function deleteAccountVerifiedRecipients(sql: Sql, accountId: string): Promise<number> {
  const rows = await sql.query("delete from verified_recipients where account_id = $1 returning id", [
    accountId,
  ]);
  return rows.length;
}

/** Deleted accounts whose data is still to be purged, oldest deletion first. */
export async function accountsToPurge(sql: Sql): Promise<{ id: string; name: string }[]> {
  return sql.query(
    "select id, name from accounts where deleted_at is not null and purged_at is null order by deleted_at, id",
  );
}

/**
 * Deletes up to `limit` messages of a deleted account with everything stored for them (store/retention.ts
 * deleteMessages); rows another transaction holds are left for the next batch. Returns how many went.
 */
export async function purgeAccountMessages(sql: Sql, accountId: string, limit: number): Promise<number> {
  const rows = await sql.query<{ id: string; thread_id: string | null }>(
    "select id, thread_id from messages where account_id = $1 order by created_at, id limit $2 for update skip locked",
    [accountId, limit],
  );
  return deleteMessages(sql, rows);
}

/**
 * With its messages gone, deletes the rest of a deleted account's data, children before parents. Stays: the
 * account row (the tombstone), its mailbox names (an address once used is never handed to another tenant), its
 * legal holds (the record of what was preserved), and the rows of the mailboxes those holds name. Returns false
 * when a message was written meanwhile (a late inbound or a send in flight): the next pass starts over.
 */
export async function purgeAccountRest(sql: Sql, accountId: string): Promise<boolean> {
  const [left] = await sql.query<{ n: number }>(
    "select count(*)::int as n from messages where account_id = $1",
    [accountId],
  );
  if (left!.n > 0) return false;
  const mailboxes = `(select id from mailboxes where account_id = $1)`;
  const statements = [
    "delete from webhook_deliveries where account_id = $1",
    "delete from webhooks where account_id = $1",
    "delete from events where account_id = $1",
    "delete from idempotency_keys where account_id = $1",
    "delete from token_usage where account_id = $1",
    "delete from drafts where account_id = $1",
    "delete from threads where account_id = $1",
    "update bounce_reports set message_id = null, delivery_id = null where account_id = $1",
    "delete from bounce_reports where account_id = $1",
    "delete from policy_audit where account_id = $1",
    `delete from audit_chains where mailbox_id in ${mailboxes}`,
    "delete from mailbox_policies where account_id = $1",
    `delete from policy_rate_counters where mailbox_id in ${mailboxes}`,
    "delete from allowlist_blocked_attempts where account_id = $1",
    "delete from inbound_blocked_attempts where account_id = $1",
    `delete from mailbox_allowlist where mailbox_id in ${mailboxes}`,
    `delete from mailbox_sender_allowlist where mailbox_id in ${mailboxes}`,
    `delete from mailbox_rules where mailbox_id in ${mailboxes}`,
    `delete from auto_reply_log where mailbox_id in ${mailboxes}`,
    `delete from rule_send_log where mailbox_id in ${mailboxes}`,
    "delete from mailbox_aliases where account_id = $1",
    "delete from inbound_blocklist where account_id = $1",
    "delete from suppressions where account_id = $1",
    "delete from verified_recipients where account_id = $1",
    "delete from domains where account_id = $1",
    `delete from mailboxes where account_id = $1
       and id not in (select mailbox_id from legal_holds where account_id = $1 and mailbox_id is not null)`,
    "delete from dashboard_sessions where account_id = $1",
    "delete from api_keys where account_id = $1",
    "update accounts set purged_at = now(), pii_key = null, subaddress_key = null where id = $1",
  ];
  // Before the mailbox rows go: the counters are keyed by text, "account:<id>" and "mailbox:<id>".
  await sql.query(
    "delete from send_counters where scope = $2 or scope in (select 'mailbox:' || id from mailboxes where account_id = $1)",
    [accountId, `account:${accountId}`],
  );
  for (const s of statements) await sql.query(s, [accountId]);
  return true;
}
