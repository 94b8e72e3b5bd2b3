import type { Sql } from "./db.ts";

// The reads of an account export (governance/export.ts): pages in a stable order, so the archive streams.

export interface ExportedMessage {
  id: string;
  mailbox_id: string;
  direction: string;
  state: string;
  internet_message_id: string | null;
  sender: string | null;
  sender_name: string | null;
  recipient: string | null;
  to_addrs: unknown;
  cc_addrs: unknown;
  bcc_addrs: unknown;
  reply_to: unknown;
  subject: string | null;
  sent_at: Date | null;
  thread_id: string | null;
  in_reply_to: string | null;
  references_ids: string[];
  labels: string[];
  attachments: unknown;
  starred: boolean;
  read_at: Date | null;
  deleted_at: Date | null;
  created_at: Date;
  raw_sha256: string;
  raw_size: number;
}

/** A mailbox's messages after `after` (exclusive) in the order they were stored, without their bytes. */
export async function exportMessagesPage(
  sql: Sql,
  mailboxId: string,
  after: { createdAt: Date; id: string } | null,
  limit: number,
): Promise<ExportedMessage[]> {
  return sql.query<ExportedMessage>(
    `select id, mailbox_id, direction, state, internet_message_id, sender, sender_name, recipient, to_addrs, cc_addrs,
       bcc_addrs, reply_to, subject, sent_at, thread_id, in_reply_to, references_ids, labels, attachments, starred,
       read_at, deleted_at, created_at, raw_sha256, raw_size
     from messages where mailbox_id = $1 and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
     order by created_at, id limit $4`,
    [mailboxId, after?.createdAt ?? null, after?.id ?? null, limit],
  );
}

/** A mailbox's audit entries after `afterSeq`, oldest first. */
export async function exportAuditPage(
  sql: Sql,
  mailboxId: string,
  afterSeq: number,
  limit: number,
): Promise<Record<string, unknown>[]> {
  return sql.query("select * from policy_audit where mailbox_id = $1 and seq > $2 order by seq limit $3", [
    mailboxId,
    afterSeq,
    limit,
  ]);
}
