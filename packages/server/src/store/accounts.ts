import { randomBytes, randomUUID } from "node:crypto";
import { generateApiKey } from "../domain/api-key.ts";
import type { PolicyMode } from "../domain/mailbox-policy.ts";
import type { KeyRole } from "../domain/principal.ts";
import { Channel } from "./channels.ts";
import type { Sql } from "./db.ts";

export interface ApiKeyRow {
  id: string;
  account_id: string;
  key_id: string;
  secret_hash: string;
  role: KeyRole;
  mailbox_ids: string[];
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface AccountRow {
  id: string;
  name: string;
  is_default: boolean;
  /** The account's own daily send cap in recipients; null: the operator's default. */
  daily_send_cap: number | null;
  /** The policy mode new mailboxes start in; null: none (a new mailbox sends to anyone, unreviewed). */
  default_policy_mode: PolicyMode | null;
  /** Every mailbox of the account sends to confirmed recipients only. */
  sandbox: boolean;
  /** Days settled mail is kept in mailboxes that set none; null: the operator's POSTBOX_RETENTION_DAYS. */
  retention_days: number | null;
  created_at: Date;
  /** Set when the account was deleted; its data is purged in the background (purged_at). */
  deleted_at: Date | null;
  purged_at: Date | null;
}

export async function createAccount(sql: Sql, name: string, isDefault = false): Promise<AccountRow> {
  const [row] = await sql.query<AccountRow>(
    "insert into accounts (id, name, is_default) values ($1, $2, $3) returning *",
    [randomUUID(), name, isDefault],
  );
  return row!;
}

export async function getAccount(sql: Sql, id: string): Promise<AccountRow | null> {
  const [row] = await sql.query<AccountRow>("select * from accounts where id = $1", [id]);
  return row ?? null;
}

export async function listAccounts(sql: Sql): Promise<AccountRow[]> {
  return sql.query<AccountRow>("select * from accounts where deleted_at is null order by created_at, id");
}

/** Locks the account row until commit: serialises changes that must see each other (its keys, say). */
export async function lockAccount(sql: Sql, id: string): Promise<void> {
  await sql.query("select id from accounts where id = $1 for update", [id]);
}

export async function defaultAccount(sql: Sql): Promise<AccountRow | null> {
  const [row] = await sql.query<AccountRow>("select * from accounts where is_default");
  return row ?? null;
}

/** Sets the account's policy: its daily send cap and the mode new mailboxes start in (absent fields stay). */
export async function updateAccountPolicy(
  sql: Sql,
  id: string,
  patch: {
    dailySendCap?: number | null;
    defaultPolicyMode?: PolicyMode | null;
    sandbox?: boolean;
    retentionDays?: number | null;
  },
): Promise<AccountRow> {
  const [row] = await sql.query<AccountRow>(
    `update accounts set daily_send_cap = case when $2 then $3::int else daily_send_cap end,
       default_policy_mode = case when $4 then $5::text else default_policy_mode end,
       sandbox = coalesce($6::boolean, sandbox),
       retention_days = case when $7 then $8::int else retention_days end
     where id = $1 returning *`,
    [
      id,
      patch.dailySendCap !== undefined,
      patch.dailySendCap ?? null,
      patch.defaultPolicyMode !== undefined,
      patch.defaultPolicyMode ?? null,
      patch.sandbox ?? null,
      patch.retentionDays !== undefined,
      patch.retentionDays ?? null,
    ],
  );
  return row!;
}

/** The account's own daily send cap, or null when it sets none (or there is no such account). */
export async function accountDailySendCap(sql: Sql, accountId: string): Promise<number | null> {
  const [row] = await sql.query<{ daily_send_cap: number | null }>(
    "select daily_send_cap from accounts where id = $1",
    [accountId],
  );
  return row?.daily_send_cap ?? null;
}

export async function insertApiKey(
  sql: Sql,
  input: {
    accountId: string;
    role: KeyRole;
    mailboxIds: string[];
    name: string | null;
    keyId: string;
    secretHash: string;
  },
): Promise<ApiKeyRow> {
  const [row] = await sql.query<ApiKeyRow>(
    `insert into api_keys (id, account_id, key_id, secret_hash, role, mailbox_ids, name)
     values ($1, $2, $3, $4, $5, $6::uuid[], $7) returning *`,
    [randomUUID(), input.accountId, input.keyId, input.secretHash, input.role, input.mailboxIds, input.name],
  );
  return row!;
}

/** Creates a key and returns the row together with the full key, which is never stored. */
export async function createApiKey(
  sql: Sql,
  input: { accountId: string; role: KeyRole; mailboxIds?: string[]; name?: string | null },
): Promise<{ row: ApiKeyRow; key: string }> {
  const { key, keyId, secretHash } = generateApiKey();
  const row = await insertApiKey(sql, {
    accountId: input.accountId,
    role: input.role,
    mailboxIds: input.mailboxIds ?? [],
    name: input.name ?? null,
    keyId,
    secretHash,
  });
  return { row, key };
}

export async function findKeyByKeyId(sql: Sql, keyId: string): Promise<ApiKeyRow | null> {
  const [row] = await sql.query<ApiKeyRow>("select * from api_keys where key_id = $1", [keyId]);
  return row ?? null;
}

/** A key's row, by its id within an account. */
export async function getApiKey(sql: Sql, accountId: string, id: string): Promise<ApiKeyRow | null> {
  const [row] = await sql.query<ApiKeyRow>("select * from api_keys where account_id = $1 and id = $2", [
    accountId,
    id,
  ]);
  return row ?? null;
}

/** A key's own row, locked until commit. */
export async function lockApiKey(sql: Sql, id: string): Promise<ApiKeyRow | null> {
  const [row] = await sql.query<ApiKeyRow>("select * from api_keys where id = $1 for update", [id]);
  return row ?? null;
}

/** Of these key ids, the ones not revoked. */
export async function liveKeyIds(sql: Sql, ids: string[]): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    "select id from api_keys where id = any($1::uuid[]) and revoked_at is null",
    [ids],
  );
  return rows.map((r) => r.id);
}

