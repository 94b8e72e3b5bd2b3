import { appendEvents, Channel, notify } from "../events/log.ts";
import type { Logger } from "../platform/logger.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import {
  claimReceived,
  completeInbound,
  lockReceived,
  type ParsedFields,
  type PendingInbound,
  reserveInboundSeqs,
  spooledRaws,
  unspool,
} from "../store/messages.ts";
import { placeInThread } from "../store/threads.ts";
import { parseMessage } from "./parse.ts";

// Short: processing takes milliseconds, and a crashed process's claims come back after this long.
const LEASE_SECONDS = 10;
const BATCH = 64;
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

interface Prepared {
  p: PendingInbound;
  fields: ParsedFields;
}

/**
 * Turns accepted raw messages into available, threaded messages; resumes whatever a crash left behind.
 * Work goes in lanes, one per mailbox: lanes run side by side, and a lane's messages are parsed together and
 * committed in one transaction in arrival order, so wait() sees a mailbox's mail in the order it came.
 */
export function createInboundProcessor(deps: { db: Db; blobs: BlobStore; logger: Logger }): InboundProcessor {
  const { db, logger } = deps;
  let running = false;
  let pass: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let unlisten: (() => Promise<void>) | null = null;

  /** Blob store, then parse. Null means "not now": the claim lapses and the message is tried again. */
  async function prepare(p: PendingInbound, spooled: Buffer | undefined): Promise<Prepared | null> {
    let raw: Buffer;
    try {
      raw = spooled ?? (await deps.blobs.get(p.raw_sha256));
      // Into the blob store first (fsynced); the spool copy is dropped only when the lane commits.
      await deps.blobs.put(raw);
    } catch (err) {
      // Storage trouble is never a reason to give up on a message.
      logger.error("could not move inbound message to the blob store; will retry", {
        message_id: p.id,
        err: String(err),
      });
      return null;
    }
    try {
      const m = await parseMessage(raw);
      return {
        p,
        fields: {
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
        },
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (p.process_attempts < MAX_ATTEMPTS) {
        logger.warn("inbound processing failed; will retry", { message_id: p.id, err: message });
        return null;
      }
      logger.error("inbound message could not be parsed; made available raw", {
        message_id: p.id,
        err: message,
      });
      return { p, fields: emptyFields(`could not parse message: ${message}`) };
    }
  }

  async function processLane(lane: PendingInbound[]): Promise<void> {
    const spooled = await spooledRaws(
      db,
      lane.map((p) => p.id),
    );
    const prepared = (await Promise.all(lane.map((p) => prepare(p, spooled.get(p.id))))).filter(
      (x): x is Prepared => x !== null,
    );
    if (prepared.length === 0) return;
    const mailboxId = prepared[0]!.p.mailbox_id;
    await db.tx(async (sql) => {
      const pending = await lockReceived(
        sql,
        prepared.map((x) => x.p.id),
      );
      const todo = prepared.filter((x) => pending.has(x.p.id));
      if (todo.length === 0) return;
      let seq = await reserveInboundSeqs(sql, mailboxId, todo.length);
      const events = [];
      for (const { p, fields } of todo) {
        const threadId = await placeInThread(sql, {
          accountId: p.account_id,
          mailboxId,
          subject: fields.subject,
          inReplyTo: fields.inReplyTo,
          references: fields.references,
          sender: fields.sender,
          participants: [fields.sender, ...fields.to, ...fields.cc].filter((a): a is string => Boolean(a)),
          at: new Date(),
        });
        const row = await completeInbound(sql, p.id, fields, {
          threadId,
          inboundSeq: seq++,
          state: "available",
        });
        events.push({
          accountId: p.account_id,
          mailboxId,
          type: "message.received",
          data: { message_id: row.id, thread_id: threadId, sender: row.sender, subject: row.subject },
        });
      }
      await unspool(
        sql,
        todo.map((x) => x.p.id),
      );
      await appendEvents(sql, events);
      await notify(sql, Channel.inbound, mailboxId);
    });
  }

  async function runPass(): Promise<void> {
    for (;;) {
      const batch = await claimReceived(db, BATCH, LEASE_SECONDS);
      if (batch.length === 0) return;
      const lanes = new Map<string, PendingInbound[]>();
      for (const p of batch) lanes.set(p.mailbox_id, [...(lanes.get(p.mailbox_id) ?? []), p]);
      const queue = [...lanes.values()];
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
          for (let lane = queue.shift(); lane; lane = queue.shift()) {
            await processLane(lane).catch((err) =>
              logger.error("inbound processing error", {
                mailbox_id: lane?.[0]?.mailbox_id,
                err: String(err),
              }),
            );
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
