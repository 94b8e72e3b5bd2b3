import { automatedReason } from "../domain/auto-submitted.ts";
import type { InjectionScore } from "../domain/injection/score.ts";
import type { SenderAuthentication } from "../domain/sender-auth.ts";
import { inboundEventIsAdminOnly } from "../domain/visibility.ts";
import { createWorkLoop, type WorkLoop } from "../jobs/runner.ts";
import type { Logger } from "../platform/logger.ts";
import { appendAudit } from "../store/audit.ts";
import type { BlobStore } from "../store/blobs.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db } from "../store/db.ts";
import { appendEvents } from "../store/events.ts";
import {
  claimReceived,
  completeInbound,
  deferReceived,
  failReceived,
  type InboundOutcome,
  lockReceived,
  ownMessageIds,
  type ParsedFields,
  type PendingInbound,
  queueRuleJobs,
  reserveInboundSeqs,
  spooledRaws,
  unspool,
} from "../store/messages.ts";
import { placeInThreads } from "../store/threads.ts";
import type { SenderAuthenticator } from "./authenticate.ts";
import { firewallFor } from "./firewall.ts";
import { type ParsedMessage, parseMessage } from "./parse.ts";
import type { ParsedCache } from "./parsed-cache.ts";
import {
  actionAfterAcceptance,
  evaluateForMailbox,
  type GateInput,
  settleVerdicts,
} from "./policy-decisions.ts";

// Short: processing takes milliseconds, and a crashed process's claims come back after this long.
const LEASE_SECONDS = 10;
const BATCH = 64;
/** Raw bytes claimed at once (at least one message): with two claims in flight, what bounds memory. */
const BATCH_BYTES = 32 * 1024 * 1024;
const CONCURRENCY = 4;
const SWEEP_MS = 5000;
/** A failed attempt is retried after 1 s, 2 s, 4 s … up to this. */
const MAX_RETRY_DELAY_SECONDS = 300;

export type InboundProcessor = WorkLoop;

interface Prepared {
  p: PendingInbound;
  raw: Buffer;
  fields: ParsedFields;
  auth: SenderAuthentication;
  injection: InjectionScore;
}

/**
 * Turns accepted raw messages into available, threaded messages; resumes whatever a crash left behind.
 * Work goes in lanes, one per mailbox: lanes run side by side, and a lane's messages are parsed together and
 * committed in one transaction in arrival order, so wait() sees a mailbox's mail in the order it came.
 */
