import type { MailContent } from "../domain/mail-content.ts";
import { safeJson } from "../domain/safe-text.ts";
import type { SubaddressMode } from "../domain/subaddress.ts";
import type { Sql } from "./db.ts";

export interface DraftRow {
  id: string;
  account_id: string;
  mailbox_id: string;
  to_addrs: string[];
  cc_addrs: string[];
  bcc_addrs: string[];
  subject: string;
  body_text: string;
  body_html: string | null;
  send_at: Date | null;
  scan: { verdict: string; findings: unknown[] };
  worst_decision: string;
  /** cancelled: its mailbox was deleted before it was sent. */
  state: "draft" | "sending" | "scheduled" | "sent" | "cancelled";
  message_id: string | null;
  /** The thread its send joins (null: a new conversation, or the thread is gone). */
  thread_id: string | null;
  /** The message it answers, and that message's Message-ID and reference chain its send carries. */
  in_reply_to_message_id: string | null;
  in_reply_to: string | null;
  references_ids: string[];
  subaddress_instance_id: string | null;
  subaddress_mode: SubaddressMode | null;
  /** Upload handles its send will carry (consumed then). */
  attachment_ids: string[];
  created_at: Date;
  updated_at: Date;
}

/** Where a draft's send continues a conversation. */
export interface DraftThreading {
  threadId: string | null;
  inReplyToMessageId: string | null;
  inReplyTo: string | null;
  references: string[];
}

/** A draft's content: the mail, when to send it (null: when asked) and the sub-address its send names. */
export type DraftContent = MailContent & {
  sendAt: Date | null;
  subaddressInstanceId: string | null;
  subaddressMode: SubaddressMode | null;
};

/** The content a draft row holds, by the shared names. */
export function draftContentOf(row: DraftRow): DraftContent {
  return {
    to: row.to_addrs,
    cc: row.cc_addrs,
    bcc: row.bcc_addrs,
    subject: row.subject,
    text: row.body_text,
    html: row.body_html,
    sendAt: row.send_at,
    subaddressInstanceId: row.subaddress_instance_id,
    subaddressMode: row.subaddress_mode,
  };
}

export async function insertDraft(
  sql: Sql,
  d: {
    id: string;
    accountId: string;
    mailboxId: string;
    content: DraftContent;
    scan: unknown;
    worst: string;
    threading?: DraftThreading | null;
    attachmentIds?: string[];
  },
): Promise<DraftRow> {
  const c = d.content;
  const t = d.threading;
  const [row] = await sql.query<DraftRow>(
    `insert into drafts (id, account_id, mailbox_id, to_addrs, cc_addrs, bcc_addrs, subject, body_text, body_html,
       send_at, scan, worst_decision, thread_id, in_reply_to_message_id, in_reply_to, references_ids,
       subaddress_instance_id, subaddress_mode, attachment_ids)
     values ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12, $13, $14, $15,
       $16::text[], $17, $18, $19::uuid[]) returning *`,
    [
      d.id,
      d.accountId,
      d.mailboxId,
      safeJson(c.to),
      safeJson(c.cc),
      safeJson(c.bcc),
      c.subject,
      c.text,
      c.html,
      c.sendAt,
      safeJson(d.scan),
      d.worst,
      t?.threadId ?? null,
      t?.inReplyToMessageId ?? null,
      t?.inReplyTo ?? null,
      t?.references ?? [],
      c.subaddressInstanceId,
      c.subaddressMode,
      d.attachmentIds ?? [],
    ],
  );
  return row!;
}

/** Rewrites an unsent draft's content and scan; null when it is no longer a draft. */
export async function updateDraft(
  sql: Sql,
  id: string,
  content: DraftContent,
  scan: unknown,
  worst: string,
  attachmentIds: string[],
): Promise<DraftRow | null> {
  const [row] = await sql.query<DraftRow>(
    `update drafts set to_addrs = $2::jsonb, cc_addrs = $3::jsonb, bcc_addrs = $4::jsonb, subject = $5,
       body_text = $6, body_html = $7, send_at = $8, scan = $9::jsonb, worst_decision = $10,
       subaddress_instance_id = $11, subaddress_mode = $12, attachment_ids = $13::uuid[], updated_at = now()
     where id = $1 and state = 'draft' returning *`,
    [
      id,
      safeJson(content.to),
      safeJson(content.cc),
      safeJson(content.bcc),
      content.subject,
      content.text,
      content.html,
      content.sendAt,
      safeJson(scan),
      worst,
      content.subaddressInstanceId,
      content.subaddressMode,
      attachmentIds,
    ],
  );
  return row ?? null;
}

