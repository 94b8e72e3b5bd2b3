import { randomUUID } from "node:crypto";
import { simpleParser } from "mailparser";
import { type BounceReport, readBounce } from "../domain/bounce-report.ts";
import { safeDeep } from "../domain/safe-text.ts";
import type { Logger } from "../platform/logger.ts";
import { appendAudit } from "../store/audit.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db, Sql } from "../store/db.ts";
import { settleMessageState } from "../store/deliveries.ts";
import { appendEvents, type NewEvent } from "../store/events.ts";
import { addSuppressions, type SuppressionRow } from "../store/recipient-controls.ts";

/** What a report came to, for the caller's reply and the tests. */
export interface BounceOutcome {
  kind: BounceReport["kind"];
  effect: "suppressed" | "bounced" | "recorded" | "ignored";
  recipient: string | null;
}

/** The fields of a provider's bounce or complaint record that we read (Postmark's names). */
export interface ProviderRecord {
  RecordType?: string;
  Type?: string;
  Email: string;
  MessageID?: string;
  Description?: string;
  Details?: string;
  BouncedAt?: string;
}

interface DeliveryOfReport {
  id: string;
  account_id: string;
  message_id: string;
  mailbox_id: string;
  recipient: string;
  state: string;
}

/** Parses a bounce's MIME into the parts readBounce needs. */
export async function bounceParts(raw: Buffer) {
  const mail = await simpleParser(raw, {
    keepDeliveryStatus: true,
    skipHtmlToText: false,
    skipImageLinks: true,
  });
  const part = (type: string) => {
    const a = mail.attachments.find((x) => x.contentType.toLowerCase() === type);
    return a ? a.content.toString("utf8").slice(0, 256 * 1024) : null;
  };
  return safeDeep({
    deliveryStatus: part("message/delivery-status"),
    feedbackReport: part("message/feedback-report"),
    text: mail.text ?? null,
  });
}

/** Suppresses an address for a report; returns the event to record (appended last, with the others). */
async function suppress(
  sql: Sql,
  accountId: string,
  email: string,
  reason: SuppressionRow["reason"],
  source: string,
  detail: string | null,
  expiresAt: Date | null,
): Promise<NewEvent[]> {
  const added = await addSuppressions(sql, accountId, [{ email, reason, source, detail, expiresAt }]);
  return added.map(() => ({
    accountId,
    mailboxId: null,
    type: "suppression.added" as const,
    data: { email, reason, source, expires_at: expiresAt?.toISOString() ?? null },
  }));
}

/** A delivery the remote server had accepted turns out bounced: its state and its message's; returns the event. */
async function markBounced(
  sql: Sql,
  b: {
    deliveryId: string;
    message_id: string;
    account_id: string;
    mailbox_id: string;
    recipient: string;
    detail: string;
    source: "dsn" | "provider";
    hard: boolean;
  },
) {
  await sql.query(
    `update deliveries set state = 'bounced', last_response = $2, finished_at = now(), updated_at = now(),
       locked_until = null where id = $1`,
    [b.deliveryId, `${b.source === "dsn" ? "bounce report" : "provider bounce"}: ${b.detail}`.slice(0, 1000)],
  );
  await settleMessageState(sql, b.message_id);
  return {
    accountId: b.account_id,
    mailboxId: b.mailbox_id,
    type: "message.bounced" as const,
    data: {
      message_id: b.message_id,
      recipient: b.recipient,
      attempts: null,
      code: null,
      response: b.detail,
      next_attempt_at: null,
      source: b.source,
      hard: b.hard,
    },
  };
}

/**
 * Bounce handling: reports that arrive at a VERP return path (over SMTP), and a relay provider's bounce and
 * complaint webhook. Each report is recorded; hard bounces and complaints suppress the address; a bounce of a
 * delivery the remote server had accepted marks it bounced after the fact.
 */
