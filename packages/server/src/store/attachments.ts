import { safeJson } from "../domain/safe-text.ts";
import type { Sql } from "./db.ts";

/** A staged outbound attachment (POST /v1/attachments). */
export interface UploadRow {
  id: string;
  account_id: string;
  mailbox_id: string;
  filename: string;
  declared_mime_type: string;
  sniffed_mime_type: string;
  family: string | null;
  size: number;
  sha256: string;
  content_scan_status: "pending" | "clean" | "flagged" | "error";
  scan: { verdict: string; categories: unknown[]; findings: unknown[] } | null;
  scanned_at: Date | null;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
  consumed_message_id: string | null;
}

export async function insertUpload(
  sql: Sql,
  u: Pick<
    UploadRow,
    | "id"
    | "account_id"
    | "mailbox_id"
    | "filename"
    | "declared_mime_type"
    | "sniffed_mime_type"
    | "family"
    | "size"
    | "sha256"
    | "expires_at"
  >,
): Promise<UploadRow> {
  const [row] = await sql.query<UploadRow>(
    `insert into attachment_uploads (id, account_id, mailbox_id, filename, declared_mime_type, sniffed_mime_type,
       family, size, sha256, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
    [
      u.id,
      u.account_id,
      u.mailbox_id,
      u.filename,
      u.declared_mime_type,
      u.sniffed_mime_type,
      u.family,
      u.size,
      u.sha256,
      u.expires_at,
    ],
  );
  return row!;
}

export async function getUpload(sql: Sql, accountId: string, id: string): Promise<UploadRow | null> {
  const [row] = await sql.query<UploadRow>(
    "select * from attachment_uploads where account_id = $1 and id = $2",
    [accountId, id],
  );
  return row ?? null;
}

export async function getUploads(sql: Sql, accountId: string, ids: string[]): Promise<UploadRow[]> {
  if (ids.length === 0) return [];
  return sql.query<UploadRow>(
    "select * from attachment_uploads where account_id = $1 and id = any($2::uuid[])",
    [accountId, ids],
  );
}

/** Deletes an unconsumed handle; false when it was consumed (or is gone). */
export async function deleteUpload(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql.query(
    "delete from attachment_uploads where id = $1 and consumed_at is null returning id",
    [id],
  );
  return rows.length > 0;
}

/**
 * Takes up to `limit` handles waiting for their scan: never taken, or taken so long ago that the scanner must
 * have died. Several workers share the queue (SKIP LOCKED).
 */
export async function claimPendingScans(sql: Sql, limit: number, staleSeconds = 300): Promise<UploadRow[]> {
  return sql.query<UploadRow>(
    `update attachment_uploads set scan_started_at = now()
     where id in (select id from attachment_uploads
                  where content_scan_status = 'pending'
                    and (scan_started_at is null or scan_started_at < now() - make_interval(secs => $2))
                  order by created_at limit $1 for update skip locked)
     returning *`,
    [limit, staleSeconds],
  );
}

export async function finishScan(
  sql: Sql,
  id: string,
  status: "clean" | "flagged" | "error",
  scan: UploadRow["scan"],
): Promise<void> {
  await sql.query(
    `update attachment_uploads set content_scan_status = $2, scan = $3::jsonb, scanned_at = now()
     where id = $1 and content_scan_status = 'pending'`,
    [id, status, scan === null ? null : safeJson(scan)],
  );
}

/** Whether a pending scan exists that a scanner has not taken (how long a scanner should sleep). */
export async function hasUntakenScans(sql: Sql): Promise<boolean> {
  const rows = await sql.query(
    "select 1 from attachment_uploads where content_scan_status = 'pending' and scan_started_at is null limit 1",
  );
  return rows.length > 0;
}

/** Marks handles consumed by a message; the number that were still unconsumed (all of them, or the send fails). */
export async function consumeUploads(sql: Sql, ids: string[], messageId: string): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await sql.query(
    `update attachment_uploads set consumed_at = now(), consumed_message_id = $2
     where id = any($1::uuid[]) and consumed_at is null returning id`,
    [ids, messageId],
  );
  return rows.length;
}
