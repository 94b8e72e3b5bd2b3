import { mailboxAddress } from "../domain/address.ts";
import { type Clock, systemClock } from "../domain/clock.ts";
import type { ScannedContent } from "../domain/mail-content.ts";
import { accountSubaddressKey } from "../store/accounts.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import type { MessageRow } from "../store/messages.ts";
import { attachmentsForSend, type SendAttachments } from "./attachments.ts";
import type { DkimKey } from "./dkim/sign.ts";
import { claimSend, priorResult } from "./send/claim.ts";
import { composeAndSign, recomposeHeld } from "./send/compose-sign.ts";
import { scanAndDecide } from "./send/decide.ts";
import {
  checkRecipientCount,
  checkRecipients,
  guardReplyLoop,
  mailboxPaused,
  sendWindowHold,
} from "./send/gates.ts";
import { recordAndQueue } from "./send/queue.ts";
import { replyMail, replyRecipients, requireReplyRecipient } from "./send/reply.ts";
import {
  type Idempotency,
  type OutgoingMail,
  type ReplyRequest,
  type SendRequest,
  type SendResult,
  unique,
} from "./send/types.ts";

export { LOOP_MAX_REPLIES, LOOP_WINDOW_SECONDS } from "./send/gates.ts";
export type { Idempotency, ReplyRequest, SendRequest, SendResult, SendThreading } from "./send/types.ts";

export interface SendService {
  send(req: SendRequest, idem: Idempotency | null): Promise<SendResult>;
  reply(
    parent: MessageRow,
    mailbox: MailboxRow,
    req: ReplyRequest,
    idem: Idempotency | null,
  ): Promise<SendResult>;
  /**
   * A held send's bytes composed again with new content and signed with the mailbox's current key, stored as a
   * blob (a reviewer's revision, outbound/review.ts); the row is the caller's to update.
   */
  recompose(
    held: MessageRow,
    content: ScannedContent,
    attachments: SendAttachments["files"],
  ): Promise<{ raw: Buffer; rawSha256: string }>;
}

export interface SendDeps {
  db: Db;
  blobs: BlobStore;
  domain: string;
  /** The account-wide daily send cap when the account sets none. */
  accountDailyCap?: number;
  /** The DKIM key a mailbox's domain signs with (null domain: the installation's; null key: unsigned). */
  dkim?: (domain: string | null) => Promise<DkimKey | null>;
  clock?: Clock;
}

/**
 * One send, in order: gates → quota and idempotency claim → scan → decide → compose and sign → store the blob →
 * record and queue. Nothing is composed or stored until the send is claimed, so a refused or repeated send leaves
 * no blob behind.
 */
async function dispatch(
  deps: SendDeps,
  mailbox: MailboxRow,
  mail: OutgoingMail,
  idem: Idempotency | null,
): Promise<SendResult> {
  const { db } = deps;
  if (idem) {
    const prior = await priorResult(db, mailbox.account_id, idem);
    if (prior) return prior;
  }
  if (mailbox.status === "paused") throw mailboxPaused(mailbox);
  const recipients = unique([...mail.to, ...mail.cc, ...mail.bcc]);
  checkRecipientCount(recipients.length, Boolean(mail.inReplyTo));
  const origin = mail.autoSubmitted ? "rule" : mail.inReplyTo ? "reply" : "send";
  await checkRecipients({ db }, mailbox, recipients, mail.apiKeyId ?? null, origin, mail.threadId);
  const date = (deps.clock ?? systemClock).now();
  const windowHold = mail.agent ? sendWindowHold(mailbox, date) : null;
  // Loaded before the transaction: a first start generates and stores the key through the database.
  const key = deps.dkim ? await deps.dkim(mailbox.domain) : null;
  const subaddressKey = mail.subaddressInstanceId ? await accountSubaddressKey(db, mailbox.account_id) : null;
  const attachments = await attachmentsForSend(deps, mailbox, mail.attachmentIds ?? [], date);
  return db.tx(async (sql) => {
    const claim = await claimSend(sql, deps, mailbox, idem, date, recipients.length);
    if (claim.prior) return claim.prior;
    const { scan, status, hold } = scanAndDecide(
      mailbox,
      mail,
      windowHold ? [windowHold] : [],
      attachments.findings,
    );
    const composed = await composeAndSign(deps, mailbox, mail, date, key, subaddressKey, attachments.files);
    // Stored before the row that names it: a crash leaves at most an unreferenced blob, never a missing one.
    const rawSha256 = await deps.blobs.put(composed.raw);
    return recordAndQueue(sql, mailbox, {
      mail,
      recipients,
      composed,
      rawSha256,
      date,
      scan,
      status,
      hold,
      attachments,
      sendsRemaining: claim.sendsRemaining,
      dailyLimit: claim.dailyLimit,
      idem,
    });
  });
}

export function createSendService(deps: SendDeps): SendService {
  return {
    async send({ threading, ...req }, idem) {
      if (threading?.automatedParent)
        await guardReplyLoop(
          deps,
          req.mailbox,
          threading.automatedParent.sender,
          threading.automatedParent.why,
        );
      return dispatch(
        deps,
        req.mailbox,
        {
          ...req,
          inReplyTo: threading?.inReplyTo ?? null,
          references: threading?.references ?? [],
          threadId: threading?.threadId ?? null,
        },
        idem,
      );
    },
    async reply(parent, mailbox, req, idem) {
      const { to, cc } = replyRecipients(parent, mailboxAddress(mailbox, deps.domain), req);
      if (!req.automatic && parent.direction === "inbound" && parent.auto_submitted && parent.sender)
        await guardReplyLoop(deps, mailbox, parent.sender, parent.auto_submitted);
      requireReplyRecipient(to, cc, Boolean(req.automatic));
      return dispatch(deps, mailbox, replyMail(parent, { to, cc }, req), idem);
    },
    async recompose(held, content, attachments) {
      const original = await deps.blobs.get(held.raw_sha256);
      // The key of the domain the message's From is at (the mailbox's domain when it was sent).
      const fromDomain = held.sender?.split("@").pop()?.toLowerCase() ?? null;
      const key = deps.dkim ? await deps.dkim(fromDomain === deps.domain ? null : fromDomain) : null;
      const raw = await recomposeHeld(held, original, content, key, attachments);
      // Stored before the row names it: a failure leaves at most an unreferenced blob for the sweep.
      return { raw, rawSha256: await deps.blobs.put(raw) };
    },
  };
}
