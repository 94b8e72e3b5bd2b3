import { type Clock, systemClock } from "../domain/clock.ts";
import { createWorkLoop, type WorkLoop } from "../jobs/runner.ts";
import type { Metrics } from "../platform/metrics.ts";
import { Channel } from "../store/channels.ts";
import { claimReceived, type PendingInbound, spooledRaws } from "../store/messages.ts";
import { asError, settleFailure } from "./pipeline/failure.ts";
import { commitLane, type LaneOutcome, prepareMessage } from "./pipeline/runner.ts";
import type { PipelineDeps, Prepared } from "./pipeline/types.ts";

// Short: processing takes milliseconds, and a crashed process's claims come back after this long.
const LEASE_SECONDS = 10;
const BATCH = 64;
/** Raw bytes claimed at once (at least one message): with two claims in flight, what bounds memory. */
const BATCH_BYTES = 32 * 1024 * 1024;
const CONCURRENCY = 4;
const SWEEP_MS = 5000;

export type InboundProcessor = WorkLoop;

/**
 * Turns accepted raw messages into available, threaded messages; resumes whatever a crash left behind. The work
 * loop around the pipeline (inbound/pipeline/runner.ts): claim, prepare, commit.
 * Work goes in lanes, one per mailbox: lanes run side by side, and a lane's messages are parsed together and
 * committed in one transaction in arrival order, so wait() sees a mailbox's mail in the order it came.
 */
export function createInboundProcessor(
  deps: Omit<PipelineDeps, "maxAttempts" | "clock"> & {
    /** Attempts before a message that keeps failing ends `failed` (default 5). */
    maxAttempts?: number;
    clock?: Clock;
    metrics?: Pick<Metrics, "processed">;
  },
): InboundProcessor {
  const pipeline: PipelineDeps = {
    ...deps,
    maxAttempts: deps.maxAttempts ?? 5,
    clock: deps.clock ?? systemClock,
  };
  const { db, logger } = pipeline;

  const counted = (outcomes: LaneOutcome[]) => {
    for (const o of outcomes) deps.metrics?.processed(o.state ?? "refused", o.p.created_at);
  };
  const failed = async (p: PendingInbound, err: Error) => {
    if ((await settleFailure(pipeline, p, err)) === "failed") deps.metrics?.processed("failed", p.created_at);
  };

  /** The last commit queued per mailbox: a lane prepared early still commits after the lanes claimed before it. */
  const commits = new Map<string, Promise<void>>();

  async function processLane(lane: PendingInbound[]): Promise<void> {
    const mailboxId = lane[0]!.mailbox_id;
    const previous = commits.get(mailboxId) ?? Promise.resolve();
    let done: () => void = () => {};
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    commits.set(mailboxId, mine);
    try {
      const spooled = await spooledRaws(
        db,
        lane.map((p) => p.id),
      );
      const outcomes = await Promise.all(lane.map((p) => prepareMessage(pipeline, p, spooled.get(p.id))));
      spooled.clear();
      const prepared: Prepared[] = [];
      for (const [i, o] of outcomes.entries()) {
        if (o instanceof Error) await failed(lane[i]!, o);
        else if (o) prepared.push(o);
      }
      await previous;
      await commitIsolated(mailboxId, prepared);
    } finally {
      done();
      if (commits.get(mailboxId) === mine) commits.delete(mailboxId);
    }
  }

  /**
   * The lane in one transaction; if that fails, each message in its own, in order, so one message the database
   * refuses cannot hold up the others.
   */
  async function commitIsolated(mailboxId: string, prepared: Prepared[]): Promise<void> {
    if (prepared.length === 0) return;
    try {
      counted(await commitLane(pipeline, mailboxId, prepared));
      return;
    } catch (err) {
      if (prepared.length === 1) return failed(prepared[0]!.p, asError(err));
      logger.warn("inbound batch failed to commit; committing its messages one by one", {
        mailbox_id: mailboxId,
        messages: prepared.length,
        err: String(err),
      });
    }
    for (const x of prepared) {
      try {
        counted(await commitLane(pipeline, mailboxId, [x]));
      } catch (err) {
        await failed(x.p, asError(err));
      }
    }
  }

  async function processBatch(batch: PendingInbound[]): Promise<void> {
    const lanes = new Map<string, PendingInbound[]>();
    for (const p of batch) lanes.set(p.mailbox_id, [...(lanes.get(p.mailbox_id) ?? []), p]);
    const queue = [...lanes.values()];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let lane = queue.shift(); lane; lane = queue.shift()) {
          await processLane(lane).catch((err) =>
            logger.error("inbound processing error", { mailbox_id: lane?.[0]?.mailbox_id, err: String(err) }),
          );
        }
      }),
    );
  }

  /** Two batches in flight: the next one is read, stored and parsed while the previous one commits. */
  async function runPass(isRunning: () => boolean): Promise<void> {
    const inflight: Promise<void>[] = [];
    try {
      for (;;) {
        if (!isRunning()) return;
        const batch = await claimReceived(db, {
          limit: BATCH,
          maxBytes: BATCH_BYTES,
          leaseSeconds: LEASE_SECONDS,
        });
        if (batch.length === 0) return;
        inflight.push(processBatch(batch));
        if (inflight.length >= 2) await inflight.shift();
      }
    } finally {
      await Promise.all(inflight);
    }
  }

  return createWorkLoop({
    name: "inbound",
    db,
    channel: Channel.received,
    logger,
    pass: runPass,
    // Also sweep now and then for leases left by a crashed process and for retries after failures.
    nextDelayMs: async () => SWEEP_MS,
  });
}
