import { randomUUID } from "node:crypto";
import { autoReplySubject, autoReplyTarget } from "../domain/auto-reply.ts";
import { AppError } from "../domain/errors.ts";
import { htmlToScanText } from "../domain/html-text.ts";
import { type ScanSummary, scanOutbound } from "../domain/outbound-scan.ts";
import { coveringEntry, lookupKeys, MAX_RECIPIENTS, quotaVerdict } from "../domain/recipient-controls.ts";
import { decideSend, type HoldContext, type SendStatus } from "../domain/send-decision.ts";
import { replyReferences, replySubject } from "../domain/threading.ts";
import { accountDailySendCap } from "../store/accounts.ts";
import type { BlobStore } from "../store/blobs.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db, Sql } from "../store/db.ts";
import { queueDeliveries } from "../store/deliveries.ts";
import { appendEvent } from "../store/events.ts";
import { claimIdempotencyKey, findIdempotencyKey, saveIdempotentResponse } from "../store/idempotency.ts";
import { lockLiveMailbox, type MailboxRow } from "../store/mailboxes.ts";
import { insertOutbound, type MessageRow, recentSendsTo } from "../store/messages.ts";
import {
  activeSuppressions,
  allowlisted,
  countSend,
  recordBlockedAttempt,
} from "../store/recipient-controls.ts";
import { placeInThreads } from "../store/threads.ts";
import { composeMime } from "./compose.ts";
import { type DkimKey, dkimSignMessage } from "./dkim.ts";

export interface SendRequest {
  mailbox: MailboxRow;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html: string | null;
  /** The key that asked, for the record of sends the allowlist refused. */
  apiKeyId?: string | null;
  /** Set for mail no person wrote (rule forwards): RFC 3834 Auto-Submitted. */
  autoSubmitted?: "auto-replied" | "auto-generated";
}

export interface SendResult {
  message_id: string;
  status: SendStatus;
  thread_id: string;
  internet_message_id: string;
  scan: ScanSummary;
  hold_context: HoldContext | null;
  /** Recipients left in the tightest quota window after this send (null when no window applies). */
  sends_remaining: number | null;
}

export interface Idempotency {
  key: string;
  requestHash: string;
}

export interface SendService {
  send(req: SendRequest, idem: Idempotency | null): Promise<SendResult>;
  reply(
    parent: MessageRow,
    mailbox: MailboxRow,
    req: {
      text: string;
      html: string | null;
      replyAll: boolean;
      apiKeyId?: string | null;
      /**
       * An automatic reply (a rule's auto_reply): to the envelope sender only, marked Auto-Submitted, exempt from
       * the agent loop guard.
       */
      automatic?: boolean;
      /** An automatic reply's Subject (default: "Re: " and the original's, cleaned and cut short). */
      subject?: string;
    },
    idem: Idempotency | null,
  ): Promise<SendResult>;
}

/** The reply loop guard: this many replies to one automated sender within the window, then 429. */
export const LOOP_MAX_REPLIES = 3;
export const LOOP_WINDOW_SECONDS = 600;

const unique = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))];

/** The stored state of a send by its outcome: only a sent message has deliveries. */
const STATE_OF: Record<SendStatus, string> = {
  sent: "dispatching",
  pending_review: "pending_review",
  quarantined: "quarantined",
  blocked: "blocked",
};

