import { randomUUID } from "node:crypto";
import { AppError } from "../domain/errors.ts";
import { htmlToScanText } from "../domain/html-text.ts";
import { type ScanSummary, scanOutbound } from "../domain/outbound-scan.ts";
import { decideSend, type HoldContext, type SendStatus } from "../domain/send-decision.ts";
import { replyReferences, replySubject } from "../domain/threading.ts";
import { appendEvent, Channel, notify } from "../events/log.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db, Sql } from "../store/db.ts";
import { queueDeliveries } from "../store/deliveries.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { insertOutbound, type MessageRow } from "../store/messages.ts";
import { placeInThreads } from "../store/threads.ts";
import { composeMime } from "./compose.ts";

export interface SendRequest {
  mailbox: MailboxRow;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html: string | null;
}

export interface SendResult {
  message_id: string;
  status: SendStatus;
  thread_id: string;
  internet_message_id: string;
  scan: ScanSummary;
  hold_context: HoldContext | null;
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
    req: { text: string; html: string | null; replyAll: boolean },
    idem: Idempotency | null,
  ): Promise<SendResult>;
}

const unique = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))];

/** The stored state of a send by its outcome: only a sent message has deliveries. */
const STATE_OF: Record<SendStatus, string> = {
  sent: "dispatching",
  pending_review: "pending_review",
  quarantined: "quarantined",
  blocked: "blocked",
};

export function createSendService(deps: { db: Db; blobs: BlobStore; domain: string }): SendService {
  const { db } = deps;

  async function storedResult(sql: Sql, accountId: string, idem: Idempotency): Promise<SendResult | null> {
    const [row] = await sql.query<{ request_hash: string; response: SendResult | null }>(
      "select request_hash, response from idempotency_keys where account_id = $1 and key = $2",
      [accountId, idem.key],
    );
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
    },
    idem: Idempotency | null,
  ): Promise<SendResult> {
    if (idem) {
      const prior = await storedResult(db, mailbox.account_id, idem);
      if (prior) return prior;
    }
    const id = randomUUID();
    const from = `${mailbox.name}@${deps.domain}`;
    const internetMessageId = `<${id}@${deps.domain}>`;
    const date = new Date();
    const raw = await composeMime({
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
    });
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
        const claimed = await sql.query(
          `insert into idempotency_keys (account_id, key, request_hash) values ($1, $2, $3)
           on conflict do nothing returning key`,
          [mailbox.account_id, idem.key, idem.requestHash],
        );
        if (claimed.length === 0) {
          const prior = await storedResult(sql, mailbox.account_id, idem);
          if (prior) return prior;
        }
      }
      await sql.query("select id from mailboxes where id = $1 for update", [mailbox.id]);
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
        await queueDeliveries(sql, mailbox.account_id, row.id, unique([...mail.to, ...mail.cc, ...mail.bcc]));
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
      };
      if (idem) {
        await sql.query(
          "update idempotency_keys set response = $3::jsonb, status_code = 200 where account_id = $1 and key = $2",
          [mailbox.account_id, idem.key, JSON.stringify(result)],
        );
      }
      return result;
    });
  }

  return {
    send(req, idem) {
      return dispatch(req.mailbox, { ...req, inReplyTo: null, references: [], threadId: null }, idem);
    },
    reply(parent, mailbox, req, idem) {
      const self = `${mailbox.name}@${deps.domain}`;
      const isSelf = (a: string) => a.toLowerCase() === self;
      let to: string[];
      let cc: string[] = [];
      if (parent.direction === "outbound") {
        // A follow-up to our own message goes to the same people.
        to = parent.to_addrs;
        if (req.replyAll) cc = parent.cc_addrs;
      } else {
        to = parent.reply_to.length > 0 ? parent.reply_to : parent.sender ? [parent.sender] : [];
        if (req.replyAll) cc = [...parent.to_addrs, ...parent.cc_addrs];
      }
      to = unique(to).filter((a) => !isSelf(a));
      cc = unique(cc).filter((a) => !isSelf(a) && !to.includes(a));
      if (to.length === 0 && cc.length === 0) {
        throw new AppError(
          422,
          "NO_REPLY_RECIPIENT",
          "the original message has no sender address to reply to",
        );
      }
      return dispatch(
        mailbox,
        {
          to,
          cc,
          bcc: [],
          subject: replySubject(parent.subject),
          text: req.text,
          html: req.html,
          inReplyTo: parent.internet_message_id,
          references: replyReferences({
            references: parent.references_ids,
            inReplyTo: parent.in_reply_to,
            messageId: parent.internet_message_id,
          }),
          threadId: parent.thread_id,
        },
        idem,
      );
    },
  };
}
