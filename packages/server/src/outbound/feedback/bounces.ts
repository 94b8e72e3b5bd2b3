import { simpleParser } from "mailparser";
import { type BounceReport, readBounce } from "../../domain/bounce-report.ts";
import { type Clock, systemClock } from "../../domain/clock.ts";
import { SYSTEM_ACTOR } from "../../domain/principal.ts";
import { safeDeep } from "../../domain/safe-text.ts";
import type { Logger } from "../../platform/logger.ts";
import { appendAudit } from "../../store/audit.ts";
import type { BlobStore } from "../../store/blobs.ts";
import {
  accountsThatMailed,
  deliveryOfReport,
  insertBounceReport,
  outboundMessageByRef,
} from "../../store/bounces.ts";
import type { Db, Sql } from "../../store/db.ts";
import { lockDeliveryTo, markDeliveryBounced } from "../../store/deliveries.ts";
import { appendEvents, type NewEvent } from "../../store/events.ts";
import { lockMessage } from "../../store/messages.ts";
import { addSuppressions, type SuppressionRow } from "../../store/recipient-controls.ts";
import { settleMessage } from "../delivery/settle.ts";

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
  const rows = await addSuppressions(
    sql,
    accountId,
    [{ email, reason, source, detail, expiresAt }],
    SYSTEM_ACTOR,
  );
  return rows
    .filter((r) => r.inserted)
    .map(() => ({
      accountId,
      mailboxId: null,
      type: "recipient_blocklist.added" as const,
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
    mailbox_id: string | null;
    recipient: string;
    detail: string;
    source: "dsn" | "provider";
    hard: boolean;
  },
) {
  await markDeliveryBounced(
    sql,
    b.deliveryId,
    `${b.source === "dsn" ? "bounce report" : "provider bounce"}: ${b.detail}`.slice(0, 1000),
  );
  // A late bounce is the delivery's news: the machine lets it bounce a delivered, bounced or cancelled message.
  await settleMessage(sql, b.message_id, "delivery");
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
export function createBounceHandler(deps: { db: Db; blobs: BlobStore; logger: Logger; clock?: Clock }) {
  const clock = deps.clock ?? systemClock;
  const { db, logger } = deps;

  /** A report that arrived at bounces+<delivery>@ — the delivery says whose and for whom, whatever the report claims. */
  async function handleDsn(raw: Buffer, deliveryId: string): Promise<BounceOutcome> {
    const report = readBounce(await bounceParts(raw));
    const sha = await deps.blobs.put(raw);
    return db.tx(async (sql) => {
      const d = await deliveryOfReport(sql, deliveryId);
      if (!d) return { kind: report.kind, effect: "ignored", recipient: null };
      await lockMessage(sql, d.message_id);
      let effect: BounceOutcome["effect"] = "recorded";
      const events: NewEvent[] = [];
      if (report.kind === "bounce") {
        effect = "bounced";
        const detail = [report.status, report.diagnostic].filter(Boolean).join(" ") || "bounce report";
        if (d.state !== "bounced") {
          const bounced = await markBounced(sql, {
            ...d,
            deliveryId: d.id,
            detail,
            source: "dsn",
            hard: report.hard,
          });
          // Service mail has no mailbox to tell; its recipient's suppression below is the account's news.
          if (d.mailbox_id) events.push(bounced);
        }
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
      if (d.mailbox_id)
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
      await insertBounceReport(sql, {
        accountId: d.account_id,
        messageId: d.message_id,
        deliveryId: d.id,
        recipient: d.recipient,
        source: "dsn",
        kind: report.kind,
        hard: report.hard,
        status: report.status,
        diagnostic: report.diagnostic?.slice(0, 1000) ?? null,
        effect,
        rawSha256: sha,
      });
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
    const suppressFor = hard || complaint ? new Date(clock.now().getTime() + 30 * 86400_000) : null;
    return db.tx(async (sql) => {
      const ref = (p.MessageID ?? "").trim();
      const message = ref ? await outboundMessageByRef(sql, ref) : null;
      const accounts = message ? [message.account_id] : await accountsThatMailed(sql, email);
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
        const d = await lockDeliveryTo(sql, message.id, email);
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
        await insertBounceReport(sql, {
          accountId,
          messageId: message?.id ?? null,
          deliveryId,
          recipient: email,
          source: "provider",
          kind,
          hard,
          status: null,
          diagnostic: detail,
          effect,
          rawSha256: null,
        });
      await appendEvents(sql, events);
      return { kind, effect, recipient: email, accounts: accounts.length };
    });
  }

  return { handleDsn, handleProvider, deliveryById: (id: string) => deliveryOfReport(db, id) };
}

export type BounceHandler = ReturnType<typeof createBounceHandler>;