export function createInboundProcessor(deps: {
  db: Db;
  blobs: BlobStore;
  logger: Logger;
  authenticate: SenderAuthenticator;
  domain: string;
  parsed?: ParsedCache;
  /** Prompt-injection scoring of subject and text, and of the HTML part when there is one (deterministic). */
  scoreInjection: (text: string, html?: string) => InjectionScore | Promise<InjectionScore>;
  /** Attempts before a message that keeps failing ends `failed` (default 5). */
  maxAttempts?: number;
  /** The quarantine threshold of mailboxes that have not set one: the injection model's. */
  defaultInjectionThreshold: number;
}): InboundProcessor {
  const { db, logger } = deps;
  const maxAttempts = deps.maxAttempts ?? 5;

  /**
   * Blob store, parse, sender authentication (unless the SMTP session already did it), injection score. Null means
   * "not now": the message is tried again later. A message that cannot be prepared comes back as an Error.
   */
  async function prepare(p: PendingInbound, spooled: Buffer | undefined): Promise<Prepared | Error | null> {
    let raw: Buffer;
    try {
      // From the spool into the blob store first (fsynced); the spool copy is dropped only when the lane commits.
      // Large messages were written to the blob store on acceptance.
      if (spooled) await deps.blobs.put(spooled);
      raw = spooled ?? (await deps.blobs.get(p.raw_sha256));
    } catch (err) {
      // Storage trouble is never a reason to give up on a message.
      logger.error("could not move inbound message to the blob store; will retry", {
        message_id: p.id,
        err: String(err),
      });
      return null;
    }
    try {
      const auth = p.sender_auth ?? (await deps.authenticate(raw, p.envelope));
      let m: ParsedMessage;
      try {
        m = deps.parsed?.get(p.raw_sha256) ?? (await parseMessage(raw));
      } catch (err) {
        if (p.process_attempts < maxAttempts) throw err;
        // Unparsable mail still reaches the agent, scored on its bytes as text; its raw bytes are never lost.
        const message = err instanceof Error ? err.message : String(err);
        logger.error("inbound message could not be parsed; made available raw", {
          message_id: p.id,
          err: message,
        });
        const injection = await deps.scoreInjection(raw.toString("latin1"));
        return { p, raw, auth, injection, fields: emptyFields(`could not parse message: ${message}`) };
      }
      return {
        p,
        raw,
        auth,
        // With both parts, the HTML is scored too: text hidden in it (display:none…) is not in the plain part.
        // Laid out as the training corpus writes an email ("Subject: …", blank line, body), so the model sees
        // what it learned from.
        injection: await deps.scoreInjection(
          m.subject ? `Subject: ${m.subject}\n\n${m.text ?? ""}` : (m.text ?? ""),
          m.html ?? undefined,
        ),
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
          autoSubmitted: automatedReason({
            header: (name) => m.automationHeaders[name] ?? null,
            envelopeFrom: p.envelope.mail_from,
            from: m.from?.address ?? null,
            local: p.envelope.transport === "local",
          }),
        },
      };
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /**
   * A message whose processing failed: tried again after a growing delay, or — when the failure cannot pass (the
   * database refused its data) or its attempts are spent — ended `failed`, announced to admins.
   */
  async function settleFailure(p: PendingInbound, err: Error): Promise<void> {
    const permanent = isPermanentDataError(err);
    try {
      if (!permanent && p.process_attempts < maxAttempts) {
        const delay = Math.min(2 ** (p.process_attempts - 1), MAX_RETRY_DELAY_SECONDS);
        logger.warn("inbound processing failed; will retry", {
          message_id: p.id,
          attempt: p.process_attempts,
          retry_in_s: delay,
          err: err.message,
        });
        await deferReceived(db, p.id, delay);
        return;
      }
      logger.error("inbound message could not be processed; it is marked failed", {
        message_id: p.id,
        attempts: p.process_attempts,
        err: err.message,
      });
      await db.tx(async (sql) => {
        if (!(await failReceived(sql, p.id, err.message))) return;
        await appendEvents(sql, [
          {
            accountId: p.account_id,
            mailboxId: p.mailbox_id,
            type: "message.failed",
            data: { message_id: p.id, error: err.message.slice(0, 500), attempts: p.process_attempts },
            adminOnly: true,
          },
        ]);
      });
    } catch (e) {
      // The lease runs out and the message is claimed again: nothing is lost.
      logger.error("could not record an inbound failure", { message_id: p.id, err: String(e) });
    }
  }

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
      const outcomes = await Promise.all(lane.map((p) => prepare(p, spooled.get(p.id))));
      spooled.clear();
      const prepared: Prepared[] = [];
      for (const [i, o] of outcomes.entries()) {
        if (o instanceof Error) await settleFailure(lane[i]!, o);
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
      await commitLane(mailboxId, prepared);
      return;
    } catch (err) {
      if (prepared.length === 1) return settleFailure(prepared[0]!.p, asError(err));
      logger.warn("inbound batch failed to commit; committing its messages one by one", {
        mailbox_id: mailboxId,
        messages: prepared.length,
        err: String(err),
      });
    }
    for (const x of prepared) {
      try {
        await commitLane(mailboxId, [x]);
      } catch (err) {
        await settleFailure(x.p, asError(err));
      }
    }
  }

  async function commitLane(mailboxId: string, prepared: Prepared[]): Promise<void> {
    await db.tx(async (sql) => {
      const pending = await lockReceived(
        sql,
        prepared.map((x) => x.p.id),
      );
      const stillPending = prepared.filter((x) => pending.has(x.p.id));
      if (stillPending.length === 0) return;
      const accountId = stillPending[0]!.p.account_id;

      // The inbound firewall first: blocked senders (and, when the mailbox has one, senders off its allowlist)
      // never reach the MailPolicy — they do not count against its limits — and are kept as blocked.
      const firewalled = await firewallFor(
        sql,
        accountId,
        mailboxId,
        stillPending.map((x) => ({
          id: x.p.id,
          sender: x.fields.sender,
          envelopeFrom: x.p.envelope.mail_from,
        })),
      );

      // The policy, for messages the SMTP session did not decide (ingest, late or failed in-session checks).
      const undecided = stillPending.filter((x) => !x.p.policy_decision && !firewalled.has(x.p.id));
      const gate =
        undecided.length > 0 ? await evaluateForMailbox(sql, mailboxId, undecided.map(gateInput)) : null;
      const verdictOf = new Map(gate?.verdicts.map((v) => [v.input.id, v]));
      const accepted = stillPending.filter(
        (x) => (verdictOf.get(x.p.id)?.decision.outcome ?? "accepted") === "accepted",
      );
      if (firewalled.size > 0)
        await appendAudit(
          sql,
          accountId,
          mailboxId,
          stillPending
            .filter((x) => firewalled.has(x.p.id))
            .map((x) => ({
              transport: x.p.envelope.transport,
              envelope_sender: x.p.envelope.mail_from,
              header_sender: x.fields.sender,
              rule_index: null,
              outcome: "blocked",
              action: "firewall_blocked" as const,
              reason: firewalled.get(x.p.id)!,
              message_id: x.p.id,
              body_sha256: null,
              capabilities: [],
            })),
        );

      let events: Parameters<typeof completeInbound>[1] = [];
      if (accepted.length > 0) {
        const reserved = await reserveInboundSeqs(sql, mailboxId, accepted.length);
        const { first } = reserved;
        const injectionThreshold = reserved.injectionThreshold ?? deps.defaultInjectionThreshold;
        // Held back from the agent: mail the firewall stopped, and mail that scores as a likely injection.
        const stateOf = (x: Prepared): InboundOutcome["state"] =>
          firewalled.has(x.p.id)
            ? "blocked"
            : x.injection.score >= injectionThreshold
              ? "quarantined"
              : "available";
        // Only mail the agent may see is threaded: a held message must not name or grow a thread (its subject,
        // its participants) before it is released; release threads it then.
        const visible = accepted.filter((x) => stateOf(x) === "available");
        const threadIds = await placeInThreads(
          sql,
          { accountId, mailboxId, at: new Date() },
          visible.map(({ fields: f }) => ({
            internetMessageId: f.internetMessageId,
            subject: f.subject,
            inReplyTo: f.inReplyTo,
            references: f.references,
            sender: f.sender,
            participants: [f.sender, ...f.to, ...f.cc].filter((a): a is string => Boolean(a)),
          })),
        );
        const threadOf = new Map(visible.map((x, i) => [x.p.id, threadIds[i]!]));
        const rows = accepted.map((x, i) => {
          const { p, fields, auth } = x;
          const d = verdictOf.get(p.id)?.decision;
          return {
            id: p.id,
            fields,
            threadId: threadOf.get(p.id) ?? null,
            inboundSeq: first + i,
            outcome: {
              senderAuth: auth,
              decision: d
                ? { outcome: "accepted" as const, rule_index: d.ruleIndex, decided_in: "pipeline" as const }
                : null,
              capabilities: d?.capabilities ?? [],
              injection: x.injection,
              state: stateOf(x),
            },
          };
        });
        // The mailbox's own message coming back (through a forwarder or a list) is automated whatever its headers say.
        const ours = await ownMessageIds(
          sql,
          mailboxId,
          rows.map((r) => r.fields.internetMessageId).filter((x): x is string => Boolean(x)),
        );
        for (const r of rows)
          if (r.fields.internetMessageId && ours.has(r.fields.internetMessageId))
            r.fields = { ...r.fields, autoSubmitted: "echo of our own message" };
        await completeInbound(sql, rows);
        await queueRuleJobs(
          sql,
          mailboxId,
          rows.filter((r) => r.outcome.state === "available").map((r) => r.id),
        );
        await unspool(
          sql,
          accepted.map((x) => x.p.id),
        );
        events = rows;
      }
      if (gate) {
        await settleVerdicts(
          sql,
          { blobs: deps.blobs, domain: deps.domain },
          mailboxId,
          gate.policy,
          gate.verdicts.map((verdict) => ({ verdict, action: actionAfterAcceptance(verdict) })),
        );
      }
      // The event log last: its per-account lock is held to commit, so nothing may wait on another lock after it.
      if (events.length > 0) {
        await appendEvents(
          sql,
          events.map((r) => ({
            accountId,
            mailboxId,
            // Held mail is announced as such; the agent-facing message.received is for available mail only.
            type: r.outcome.state === "available" ? "message.received" : `message.${r.outcome.state}`,
            adminOnly: inboundEventIsAdminOnly(r.outcome.state),
            data: {
              message_id: r.id,
              thread_id: r.threadId,
              sender: r.fields.sender,
              subject: r.fields.subject,
              ...(r.outcome.state === "quarantined"
                ? { injection_score: r.outcome.injection.score, reasons: r.outcome.injection.reasons }
                : {}),
            },
          })),
        );
        await notify(sql, Channel.inbound, mailboxId);
      }
    });
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

function gateInput(x: Prepared): GateInput {
  return {
    id: x.p.id,
    accountId: x.p.account_id,
    mailboxId: x.p.mailbox_id,
    recipient: x.p.recipient ?? "",
    envelope: x.p.envelope,
    raw: x.raw,
    headerSender: x.fields.sender,
    text: x.fields.text,
    inReplyTo: x.fields.inReplyTo,
    references: x.fields.references,
    auth: x.auth,
    arrivedAt: new Date(x.p.created_at),
  };
}

const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * Whether the database refused the data itself (SQLSTATE classes 22 data exception, 23 integrity constraint, 54
 * program limit): trying the same message again cannot succeed.
 */
function isPermanentDataError(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
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