export function createSendService(deps: {
  db: Db;
  blobs: BlobStore;
  domain: string;
  /** The account-wide daily send cap when the account sets none. */
  accountDailyCap?: number;
  /** The DKIM key outbound mail is signed with (null: unsigned). */
  dkim?: () => Promise<DkimKey | null>;
}): SendService {
  const { db } = deps;

  /**
   * The recipient gates, before anything is composed: suppressions first (a bounced or complaining address is
   * never mailed, whatever the allowlist says), then the mailbox's allowlist. Refusals are errors the caller sees.
   */
  async function checkRecipients(mailbox: MailboxRow, recipients: string[], apiKeyId: string | null) {
    const suppressed = await activeSuppressions(db, mailbox.account_id, lookupKeys(recipients));
    if (suppressed.length) {
      const byEntry = new Map(suppressed.map((r) => [r.email, r]));
      for (const r of recipients) {
        const entry = coveringEntry(r, new Set(byEntry.keys()));
        if (!entry) continue;
        const row = byEntry.get(entry)!;
        throw new AppError(
          403,
          "RECIPIENT_SUPPRESSED",
          `${r} is on the suppression list (${row.reason}${entry !== r.toLowerCase() ? `, via ${entry}` : ""}); ` +
            "remove it from the list (DELETE /v1/suppressions/:email) only if you know it receives mail again",
          { email: r.toLowerCase(), entry, reason: row.reason },
        );
      }
    }
    if (mailbox.recipient_policy !== "allowlist") return;
    const allowed = await allowlisted(db, mailbox.id, lookupKeys(recipients));
    const off = recipients.filter((r) => !coveringEntry(r, allowed)).map((r) => r.toLowerCase());
    if (off.length === 0) return;
    await db.tx(async (sql) => {
      for (const email of off) {
        const first = await recordBlockedAttempt(sql, {
          accountId: mailbox.account_id,
          mailboxId: mailbox.id,
          email,
          apiKeyId,
        });
        // At most one event a minute per mailbox and recipient: a looping agent makes one, not hundreds.
        if (first)
          await appendEvent(sql, {
            accountId: mailbox.account_id,
            mailboxId: mailbox.id,
            type: "recipient_allowlist.blocked_attempt",
            data: { recipient: email, api_key_id: apiKeyId },
          });
      }
    });
    throw new AppError(
      403,
      "RECIPIENT_NOT_ON_ALLOWLIST",
      `this mailbox may only send to its allowlist; not on it: ${off.join(", ")}. An admin can add them ` +
        `(POST /v1/mailboxes/${mailbox.name}/allowlist); retrying will not help`,
      { emails: off },
    );
  }

  /**
   * An agent answering an automated sender again and again is in a loop (two bots talking): past
   * LOOP_MAX_REPLIES replies to it within LOOP_WINDOW_SECONDS, further replies are refused.
   */
  async function guardReplyLoop(mailbox: MailboxRow, sender: string, why: string) {
    const n = await recentSendsTo(db, mailbox.id, sender.toLowerCase(), LOOP_WINDOW_SECONDS);
    if (n >= LOOP_MAX_REPLIES)
      throw new AppError(
        429,
        "REPLY_LOOP_DETECTED",
        `this mailbox already replied ${n} times in ${LOOP_WINDOW_SECONDS / 60} minutes to ${sender}, which is ` +
          `automated (${why}); replying again would continue a loop between machines. Do not retry this reply`,
        { sender, replies_in_window: n, window_seconds: LOOP_WINDOW_SECONDS, automated_because: why },
      );
  }

  /**
   * Counts the send's recipients in every quota window (a message to ten people uses ten); a window it overflows
   * refuses it with 429 (the transaction rolls back).
   */
  async function chargeQuota(
    sql: Sql,
    mailbox: MailboxRow,
    now: Date,
    recipients: number,
  ): Promise<number | null> {
    const cap = (await accountDailySendCap(sql, mailbox.account_id)) ?? deps.accountDailyCap ?? null;
    const windows = [
      ...mailbox.send_quotas.map((w) => ({ scope: "mailbox" as const, key: mailbox.id, w })),
      ...(cap !== null
        ? [{ scope: "account" as const, key: mailbox.account_id, w: { window_seconds: 86400, limit: cap } }]
        : []),
    ];
    const verdict = quotaVerdict(await countSend(sql, windows, now, recipients), now, recipients);
    if (verdict.exceeded) {
      const e = verdict.exceeded;
      throw new AppError(
        429,
        "RATE_LIMITED",
        `${e.scope === "account" ? "the account's daily send cap" : "this mailbox's send quota"} of ${e.limit} ` +
          `recipients per ${e.window_seconds} s ${e.remaining > 0 ? `has ${e.remaining} left, fewer than this send's ${recipients}` : "is used up"}; ` +
          `it resets at ${e.reset_at}`,
        {
          limit: e.limit,
          remaining: e.remaining,
          recipients,
          reset_at: e.reset_at,
          window_seconds: e.window_seconds,
          scope: e.scope,
        },
        { "retry-after": String(e.retry_after_seconds) },
      );
    }
    return verdict.remaining;
  }

  async function storedResult(sql: Sql, accountId: string, idem: Idempotency): Promise<SendResult | null> {
    const row = await findIdempotencyKey<SendResult>(sql, accountId, idem.key);
    if (!row) return null;
    if (row.request_hash !== idem.requestHash) {
      throw new AppError(
        409,
        "IDEMPOTENCY_KEY_REUSED",
        "this Idempotency-Key was already used with a different request; use a new key for a new request",
      );
    }
    return row.response;
  }

  async function dispatch(
    mailbox: MailboxRow,
    mail: {
      to: string[];
      cc: string[];
      bcc: string[];
      subject: string;
      text: string;
      html: string | null;
      inReplyTo: string | null;
      references: string[];
      threadId: string | null;
      apiKeyId?: string | null;
      autoSubmitted?: "auto-replied" | "auto-generated";
    },
    idem: Idempotency | null,
  ): Promise<SendResult> {
    if (idem) {
      const prior = await storedResult(db, mailbox.account_id, idem);
      if (prior) return prior;
    }
    const recipients = unique([...mail.to, ...mail.cc, ...mail.bcc]);
    // Here, not in a route: API sends, replies, reply-all, drafts and rules all pass through this one check.
    if (recipients.length > MAX_RECIPIENTS)
      throw new AppError(
        400,
        "TOO_MANY_RECIPIENTS",
        `a message may have at most ${MAX_RECIPIENTS} recipients (to, cc and bcc together); this one has ` +
          `${recipients.length}${mail.inReplyTo ? ": reply without reply_all, or send to fewer people" : ""}`,
        { recipients: recipients.length, limit: MAX_RECIPIENTS },
      );
    await checkRecipients(mailbox, recipients, mail.apiKeyId ?? null);
    const id = randomUUID();
    const from = `${mailbox.name}@${deps.domain}`;
    const internetMessageId = `<${id}@${deps.domain}>`;
    const date = new Date();
    const composed = await composeMime({
      from: { address: from, name: mailbox.display_name },
      to: mail.to,
      cc: mail.cc,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: internetMessageId,
      date,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      autoSubmitted: mail.autoSubmitted,
    });
    // Signed as composed: the stored bytes are exactly what every delivery sends.
    const key = deps.dkim ? await deps.dkim() : null;
    const raw = key ? await dkimSignMessage(composed, key) : composed;
    const sha = await deps.blobs.put(raw);
    // Scanned before anything is stored: what the agent wrote, subject and both bodies.
    const scan = scanOutbound(
      [mail.subject, mail.text, mail.html ? htmlToScanText(mail.html) : ""].join("\n"),
      mailbox.scanner_policy.outbound_pii_policy,
    );
    const { status, hold } = decideSend(scan, mailbox.hitl_mode);
    const publicScan: ScanSummary = { verdict: scan.verdict, findings: scan.findings };
    return db.tx(async (sql) => {
      if (idem) {
        // The insert waits for a concurrent request with the same key to commit, then sees its row.
        if (!(await claimIdempotencyKey(sql, mailbox.account_id, idem.key, idem.requestHash))) {
          const prior = await storedResult(sql, mailbox.account_id, idem);
          if (prior) return prior;
        }
      }
      // The lock orders this send against the mailbox's deletion: nothing is sent from a deleted mailbox.
      if (!(await lockLiveMailbox(sql, mailbox.id)))
        throw new AppError(
          409,
          "MAILBOX_DELETED",
          `the mailbox ${mailbox.name} was deleted; nothing more is sent from it`,
        );
      const sendsRemaining = await chargeQuota(sql, mailbox, date, recipients.length);
      const [placed] = await placeInThreads(
        sql,
        { accountId: mailbox.account_id, mailboxId: mailbox.id, at: date },
        [
          {
            internetMessageId,
            subject: mail.subject,
            inReplyTo: mail.inReplyTo,
            references: mail.references,
            sender: from,
            participants: [from, ...mail.to, ...mail.cc],
            knownThreadId: mail.threadId,
          },
        ],
      );
      const threadId = placed!;
      const row = await insertOutbound(sql, {
        id,
        accountId: mailbox.account_id,
        mailboxId: mailbox.id,
        rawSha256: sha,
        rawSize: raw.length,
        internetMessageId,
        sender: from,
        senderName: mailbox.display_name,
        to: mail.to,
        cc: mail.cc,
        bcc: mail.bcc,
        subject: mail.subject,
        sentAt: date,
        threadId,
        inReplyTo: mail.inReplyTo,
        references: mail.references,
        text: mail.text,
        html: mail.html,
        state: STATE_OF[status],
        scan: publicScan,
        holdContext: hold,
      });
      if (status === "sent") {
        await queueDeliveries(sql, mailbox.account_id, row.id, recipients);
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
        internet_message_id: internetMessageId,
        scan: publicScan,
        hold_context: hold,
        sends_remaining: sendsRemaining,
      };
      if (idem) {
        await saveIdempotentResponse(sql, mailbox.account_id, idem.key, result);
      }
      return result;
    });
  }

  return {
    send(req, idem) {
      return dispatch(req.mailbox, { ...req, inReplyTo: null, references: [], threadId: null }, idem);
    },
    async reply(parent, mailbox, req, idem) {
      const self = `${mailbox.name}@${deps.domain}`;
      const isSelf = (a: string) => a.toLowerCase() === self;
      let to: string[];
      let cc: string[] = [];
      if (req.automatic) {
        // RFC 3834 §3.1: an automatic reply goes to the envelope sender alone, never to Reply-To or the other
        // recipients, which whoever wrote the message chose.
        const target = autoReplyTarget(parent.envelope);
        to = target ? [target] : [];
      } else if (parent.direction === "outbound") {
        // A follow-up to our own message goes to the same people.
        to = parent.to_addrs;
        if (req.replyAll) cc = parent.cc_addrs;
      } else {
        to = parent.reply_to.length > 0 ? parent.reply_to : parent.sender ? [parent.sender] : [];
        if (req.replyAll) cc = [...parent.to_addrs, ...parent.cc_addrs];
      }
      to = unique(to).filter((a) => !isSelf(a));
      cc = unique(cc).filter((a) => !isSelf(a) && !to.includes(a));
      if (!req.automatic && parent.direction === "inbound" && parent.auto_submitted && parent.sender)
        await guardReplyLoop(mailbox, parent.sender, parent.auto_submitted);
      if (to.length === 0 && cc.length === 0) {
        throw new AppError(
          422,
          "NO_REPLY_RECIPIENT",
          req.automatic
            ? "the message has no envelope sender (null return path) to reply to automatically"
            : "the original message has no sender address to reply to",
        );
      }
      return dispatch(
        mailbox,
        {
          to,
          cc,
          bcc: [],
          subject: req.automatic
            ? autoReplySubject(parent.subject, req.subject)
            : replySubject(parent.subject),
          text: req.text,
          html: req.html,
          inReplyTo: parent.internet_message_id,
          references: replyReferences({
            references: parent.references_ids,
            inReplyTo: parent.in_reply_to,
            messageId: parent.internet_message_id,
          }),
          threadId: parent.thread_id,
          apiKeyId: req.apiKeyId ?? null,
          autoSubmitted: req.automatic ? "auto-replied" : undefined,
        },
        idem,
      );
    },
  };
}
