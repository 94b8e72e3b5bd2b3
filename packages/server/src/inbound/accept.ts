import { randomUUID } from "node:crypto";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { type Envelope, insertReceived } from "../store/messages.ts";

export interface AcceptedCopy {
  messageId: string;
  mailboxId: string;
  recipient: string;
}

/**
 * The durability point of the inbound flow: the raw bytes are in the blob store and one row per mailbox is
 * committed before this resolves. Only then may the caller answer 250 (SMTP) or 2xx (HTTP).
 */
export async function acceptMessage(
  deps: { db: Db; blobs: BlobStore },
  raw: Buffer,
  envelope: Envelope,
  recipients: { mailbox: MailboxRow; address: string }[],
): Promise<AcceptedCopy[]> {
  const sha = await deps.blobs.put(raw);
  // One stored message per mailbox, even if the envelope named it twice (support@ and support+x@).
  const perMailbox = new Map<string, { mailbox: MailboxRow; address: string }>();
  for (const r of recipients) if (!perMailbox.has(r.mailbox.id)) perMailbox.set(r.mailbox.id, r);
  const copies = [...perMailbox.values()].map(({ mailbox, address }) => ({
    messageId: randomUUID(),
    mailboxId: mailbox.id,
    accountId: mailbox.account_id,
    recipient: address.toLowerCase(),
  }));
  // One statement, one round trip, its own transaction: on the hot path of every SMTP 250.
  await insertReceived(deps.db, { rawSha256: sha, rawSize: raw.length, envelope, copies });
  return copies.map(({ messageId, mailboxId, recipient }) => ({ messageId, mailboxId, recipient }));
}
