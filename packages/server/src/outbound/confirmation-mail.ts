import { randomUUID } from "node:crypto";
import { CONFIRMATION_SENDER, confirmationMail } from "../domain/recipient-verification.ts";
import type { BlobStore } from "../store/blobs.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Sql } from "../store/db.ts";
import { queueDeliveries } from "../store/deliveries.ts";
import { insertOutbound } from "../store/messages.ts";
import { composeMime } from "./compose.ts";
import { type DkimKey, dkimSignMessage } from "./dkim/sign.ts";

/**
 * Queues a recipient's confirmation mail through the ordinary delivery queue (retries, VERP return path, bounce
 * handling), from the service address on the default domain. It is the account's mail but no mailbox's: no
 * mailbox lists it and no key reads it.
 */
export async function queueConfirmationMail(
  sql: Sql,
  deps: { blobs: BlobStore; domain: string; key: DkimKey | null },
  m: { accountId: string; accountName: string; email: string; link: string; expiresAt: Date; date: Date },
): Promise<string> {
  const id = randomUUID();
  const messageId = `<${id}@${deps.domain}>`;
  const sender = `${CONFIRMATION_SENDER}@${deps.domain}`;
  const { subject, text } = confirmationMail(m);
  const composed = await composeMime({
    from: { address: sender, name: "Postbox" },
    to: [m.email],
    cc: [],
    bcc: [],
    subject,
    text,
    html: null,
    messageId,
    date: m.date,
    inReplyTo: null,
    references: [],
    autoSubmitted: "auto-generated",
  });
  const raw = deps.key ? await dkimSignMessage(composed, deps.key) : composed;
  const sha = await deps.blobs.put(raw);
  await insertOutbound(sql, {
    id,
    accountId: m.accountId,
    mailboxId: null,
    rawSha256: sha,
    rawSize: raw.length,
    internetMessageId: messageId,
    sender,
    senderName: "Postbox",
    to: [m.email],
    cc: [],
    bcc: [],
    subject,
    sentAt: m.date,
    threadId: null,
    inReplyTo: null,
    references: [],
    text,
    html: null,
  });
  await queueDeliveries(sql, m.accountId, id, [m.email]);
  await notify(sql, Channel.delivery);
  return id;
}