export async function touchKeyLastUsed(sql: Sql, id: string): Promise<void> {
  await sql.query("update api_keys set last_used_at = now() where id = $1", [id]);
}

/** Makes an existing key the account's live admin key with this secret (POSTBOX_ADMIN_KEY on start). */
export async function restoreAdminKey(
  sql: Sql,
  input: { id: string; accountId: string; secretHash: string },
): Promise<void> {
  await sql.query(
    "update api_keys set secret_hash = $2, role = 'admin', revoked_at = null, account_id = $3, mailbox_ids = '{}' where id = $1",
    [input.id, input.secretHash, input.accountId],
  );
}

/** Serialises first-start bootstrap between processes until the transaction ends. */
export async function lockBootstrap(sql: Sql): Promise<void> {
  await sql.query("select pg_advisory_xact_lock(7262011)");
}

export async function listApiKeys(sql: Sql, accountId: string): Promise<ApiKeyRow[]> {
  return sql.query<ApiKeyRow>("select * from api_keys where account_id = $1 order by created_at, id", [
    accountId,
  ]);
}

/**
 * Revokes a key and, in the same statement, tells every API process to drop it from its cache (delivered at
 * commit, so no process hears of a revocation that rolls back).
 */
export async function revokeApiKey(sql: Sql, accountId: string, id: string): Promise<ApiKeyRow | null> {
  const [row] = await sql.query<ApiKeyRow & { notified: unknown }>(
    `with r as (
       update api_keys set revoked_at = coalesce(revoked_at, now())
       where account_id = $1 and id = $2 returning *
     )
     select r.*, pg_notify('${Channel.keys}', r.id::text) as notified from r`,
    [accountId, id],
  );
  if (!row) return null;
  // Its dashboard sessions end with it (a request would refuse them anyway: they re-check the key).
  await sql.query("delete from dashboard_sessions where api_key_id = $1", [id]);
  const { notified: _, ...key } = row;
  return key;
}

/** Rebinds an active agent key to other mailboxes, announcing the change to every API process at commit. */
export async function rebindApiKey(
  sql: Sql,
  accountId: string,
  id: string,
  mailboxIds: string[],
): Promise<ApiKeyRow | null> {
  const [row] = await sql.query<ApiKeyRow & { notified: unknown }>(
    `with u as (
       update api_keys set mailbox_ids = $3::uuid[]
       where account_id = $1 and id = $2 and role = 'agent' and revoked_at is null returning *
     )
     select u.*, pg_notify('${Channel.keys}', u.id::text) as notified from u`,
    [accountId, id, mailboxIds],
  );
  if (!row) return null;
  const { notified: _, ...key } = row;
  return key;
}