export async function getDraft(sql: Sql, accountId: string, id: string): Promise<DraftRow | null> {
  const [row] = await sql.query<DraftRow>("select * from drafts where account_id = $1 and id = $2", [
    accountId,
    id,
  ]);
  return row ?? null;
}

export async function listDrafts(
  sql: Sql,
  mailboxId: string,
  limit: number,
  before: { t: string; i: string } | null,
): Promise<DraftRow[]> {
  return sql.query<DraftRow>(
    `select * from drafts where mailbox_id = $1 and state not in ('sent', 'cancelled')
       and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::uuid))
     order by created_at desc, id desc limit $2`,
    [mailboxId, limit, before?.t ?? null, before?.i ?? null],
  );
}

/** Claims a draft for sending (or scheduling); null if another request already did. */
/** Claims a draft for sending or scheduling; `dueBy` moves a scheduled draft's send_at no later than it. */
export async function claimDraft(
  sql: Sql,
  id: string,
  to: "sending" | "scheduled",
  dueBy: Date | null = null,
): Promise<DraftRow | null> {
  const [row] = await sql.query<DraftRow>(
    `update drafts set state = $2, updated_at = now(),
       send_at = case when $3::timestamptz is null then send_at else least(coalesce(send_at, $3), $3) end
     where id = $1 and state = 'draft' returning *`,
    [id, to, dueBy?.toISOString() ?? null],
  );
  return row ?? null;
}

export async function finishDraft(
  sql: Sql,
  id: string,
  outcome: { messageId: string } | "back_to_draft" | "cancelled",
) {
  if (outcome === "back_to_draft" || outcome === "cancelled") {
    await sql.query("update drafts set state = $2, updated_at = now() where id = $1 and state = 'sending'", [
      id,
      outcome === "cancelled" ? "cancelled" : "draft",
    ]);
  } else {
    await sql.query("update drafts set state = 'sent', message_id = $2, updated_at = now() where id = $1", [
      id,
      outcome.messageId,
    ]);
  }
}

/** Puts a draft whose rescan refused it back to a draft, with the scan that refused it. */
export async function returnDraftAfterRescan(
  sql: Sql,
  id: string,
  scan: unknown,
  worst: string,
): Promise<void> {
  await sql.query(
    "update drafts set state = 'draft', scan = $2::jsonb, worst_decision = $3, updated_at = now() where id = $1",
    [id, safeJson(scan), worst],
  );
}

export async function deleteDraft(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql.query(
    "delete from drafts where id = $1 and state in ('draft', 'scheduled') returning id",
    [id],
  );
  return rows.length > 0;
}

/** Scheduled drafts due by `now`, claimed for sending (SKIP LOCKED: several workers share them). */
export async function claimDueDrafts(sql: Sql, limit: number, now: Date): Promise<DraftRow[]> {
  return sql.query<DraftRow>(
    `update drafts set state = 'sending', updated_at = now() where id in (
       select id from drafts where state = 'scheduled' and send_at <= $2 order by send_at limit $1
       for update skip locked)
     returning *`,
    [limit, now],
  );
}

/** Milliseconds from `now` until the next scheduled draft is due (negative when overdue); null when none is. */
export async function msUntilNextScheduledDraft(sql: Sql, now: Date): Promise<number | null> {
  const [row] = await sql.query<{ ms: number | null }>(
    `select (extract(epoch from min(send_at) - $1::timestamptz) * 1000)::float8 as ms from drafts
     where state = 'scheduled'`,
    [now],
  );
  return row?.ms ?? null;
}

/** Cancels a deleted mailbox's unsent drafts, scheduled ones included; returns how many. */
export async function cancelMailboxDrafts(sql: Sql, mailboxId: string): Promise<number> {
  const rows = await sql.query(
    `update drafts set state = 'cancelled', updated_at = now()
     where mailbox_id = $1 and state in ('draft', 'scheduled') returning id`,
    [mailboxId],
  );
  return rows.length;
}
