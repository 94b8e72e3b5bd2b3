import { randomUUID } from "node:crypto";
import type { Sql } from "./db.ts";

/** A delivery as a bounce report needs it: whose, for whom, and its state. */
export interface DeliveryOfReport {
  id: string;
  account_id: string;
  message_id: string;
  /** Null for service mail (a recipient confirmation). */
  mailbox_id: string | null;
  recipient: string;
  state: string;
}

export async function deliveryOfReport(sql: Sql, id: string): Promise<DeliveryOfReport | null> {
  const [row] = await sql.query<DeliveryOfReport>(
    `select d.id, d.account_id, d.message_id, m.mailbox_id, d.recipient, d.state
     from deliveries d join messages m on m.id = d.message_id where d.id = $1`,
    [id],
  );
  return row ?? null;
}

/** Our outbound message a provider's MessageID names (our id or its Message-ID, with or without brackets). */
export async function outboundMessageByRef(
  sql: Sql,
  ref: string,
): Promise<{ id: string; account_id: string; mailbox_id: string } | null> {
  const [row] = await sql.query<{ id: string; account_id: string; mailbox_id: string }>(
    `select id, account_id, mailbox_id from messages where direction = 'outbound' and mailbox_id is not null
       and (internet_message_id = $1 or internet_message_id = $2 or id::text = $3) limit 1`,
    [ref, `<${ref.replace(/^<|>$/g, "")}>`, ref.toLowerCase()],
  );
  return row ?? null;
}

/** The accounts that have mailed this address (at most 1000). */
export async function accountsThatMailed(sql: Sql, email: string): Promise<string[]> {
  const rows = await sql.query<{ account_id: string }>(
    "select distinct account_id from deliveries where recipient = $1 limit 1000",
    [email],
  );
  return rows.map((r) => r.account_id);
}

export interface BounceReportInput {
  accountId: string | null;
  messageId: string | null;
  deliveryId: string | null;
  recipient: string;
  source: "dsn" | "provider";
  kind: string;
  hard: boolean;
  status: string | null;
  diagnostic: string | null;
  effect: string;
  rawSha256: string | null;
}

export async function insertBounceReport(sql: Sql, r: BounceReportInput): Promise<void> {
  await sql.query(
    `insert into bounce_reports (id, account_id, message_id, delivery_id, recipient, source, kind, hard, status,
       diagnostic, effect, raw_sha256)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      randomUUID(),
      r.accountId,
      r.messageId,
      r.deliveryId,
      r.recipient,
      r.source,
      r.kind,
      r.hard,
      r.status,
      r.diagnostic,
      r.effect,
      r.rawSha256,
    ],
  );
}