/** Drops a revoked or deleted mailbox id from every agent key that names it; each such key is announced as changed. */
export async function unbindMailbox(sql: Sql, accountId: string, mailboxId: string): Promise<void> {
  await sql.query(
    `with u as (
       update api_keys set mailbox_ids = array_remove(mailbox_ids, $2::uuid)
       where account_id = $1 and $2::uuid = any(mailbox_ids) returning id
     )
     select pg_notify('${Channel.keys}', u.id::text) from u`,
    [accountId, mailboxId],
  );
}

/** The account's secret for hash_replace redaction, created on first use (one statement, safe under races). */
export async function accountPiiKey(sql: Sql, accountId: string): Promise<Buffer> {
  const [row] = await sql.query<{ pii_key: Uint8Array }>(
    "update accounts set pii_key = coalesce(pii_key, $2) where id = $1 returning pii_key",
    [accountId, randomBytes(32)],
  );
  const k = row!.pii_key;
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength);
}

/** The account's key for sub-address instance tags, created on first use (one statement, safe under races). */
export async function accountSubaddressKey(sql: Sql, accountId: string): Promise<Buffer> {
  // Read first: inbound processing asks inside its transaction, and an update would lock the account row.
  let [row] = await sql.query<{ subaddress_key: Uint8Array | null }>(
    "select subaddress_key from accounts where id = $1",
    [accountId],
  );
  if (!row?.subaddress_key)
    [row] = await sql.query<{ subaddress_key: Uint8Array }>(
      "update accounts set subaddress_key = coalesce(subaddress_key, $2) where id = $1 returning subaddress_key",
      [accountId, randomBytes(32)],
    );
  const k = row!.subaddress_key!;
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength);
}

/** What an account holds now: live mailboxes, sends waiting for a human, stored message bytes. */
export async function accountHoldings(sql: Sql, accountId: string): Promise<AccountHoldings> {
  const [row] = await sql.query<{
    mailboxes: number;
    pending_review: number;
    raw_bytes: string | number;
    attachment_bytes: string | number;
    derived_bytes: string | number;
  }>(
    `select (select count(*) from mailboxes where account_id = $1 and deleted_at is null)::int as mailboxes,
            (select count(*) from messages where account_id = $1 and state = 'pending_review')::int as pending_review,
            (select coalesce(sum(raw_size), 0) from messages where account_id = $1)::bigint as raw_bytes,
            (select coalesce(sum(case when jsonb_typeof(a->'size') = 'number' then (a->>'size')::numeric end), 0)
               from messages m cross join lateral jsonb_array_elements(
                 case when jsonb_typeof(m.attachments) = 'array' then m.attachments else '[]'::jsonb end) a
               where m.account_id = $1)::bigint as attachment_bytes,
            (select coalesce(sum(coalesce(octet_length(body_text), 0) + coalesce(octet_length(body_html), 0)), 0)
               from messages where account_id = $1)::bigint as derived_bytes`,
    [accountId],
  );
  return {
    mailboxes: row!.mailboxes,
    pendingReview: row!.pending_review,
    rawBytes: Number(row!.raw_bytes),
    attachmentBytes: Number(row!.attachment_bytes),
    derivedBytes: Number(row!.derived_bytes),
  };
}

/**
 * What an account holds. Bytes count each stored message copy: `rawBytes` the raw messages (attachments inside),
 * `attachmentBytes` the decoded attachments within them, `derivedBytes` the text and HTML bodies parsed out of them.
 */
export interface AccountHoldings {
  mailboxes: number;
  pendingReview: number;
  rawBytes: number;
  attachmentBytes: number;
  derivedBytes: number;
}

/** Whether the account is in sandbox mode (every mailbox of it sends to confirmed recipients only). */
export async function accountSandboxed(sql: Sql, accountId: string): Promise<boolean> {
  const [row] = await sql.query<{ sandbox: boolean }>("select sandbox from accounts where id = $1", [
    accountId,
  ]);
  return row?.sandbox ?? false;
}
