import { randomUUID } from "node:crypto";
import { safeDeep } from "../domain/safe-text.ts";
import { type BlobStore, sha256Hex } from "../store/blobs.ts";
import type { Sql } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { type AcceptedMessage, type Envelope, insertReceived } from "../store/messages.ts";

export interface AcceptedCopy {
  messageId: string;
  mailboxId: string;
  recipient: string;
  rawSha256: string;
}

export type Accept = (
  raw: Buffer,
  envelope: Envelope,
  recipients: { mailbox: MailboxRow; address: string }[],
  opts?: { holdSeconds?: number },
) => Promise<AcceptedCopy[]>;

const MAX_BATCH_MESSAGES = 200;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/**
 * With the embedded database, larger messages go to the blob store (fsynced) before their rows commit instead of
 * into the spool table: a multi-megabyte bytea costs the embedded database seconds on the main thread, and small
 * ones are what group commit is for. PostgreSQL takes any size in the spool, so processing never needs the
 * accepting process's disk.
 */
export const EMBEDDED_SPOOL_MAX_BYTES = 256 * 1024;

/**
 * The durability point of the inbound flow: a message's rows and raw bytes are committed before the returned
 * promise resolves, and only then may the caller answer 250 (SMTP) or 2xx (HTTP).
 *
 * Group commit: while one batch is being written, arriving messages queue up and go together in the next
 * statement. No timer is involved, so a lone message is never delayed; under load, one round trip serves many.
 */
const spooledBytes = (m: AcceptedMessage) => (m.spool ? m.raw.length : 0);

export function createAcceptor(
  db: Sql,
  blobs: BlobStore,
  spoolMaxBytes = Number.POSITIVE_INFINITY,
  /** Told of every committed message: its transport and how many copies (mailboxes) it made. */
  onAccepted?: (transport: string, copies: number) => void,
): Accept {
  type Pending = { message: AcceptedMessage; resolve: () => void; reject: (err: unknown) => void };
  const queue: Pending[] = [];
  let writing = false;

  async function writeBatches(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch: Pending[] = [];
      let bytes = 0;
      while (
        queue.length > 0 &&
        batch.length < MAX_BATCH_MESSAGES &&
        (batch.length === 0 || bytes + spooledBytes(queue[0]!.message) <= MAX_BATCH_BYTES)
      ) {
        const next = queue.shift()!;
        bytes += spooledBytes(next.message);
        batch.push(next);
      }
      try {
        await insertReceived(
          db,
          batch.map((b) => b.message),
        );
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    writing = false;
  }

  return async (raw, envelope, recipients, opts) => {
    // One stored message per mailbox, even if the envelope named it twice (support@ and support+x@). Each copy's
    // envelope names only the addresses that reached its mailbox: the other recipients (Bcc, other tenants) are
    // none of its business.
    const perMailbox = new Map<string, { mailbox: MailboxRow; address: string; addresses: Set<string> }>();
    for (const r of recipients) {
      const entry = perMailbox.get(r.mailbox.id) ?? { ...r, addresses: new Set<string>() };
      entry.addresses.add(r.address.toLowerCase());
      perMailbox.set(r.mailbox.id, entry);
    }
    const copies = [...perMailbox.values()].map(({ mailbox, address, addresses }) => ({
      messageId: randomUUID(),
      accountId: mailbox.account_id,
      mailboxId: mailbox.id,
      recipient: address.toLowerCase(),
      rcptTo: safeDeep([...addresses]),
    }));
    const spool = raw.length <= spoolMaxBytes;
    const rawSha256 = spool ? sha256Hex(raw) : await blobs.put(raw);
    const message: AcceptedMessage = {
      raw,
      rawSha256,
      spool,
      // What the peer said in HELO, MAIL and RCPT is stored as text: made safe like any other text from a mail.
      envelope: safeDeep(envelope),
      copies,
      holdSeconds: opts?.holdSeconds ?? 0,
    };
    await new Promise<void>((resolve, reject) => {
      queue.push({ message, resolve, reject });
      if (!writing) void writeBatches();
    });
    onAccepted?.(envelope.transport, copies.length);
    return copies.map(({ messageId, mailboxId, recipient }) => ({
      messageId,
      mailboxId,
      recipient,
      rawSha256: message.rawSha256,
    }));
  };
}
