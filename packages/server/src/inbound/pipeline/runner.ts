import { transition } from "../../domain/message-state.ts";
import type { PendingInbound } from "../../store/messages.ts";
import { asError } from "./failure.ts";
import { deliver, firewall, injection, language, lockPending, mailPolicy } from "./guards.ts";
import { authenticateSender, parse, scoreInjection, storeAttachmentBlobs, storeRaw } from "./prepare.ts";
import {
  announce,
  markEchoes,
  numberKept,
  placeVisibleInThreads,
  queueRules,
  recordFirewallBlocks,
  settlePolicy,
  storeKept,
  unspoolKept,
} from "./settle.ts";
import type {
  Guard,
  KeptState,
  Lane,
  LaneStep,
  PipelineDeps,
  Prepared,
  PrepareStep,
  Preparing,
  Ruling,
} from "./types.ts";

/**
 * The life of an inbound message, step by step. Preparing runs per message, side by side and outside any
 * transaction; then a mailbox's prepared messages go through the lane steps together, in one transaction.
 */
export const PREPARE: { name: string; run: PrepareStep }[] = [
  { name: "store_raw", run: storeRaw },
  { name: "authenticate_sender", run: authenticateSender },
  { name: "parse", run: parse },
  { name: "store_attachments", run: storeAttachmentBlobs },
  { name: "score_injection", run: scoreInjection },
];

/**
 * In order. A guard sees only the messages no earlier guard stopped, and may stop some with a verdict (firewall:
 * reject, kept blocked; MailPolicy: reject or drop, not kept; injection and language: quarantine; deliver: accept,
 * available);
 * the other steps act on all of them as the guards left them. The order of the SQL is the order of the locks.
 */
export const LANE: ({ name: string; guard: Guard } | { name: string; run: LaneStep })[] = [
  { name: "lock_pending", run: lockPending },
  { name: "firewall", guard: firewall },
  { name: "mail_policy", guard: mailPolicy },
  { name: "record_firewall_blocks", run: recordFirewallBlocks },
  { name: "number_kept", run: numberKept },
  { name: "injection", guard: injection },
  { name: "language", guard: language },
  { name: "deliver", guard: deliver },
  { name: "place_in_threads", run: placeVisibleInThreads },
  { name: "mark_echoes", run: markEchoes },
  { name: "store", run: storeKept },
  { name: "queue_rules", run: queueRules },
  { name: "unspool", run: unspoolKept },
  { name: "settle_policy", run: settlePolicy },
  { name: "announce", run: announce },
];

/**
 * Runs the preparing steps for one message. Null means "not now": the message is tried again later. A message
 * that cannot be prepared comes back as an Error.
 */
export async function prepareMessage(
  deps: PipelineDeps,
  p: PendingInbound,
  spooled: Buffer | undefined,
): Promise<Prepared | Error | null> {
  const m: Preparing = { p, spooled };
  for (const step of PREPARE) {
    try {
      if ((await step.run(deps, m)) === "later") return null;
    } catch (err) {
      return asError(err);
    }
  }
  return { p, raw: m.raw!, fields: m.fields!, auth: m.auth!, injection: m.injection! };
}

/** How the lane left each message it still held at the end: its kept state, or null (refused, not kept). */
export type LaneOutcome = { p: Prepared["p"]; state: KeptState | null };

/** Runs the lane steps for one mailbox's prepared messages, in one transaction; returns how each ended. */
export async function commitLane(
  deps: PipelineDeps,
  mailboxId: string,
  prepared: Prepared[],
): Promise<LaneOutcome[]> {
  return deps.db.tx(async (sql) => {
    const lane: Lane = {
      sql,
      accountId: prepared[0]!.p.account_id,
      mailboxId,
      // Fresh each attempt: a lane committed again message by message starts from what was prepared.
      messages: prepared.map((x) => ({ x, fields: x.fields, stop: null, threadId: null })),
      gate: null,
      injectionThreshold: deps.defaultInjectionThreshold,
      scannerPolicy: {},
    };
    for (const step of LANE) {
      if (lane.messages.length === 0) return [];
      if ("run" in step) {
        await step.run(deps, lane);
        continue;
      }
      const open = lane.messages.filter((m) => !m.stop);
      if (open.length === 0) continue;
      for (const { m, ruling } of await step.guard(deps, lane, open)) {
        checkState(ruling);
        m.stop = { ...ruling, step: step.name };
      }
    }
    return lane.messages.map((m) => ({ p: m.x.p, state: m.stop?.state ?? null }));
  });
}

/** A kept message leaves `received` by the processor's hand only to a state the state machine allows. */
function checkState(r: Ruling): void {
  if (r.state === null) return;
  const t = transition("inbound", "received", r.state, "processor");
  if (!t.ok) throw new Error(t.reason);
}
