import { appendEvent, Channel, notify } from "../events/log.ts";
import type { Logger } from "../platform/logger.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import {
  claimReceived,
  completeInbound,
  lockReceived,
  nextInboundSeq,
  type ParsedFields,
  type PendingInbound,
} from "../store/messages.ts";
import { placeInThread } from "../store/threads.ts";
import { parseMessage } from "./parse.ts";

// Short: processing takes milliseconds, and a crashed process's claims come back after this long.
const LEASE_SECONDS = 10;
const BATCH = 16;
const CONCURRENCY = 4;
/** After this many failed attempts the message is made available unparsed: its raw bytes are never lost. */
const MAX_ATTEMPTS = 5;
const SWEEP_MS = 5000;

export interface InboundProcessor {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Processes everything pending now; resolves when the queue is empty (used by tests and at start). */
  drain(): Promise<void>;
}

/** Turns accepted raw messages into available, threaded messages; resumes whatever a crash left behind. */
export function createInboundProcessor(deps: { db: Db; blobs: BlobStore; logger: Logger }): InboundProcessor {
  const { db, logger } = deps;
  let running = false;
  let pass: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let unlisten: (() => Promise<void>) | null = null;

  async function processOne(p: PendingInbound): Promise<void> {
    let fields: ParsedFields;
    try {
      const raw = await deps.blobs.get(p.raw_sha256);
      const m = await parseMessage(raw);
      fields = {
        internetMessageId: m.messageId,
        sender: m.from?.address ?? null,
        senderName: m.from?.name || null,
        to: m.to.map((a) => a.address),
        cc: m.cc.map((a) => a.address),
        replyTo: m.replyTo.map((a) => a.address),
        subject: m.subject,
        sentAt: m.date,
        inReplyTo: m.inReplyTo,
        references: m.references,
        text: m.text,
        html: m.html,
        attachments: m.attachments,
        parseError: null,
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (p.process_attempts < MAX_ATTEMPTS) {
        logger.warn("inbound processing failed; will retry", { message_id: p.id, err: message });
        return;
      }
      logger.error("inbound message could not be parsed; made available raw", {
        message_id: p.id,
        err: message,
      });
      fields = emptyFields(`could not parse message: ${message}`);
    }
    await db.tx(async (sql) => {
      if (!(await lockReceived(sql, p.id))) return; // another worker finished it after our lease expired
      const seq = await nextInboundSeq(sql, p.mailbox_id);
      const threadId = await placeInThread(sql, {
        accountId: p.account_id,
        mailboxId: p.mailbox_id,
        subject: fields.subject,
        inReplyTo: fields.inReplyTo,
        references: fields.references,
        sender: fields.sender,
        participants: [fields.sender, ...fields.to, ...fields.cc].filter((a): a is string => Boolean(a)),
        at: new Date(),
      });
      const row = await completeInbound(sql, p.id, fields, { threadId, inboundSeq: seq, state: "available" });
      await appendEvent(sql, {
        accountId: p.account_id,
        mailboxId: p.mailbox_id,
        type: "message.received",
        data: { message_id: row.id, thread_id: threadId, sender: row.sender, subject: row.subject },
      });
      await notify(sql, Channel.inbound, p.mailbox_id);
    });
  }

  async function runPass(): Promise<void> {
    for (;;) {
      const batch = await claimReceived(db, BATCH, LEASE_SECONDS);
      if (batch.length === 0) return;
      // Mailboxes in parallel, each mailbox's messages in arrival order: wait() then sees them in that order.
      const lanes = new Map<string, PendingInbound[]>();
      for (const p of batch) lanes.set(p.mailbox_id, [...(lanes.get(p.mailbox_id) ?? []), p]);
      const queue = [...lanes.values()];
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
          for (let lane = queue.shift(); lane; lane = queue.shift()) {
            for (const p of lane) {
              await processOne(p).catch((err) =>
                logger.error("inbound processing error", { message_id: p.id, err: String(err) }),
              );
            }
          }
        }),
      );
    }
  }

  function kick(): Promise<void> {
    if (pass) {
      again = true;
      return pass;
    }
    pass = (async () => {
      do {
        again = false;
        await runPass().catch((err) => logger.error("inbound pass failed", { err: String(err) }));
      } while (again && running);
    })().finally(() => {
      pass = null;
    });
    return pass;
  }

  return {
    async start() {
      running = true;
      unlisten = await db.listen(Channel.received, () => void kick());
      // Sweep for leases left by a crashed process and retries after failures.
      timer = setInterval(() => void kick(), SWEEP_MS);
      timer.unref();
      void kick();
    },
    async stop() {
      running = false;
      if (timer) clearInterval(timer);
      await unlisten?.();
      await pass;
    },
    async drain() {
      await kick();
      while (pass) await pass;
    },
  };
}

function emptyFields(parseError: string): ParsedFields {
  return {
    internetMessageId: null,
    sender: null,
    senderName: null,
    to: [],
    cc: [],
    replyTo: [],
    subject: null,
    sentAt: null,
    inReplyTo: null,
    references: [],
    text: null,
    html: null,
    attachments: [],
    parseError,
  };
}
