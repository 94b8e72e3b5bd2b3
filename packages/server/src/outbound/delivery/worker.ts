import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../../domain/clock.ts";
import { nextAttemptAt } from "../../domain/retry-schedule.ts";
import { verdictOfDelivery } from "../../domain/verdict.ts";
import { verpAddress } from "../../domain/verp.ts";
import { createWorkLoop, type WorkLoop } from "../../jobs/runner.ts";
import type { Logger } from "../../platform/logger.ts";
import type { Metrics } from "../../platform/metrics.ts";
import type { BlobStore } from "../../store/blobs.ts";
import { Channel } from "../../store/channels.ts";
import type { Db, Sql } from "../../store/db.ts";
import {
  CANCELLED_MAILBOX_DELETED,
  type ClaimedDelivery,
  cancelClaimedDelivery,
  claimDeliveries,
  finishAttempt,
  secondsUntilNextDue,
} from "../../store/deliveries.ts";
import { appendEvent } from "../../store/events.ts";
import { lockMessage } from "../../store/messages.ts";
import { settleMessage } from "./settle.ts";
import type { DeliveryResult, Transport } from "./transport.ts";

const BATCH = 20;
const CONCURRENCY = 10;
/** Upper bound on sleeping between passes, so expired leases of crashed workers are picked up. */
const MAX_SLEEP_MS = 30_000;

export type DeliveryWorker = WorkLoop;

export interface DeliveryWorkerDeps {
  db: Db;
  blobs: BlobStore;
  logger: Logger;
  /** Delivers to a remote host; local recipients are handled by `local`. */
  transport: Transport;
  /** Delivers to a mailbox of this installation, or null when the recipient is not ours. */
  local: (raw: Buffer, envelope: { from: string; to: string }) => Promise<DeliveryResult | null>;
  schedule: number[];
  maxAgeMs: number;
  leaseSeconds: number;
  /** The installation's domain: each delivery's return path is bounces+<delivery id>@<the mailbox's domain> (VERP). */
  domain: string;
  /** The time retries and the maximum age are decided by (default: the system's). */
  clock?: Clock;
  metrics?: Pick<Metrics, "deliveryAttempt">;
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const { db, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const worker = `w-${randomUUID().slice(0, 8)}`;

  /** The message follows its deliveries; a state the machine refuses is left as it was, and logged. */
  async function settle(sql: Sql, messageId: string): Promise<void> {
    if (!(await settleMessage(sql, messageId, "delivery")))
      logger.warn("message state not settled: the state machine refuses it", { message_id: messageId });
  }

  async function deliverOne(d: ClaimedDelivery): Promise<void> {
    if (d.mailbox_deleted) {
      // Nothing goes out in the name of a deleted mailbox, retries included.
      await db.tx(async (sql) => {
        await lockMessage(sql, d.message_id);
        if (await cancelClaimedDelivery(sql, { id: d.id, worker }, CANCELLED_MAILBOX_DELETED))
          await settle(sql, d.message_id);
      });
      return;
    }
    const startedAt = clock.now();
    let result: DeliveryResult;
    try {
      const raw = await deps.blobs.get(d.raw_sha256);
      // The null reverse path of notifications stays null; everything else gets its own VERP return path.
      const envelope = {
        from: d.mail_from === "" ? "" : verpAddress(d.id, d.mailbox_domain ?? deps.domain),
        to: d.recipient,
      };
      // Mail to our own mailboxes never leaves the process, so it keeps the sending mailbox as its envelope sender:
      // that is whom an auto-reply answers. Only mail that travels needs a VERP return path.
      result =
        (await deps.local(raw, { from: d.mail_from, to: d.recipient })) ??
        (await deps.transport.deliver(raw, envelope));
    } catch (err) {
      result = {
        outcome: "deferred",
        code: null,
        response: `internal error: ${String(err)}`,
        remoteHost: null,
      };
    }
    // Deferred answers are retried on the schedule; accepted and refused ones are final.
    const verdict = verdictOfDelivery(result.outcome);
    const retryAt =
      verdict === "defer"
        ? nextAttemptAt({
            schedule: deps.schedule,
            attempts: d.attempts,
            now: clock.now(),
            firstQueuedAt: d.created_at,
            maxAgeMs: deps.maxAgeMs,
          })
        : null;
    const state = await db.tx(async (sql) => {
      // Lock the message first: deliveries of one message finishing at once must settle its state in turn.
      await lockMessage(sql, d.message_id);
      const row = await finishAttempt(sql, { id: d.id, worker, startedAt }, result, retryAt);
      if (!row) {
        logger.warn("delivery lease lost before completion", { delivery_id: d.id });
        return null;
      }
      const type =
        row.state === "delivered"
          ? "message.delivered"
          : row.state === "bounced"
            ? "message.bounced"
            : "message.delivery_deferred";
      // Service mail (a recipient confirmation) belongs to no mailbox and names no message a key can read.
      if (d.mailbox_id)
        await appendEvent(sql, {
          accountId: d.account_id,
          mailboxId: d.mailbox_id,
          type,
          data: {
            message_id: d.message_id,
            recipient: d.recipient,
            attempts: row.attempts,
            code: result.code,
            response: result.response,
            next_attempt_at: row.state === "queued" ? row.next_attempt_at : null,
          },
        });
      await settle(sql, d.message_id);
      return row.state;
    });
    // A deferral past the maximum age ends bounced: the row's state, not the answer, says how the attempt ended.
    if (state === "queued" || state === "delivered" || state === "bounced")
      deps.metrics?.deliveryAttempt(state === "queued" ? "deferred" : state, d.created_at);
    logger.info("delivery attempt", {
      delivery_id: d.id,
      recipient: d.recipient,
      outcome: result.outcome,
      verdict,
      code: result.code,
      host: result.remoteHost,
    });
  }

  async function runPass(): Promise<void> {
    for (;;) {
      const batch = await claimDeliveries(db, worker, BATCH, deps.leaseSeconds);
      if (batch.length === 0) return;
      const queue = [...batch];
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
          for (let d = queue.shift(); d; d = queue.shift()) {
            await deliverOne(d).catch((err) =>
              logger.error("delivery error", { delivery_id: d?.id, err: String(err) }),
            );
          }
        }),
      );
    }
  }

  const loop = createWorkLoop({
    name: "delivery",
    db,
    channel: Channel.delivery,
    logger,
    pass: runPass,
    async nextDelayMs() {
      const s = await secondsUntilNextDue(db);
      return s === null ? MAX_SLEEP_MS : Math.min(Math.max(s * 1000 + 50, 50), MAX_SLEEP_MS);
    },
  });
  return {
    ...loop,
    async stop() {
      await loop.stop();
      deps.transport.close();
    },
  };
}
