import { AppError } from "../../domain/errors.ts";
import type { OutboundStart } from "../../domain/message-state.ts";
import type { ScanSummary } from "../../domain/outbound-scan.ts";
import type { HoldContext, SendStatus } from "../../domain/send-decision.ts";
import { emailEffectOf } from "../../domain/verdict.ts";
import { consumeUploads } from "../../store/attachments.ts";
import { Channel, notify } from "../../store/channels.ts";
import type { Sql } from "../../store/db.ts";
import { queueDeliveries } from "../../store/deliveries.ts";
import { appendEvent } from "../../store/events.ts";
import { saveIdempotentResponse } from "../../store/idempotency.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";
import { insertOutbound } from "../../store/messages.ts";
import { placeInThreads } from "../../store/threads.ts";
import type { SendAttachments } from "../attachments.ts";
import type { ComposedSend } from "./compose-sign.ts";
import type { Idempotency, OutgoingMail, SendResult } from "./types.ts";

/** The stored state of a send by its outcome (one of the machine's start states): only a sent message has deliveries. */
const STATE_OF: Record<SendStatus, OutboundStart> = {
  sent: "dispatching",
  pending_review: "pending_review",
  quarantined: "quarantined",
  blocked: "blocked",
};

/**
 * Records the send in the claiming transaction: its thread, the message, its deliveries when it goes out now,
 * its event, and the result under its Idempotency-Key.
 */
export async function recordAndQueue(
  sql: Sql,
  mailbox: MailboxRow,
  send: {
    mail: OutgoingMail;
    recipients: string[];
    composed: ComposedSend;
    rawSha256: string;
    date: Date;
    scan: ScanSummary;
    status: SendStatus;
    hold: HoldContext | null;
    attachments: SendAttachments;
    sendsRemaining: number | null;
    dailyLimit: number | null;
    idem: Idempotency | null;
  },
): Promise<SendResult> {
  const { mail, composed, status, hold } = send;
  const [placed] = await placeInThreads(
    sql,
    { accountId: mailbox.account_id, mailboxId: mailbox.id, at: send.date },
    [
      {
        internetMessageId: composed.internetMessageId,
        subject: mail.subject,
        inReplyTo: mail.inReplyTo,
        references: mail.references,
        sender: composed.from,
        participants: [composed.from, ...mail.to, ...mail.cc],
        knownThreadId: mail.threadId,
      },
    ],
  );
  const threadId = placed!;
  const row = await insertOutbound(sql, {
    id: composed.id,
    accountId: mailbox.account_id,
    mailboxId: mailbox.id,
    rawSha256: send.rawSha256,
    rawSize: composed.raw.length,
    internetMessageId: composed.internetMessageId,
    sender: composed.from,
    senderName: mailbox.display_name,
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    subject: mail.subject,
    sentAt: send.date,
    threadId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    text: mail.text,
    html: mail.html,
    state: STATE_OF[status],
    scan: send.scan,
    holdContext: hold,
    subaddressInstanceId: mail.subaddressInstanceId ?? null,
    attachments: send.attachments.stored,
  });
  // Consumed by this message, once: a handle another send took meanwhile refuses this one (the transaction rolls back).
  if ((await consumeUploads(sql, send.attachments.ids, row.id)) !== send.attachments.ids.length)
    throw new AppError(
      "conflict",
      "ATTACHMENT_ALREADY_CONSUMED",
      "an attachment was sent by another message meanwhile",
    );
  if (status === "sent") {
    await queueDeliveries(sql, mailbox.account_id, row.id, send.recipients);
    await notify(sql, Channel.delivery);
  }
  await appendEvent(sql, {
    accountId: mailbox.account_id,
    mailboxId: mailbox.id,
    type: status === "sent" ? "message.sent" : `message.${status}`,
    data: {
      message_id: row.id,
      thread_id: threadId,
      to: mail.to,
      cc: mail.cc,
      subject: mail.subject,
      ...(hold ? { hold_context: hold } : {}),
    },
  });
  const result: SendResult = {
    message_id: row.id,
    status,
    thread_id: threadId,
    internet_message_id: composed.internetMessageId,
    scan: send.scan,
    hold_context: hold,
    sends_remaining: send.sendsRemaining,
    daily_limit: send.dailyLimit,
    email_effect: emailEffectOf(status),
  };
  if (send.idem) await saveIdempotentResponse(sql, mailbox.account_id, send.idem.key, result);
  return result;
}
