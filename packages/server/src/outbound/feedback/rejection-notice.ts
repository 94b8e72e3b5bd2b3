import { randomUUID } from "node:crypto";
import { replyLine, smtpReplies } from "../../domain/smtp-replies.ts";
import type { BlobStore } from "../../store/blobs.ts";
import { Channel, notify } from "../../store/channels.ts";
import type { Sql } from "../../store/db.ts";
import { queueDeliveries } from "../../store/deliveries.ts";
import { insertOutbound } from "../../store/messages.ts";

/** One line, printable: reasons come from policy documents and end up in headers and SMTP-style fields. */
const oneLine = (s: string) =>
  s
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, "")
    .slice(0, 300);

/**
 * A delivery status notification (RFC 3464 multipart/report) telling the envelope sender that a mailbox's policy
 * refused their message. Only the original's header block goes back, never its body.
 */
export function composeRejectionNotice(n: {
  domain: string;
  to: string;
  recipient: string;
  reason: string;
  originalHeaders: Buffer;
  arrivedAt: Date;
  messageId: string;
  date: Date;
}): Buffer {
  const boundary = `=_report_${randomUUID()}`;
  const reason = oneLine(n.reason);
  const refused = smtpReplies.refused_by_policy(reason);
  const text = [
    `Your message to <${n.recipient}> was not delivered.`,
    "",
    "The recipient's mail policy refused it:",
    `  ${reason}`,
    "",
    "This is an automatically generated notification; please do not reply.",
  ].join("\r\n");
  const status = [
    `Reporting-MTA: dns; ${n.domain}`,
    `Arrival-Date: ${n.arrivedAt.toUTCString()}`,
    "",
    `Final-Recipient: rfc822; ${n.recipient}`,
    "Action: failed",
    `Status: ${refused.enhanced}`,
    `Diagnostic-Code: smtp; ${replyLine(refused)}`,
  ].join("\r\n");
  const headers = n.originalHeaders.toString("utf8").replace(/\r?\n/g, "\r\n").trimEnd();
  const mime = [
    `From: Mail Delivery System <MAILER-DAEMON@${n.domain}>`,
    `To: <${n.to}>`,
    "Subject: Undelivered Mail Returned to Sender",
    `Date: ${n.date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${n.messageId}`,
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    text,
    `--${boundary}`,
    "Content-Type: message/delivery-status",
    "",
    status,
    "",
    `--${boundary}`,
    "Content-Type: text/rfc822-headers",
    "",
    headers,
    "",
    `--${boundary}--`,
    "",
  ].join("\r\n");
  return Buffer.from(mime, "utf8");
}

/**
 * Queues a notice through the ordinary delivery queue, from the mailbox that refused the message, with the null
 * reverse path (MAIL FROM:<>) so that it can never bounce back and loop.
 */
export async function queueRejectionNotice(
  sql: Sql,
  deps: { blobs: BlobStore; domain: string },
  n: {
    accountId: string;
    mailboxId: string;
    to: string;
    recipient: string;
    reason: string;
    originalHeaders: Buffer;
    arrivedAt: Date;
  },
): Promise<string> {
  const id = randomUUID();
  const messageId = `<${id}@${deps.domain}>`;
  const date = new Date();
  const raw = composeRejectionNotice({ ...n, domain: deps.domain, messageId, date });
  const sha = await deps.blobs.put(raw);
  await insertOutbound(sql, {
    id,
    accountId: n.accountId,
    mailboxId: n.mailboxId,
    rawSha256: sha,
    rawSize: raw.length,
    internetMessageId: messageId,
    sender: `mailer-daemon@${deps.domain}`,
    senderName: "Mail Delivery System",
    mailFrom: "",
    to: [n.to],
    cc: [],
    bcc: [],
    subject: "Undelivered Mail Returned to Sender",
    sentAt: date,
    threadId: null,
    inReplyTo: null,
    references: [],
    text: `Your message to <${n.recipient}> was not delivered: ${oneLine(n.reason)}`,
    html: null,
  });
  await queueDeliveries(sql, n.accountId, id, [n.to.toLowerCase()]);
  await notify(sql, Channel.delivery);
  return id;
}