export function createBounceHandler(deps: { db: Db; blobs: BlobStore; logger: Logger }) {
  const { db, logger } = deps;

  async function deliveryById(sql: Sql, id: string): Promise<DeliveryOfReport | null> {
    const [row] = await sql.query<DeliveryOfReport>(
      `select d.id, d.account_id, d.message_id, m.mailbox_id, d.recipient, d.state
       from deliveries d join messages m on m.id = d.message_id where d.id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** A report that arrived at bounces+<delivery>@ — the delivery says whose and for whom, whatever the report claims. */
  async function handleDsn(raw: Buffer, deliveryId: string): Promise<BounceOutcome> {
    const report = readBounce(await bounceParts(raw));
    const sha = await deps.blobs.put(raw);
    return db.tx(async (sql) => {
      const d = await deliveryById(sql, deliveryId);
      if (!d) return { kind: report.kind, effect: "ignored", recipient: null };
      await sql.query("select id from messages where id = $1 for update", [d.message_id]);
      let effect: BounceOutcome["effect"] = "recorded";
      const events: NewEvent[] = [];
      if (report.kind === "bounce") {
        effect = "bounced";
        const detail = [report.status, report.diagnostic].filter(Boolean).join(" ") || "bounce report";
        if (d.state !== "bounced")
          events.push(
            await markBounced(sql, { ...d, deliveryId: d.id, detail, source: "dsn", hard: report.hard }),
          );
        if (report.hard) {
          events.push(
            ...(await suppress(sql, d.account_id, d.recipient, "hard_bounce", "dsn", detail, null)),
          );
          effect = "suppressed";
        }
      } else if (report.kind === "complaint") {
        events.push(
          ...(await suppress(sql, d.account_id, d.recipient, "complaint", "arf", report.diagnostic, null)),
        );
        effect = "suppressed";
      }
      await appendAudit(sql, d.account_id, d.mailbox_id, [
        {
          transport: "smtp",
          envelope_sender: null,
          header_sender: d.recipient,
          rule_index: null,
          outcome: report.kind,
          action: effect === "suppressed" ? "recipient_suppressed" : "report_recorded",
          reason: [report.status, report.diagnostic].filter(Boolean).join(" ").slice(0, 1000) || null,
          message_id: d.message_id,
          body_sha256: sha,
          capabilities: [],
        },
      ]);
      await sql.query(
        `insert into bounce_reports (id, account_id, message_id, delivery_id, recipient, source, kind, hard, status,
           diagnostic, effect, raw_sha256)
         values ($1, $2, $3, $4, $5, 'dsn', $6, $7, $8, $9, $10, $11)`,
        [
          randomUUID(),
          d.account_id,
          d.message_id,
          d.id,
          d.recipient,
          report.kind,
          report.hard,
          report.status,
          report.diagnostic?.slice(0, 1000) ?? null,
          effect,
          sha,
        ],
      );
      // The event log last: its per-account lock is held to commit, so nothing may wait on another lock after it.
      await appendEvents(sql, events);
      logger.info("bounce report", { delivery_id: d.id, kind: report.kind, effect, status: report.status });
      return { kind: report.kind, effect, recipient: d.recipient };
    });
  }

  /**
   * A relay provider's bounce or spam-complaint record (Postmark's webhook shape). HardBounce and SpamComplaint
   * suppress the address for 30 days. The record is tied to our message when its MessageID is one of our message
   * ids or Message-IDs; otherwise it applies to every account that has mailed the address.
   */
  async function handleProvider(p: ProviderRecord): Promise<BounceOutcome & { accounts: number }> {
    const email = p.Email.trim().toLowerCase();
    const type = p.Type ?? p.RecordType ?? "Unknown";
    const complaint = type === "SpamComplaint" || p.RecordType === "SpamComplaint";
    const hard = type === "HardBounce";
    const detail = [type, p.Description, p.Details].filter(Boolean).join(": ").slice(0, 1000);
    const suppressFor = hard || complaint ? new Date(Date.now() + 30 * 86400_000) : null;
    return db.tx(async (sql) => {
      const ref = (p.MessageID ?? "").trim();
      const [message] = ref
        ? await sql.query<{ id: string; account_id: string; mailbox_id: string }>(
            `select id, account_id, mailbox_id from messages where direction = 'outbound'
               and (internet_message_id = $1 or internet_message_id = $2 or id::text = $3) limit 1`,
            [ref, `<${ref.replace(/^<|>$/g, "")}>`, ref.toLowerCase()],
          )
        : [];
      const accounts = message
        ? [message.account_id]
        : (
            await sql.query<{ account_id: string }>(
              "select distinct account_id from deliveries where recipient = $1 limit 1000",
              [email],
            )
          ).map((r) => r.account_id);
      let effect: BounceOutcome["effect"] = "recorded";
      const events: NewEvent[] = [];
      // Accounts in a fixed order: concurrent reports lock suppression rows the same way.
      for (const accountId of [...accounts].sort()) {
        if (suppressFor) {
          const kind = complaint ? "complaint" : "hard_bounce";
          events.push(...(await suppress(sql, accountId, email, kind, "provider", detail, suppressFor)));
          effect = "suppressed";
        }
      }
      let deliveryId: string | null = null;
      if (message && hard) {
        const [d] = await sql.query<{ id: string; state: string }>(
          "select id, state from deliveries where message_id = $1 and recipient = $2 for update",
          [message.id, email],
        );
        deliveryId = d?.id ?? null;
        if (d && d.state !== "bounced")
          events.push(
            await markBounced(sql, {
              deliveryId: d.id,
              message_id: message.id,
              account_id: message.account_id,
              mailbox_id: message.mailbox_id,
              recipient: email,
              detail,
              source: "provider",
              hard: true,
            }),
          );
      }
      if (message)
        await appendAudit(sql, message.account_id, message.mailbox_id, [
          {
            transport: "provider",
            envelope_sender: null,
            header_sender: email,
            rule_index: null,
            outcome: complaint ? "complaint" : hard ? "hard_bounce" : "bounce",
            action: suppressFor ? "recipient_suppressed" : "report_recorded",
            reason: detail,
            message_id: message.id,
            body_sha256: null,
            capabilities: [],
          },
        ]);
      const kind: BounceReport["kind"] = complaint ? "complaint" : "bounce";
      for (const accountId of accounts.length ? accounts : [null])
        await sql.query(
          `insert into bounce_reports (id, account_id, message_id, delivery_id, recipient, source, kind, hard, status,
             diagnostic, effect)
           values ($1, $2, $3, $4, $5, 'provider', $6, $7, null, $8, $9)`,
          [randomUUID(), accountId, message?.id ?? null, deliveryId, email, kind, hard, detail, effect],
        );
      await appendEvents(sql, events);
      return { kind, effect, recipient: email, accounts: accounts.length };
    });
  }

  return { handleDsn, handleProvider, deliveryById: (id: string) => deliveryById(db, id) };
}

export type BounceHandler = ReturnType<typeof createBounceHandler>;
