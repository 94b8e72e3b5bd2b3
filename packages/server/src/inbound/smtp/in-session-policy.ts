import { type Clock, systemClock } from "../../domain/clock.ts";
import type { MailPolicy } from "../../domain/policy/types.ts";
import type { SenderAuthentication } from "../../domain/sender-auth.ts";
import { verdictOfPolicy } from "../../domain/verdict.ts";
import type { Logger } from "../../platform/logger.ts";
import type { BlobStore } from "../../store/blobs.ts";
import type { Db, Sql } from "../../store/db.ts";
import { type Envelope, lockUndecided, releaseHeld } from "../../store/messages.ts";
import type { AcceptedCopy } from "../accept.ts";
import type { SenderAuthenticator } from "../authenticate.ts";
import { firewallFor } from "../firewall.ts";
import { type ParsedMessage, parseMessage } from "../parse.ts";
import type { ParsedCache } from "../parsed-cache.ts";
import {
  actionAfterAcceptance,
  evaluateForMailbox,
  type GateInput,
  type MailboxPolicyDecision,
  settlePolicyDecisions,
} from "../policy-decisions.ts";

/** The SMTP session's final reply to a DATA whose copies were committed. */
/** The session's verdict on a DATA whose copies were committed: accepted, or refused outright (550). */
export type SessionReply = { verdict: "accept" } | { verdict: "reject"; reason: string };

export type SessionPolicy = (
  raw: Buffer,
  envelope: Envelope,
  copies: (AcceptedCopy & { accountId: string })[],
) => Promise<SessionReply>;

const printable = (s: string) => s.replace(/[^\x20-\x7e]+/g, " ").slice(0, 200);

interface Submission {
  raw: Buffer;
  envelope: Envelope;
  copies: (AcceptedCopy & { accountId: string })[];
  auth: SenderAuthentication;
  parsed: ParsedMessage;
  /** The session already answered 250 (budget spent): leave this one to the pipeline. */
  answered: boolean;
  /** A decision transaction took it: the session waits for that instead of answering on its own. */
  committing: boolean;
  settle: (reply: SessionReply) => void;
}

const MAX_BATCH = 100;

/**
 * Runs sender authentication and the MailPolicy while the SMTP client waits for the final reply to DATA.
 *
 * The copies are already committed (held away from the processors for a while), so nothing is lost whatever
 * happens here: past the time budget, or on any failure, the answer is 250 and the pipeline decides afterwards.
 * Authentication and parsing run per session; the decisions of concurrent sessions are then written together
 * (group commit, as on accept): one transaction evaluates them with their counters, appends each mailbox's
 * audit entries once, deletes refused copies and releases the rest, so sessions do not queue one by one on
 * the mailbox's audit chain.
 *
 * The reply: 550 when every copy is refused under a "bounce" policy (the sending MTA tells its user; we send
 * nothing), otherwise 250 — refused copies under "drop" are discarded, and refused copies under "bounce" beside
 * accepted ones are bounced by notification like mail refused after acceptance.
 */
export function createSessionPolicy(deps: {
  db: Db;
  blobs: BlobStore;
  domain: string;
  authenticate: SenderAuthenticator;
  timeoutMs: number;
  logger: Logger;
  parsed?: ParsedCache;
  /** Arrival time for rate windows (default: the system's). */
  clock?: Clock;
}): SessionPolicy {
  const { db, logger } = deps;
  const queue: Submission[] = [];
  let writing = false;

  async function writeBatches(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH).filter((s) => !s.answered);
      for (const s of batch) s.committing = true;
      if (batch.length === 0) continue;
      try {
        const replies = await db.tx((sql) => decideBatch(sql, batch));
        for (const [i, s] of batch.entries()) s.settle(replies[i]!);
      } catch (err) {
        logger.error("in-session policy failed; deciding after acceptance", { err: String(err) });
        for (const s of batch) s.settle({ verdict: "accept" });
      }
    }
    writing = false;
  }

  async function decideBatch(sql: Sql, batch: Submission[]): Promise<SessionReply[]> {
    const ids = batch.flatMap((s) => s.copies.map((c) => c.messageId));
    const open = await lockUndecided(sql, ids);
    const inputs: { s: Submission; input: GateInput }[] = batch.flatMap((s) =>
      s.copies
        .filter((c) => open.has(c.messageId))
        .map((c) => ({
          s,
          input: {
            id: c.messageId,
            accountId: c.accountId,
            mailboxId: c.mailboxId,
            recipient: c.recipient,
            envelope: s.envelope,
            raw: s.raw,
            headerSender: s.parsed.from?.address ?? null,
            text: s.parsed.text,
            inReplyTo: s.parsed.inReplyTo,
            references: s.parsed.references,
            auth: s.auth,
            arrivedAt: (deps.clock ?? systemClock).now(),
          },
        })),
    );
    // Mailboxes in id order: the audit appends lock their rows, and every batch locks them the same way.
    const mailboxIds = [...new Set(inputs.map((x) => x.input.mailboxId))].sort();
    const decided: { mailboxId: string; policy: MailPolicy; decisions: MailboxPolicyDecision[] }[] = [];
    const decisionOf = new Map<string, MailboxPolicyDecision>();
    for (const mailboxId of mailboxIds) {
      const mine = inputs.filter((x) => x.input.mailboxId === mailboxId).map((x) => x.input);
      // Copies the inbound firewall stops are left to the pipeline, which blocks them before any policy runs.
      const firewalled = await firewallFor(
        sql,
        mine[0]!.accountId,
        mailboxId,
        mine.map((i) => ({ id: i.id, sender: i.headerSender, envelopeFrom: i.envelope.mail_from })),
      );
      const gate = await evaluateForMailbox(
        sql,
        mailboxId,
        mine.filter((i) => !firewalled.has(i.id)),
      );
      if (!gate) continue;
      decided.push({ mailboxId, ...gate });
      for (const v of gate.decisions) decisionOf.set(v.input.id, v);
    }

    // Per session: refused outright only if all of its copies are refused under "bounce".
    const refuseAll = new Set(
      batch.filter((s) => {
        const mine = inputs.filter((x) => x.s === s).map((x) => decisionOf.get(x.input.id));
        return mine.length > 0 && mine.every((v) => v && verdictOfPolicy(v.decision) === "reject");
      }),
    );
    const sessionOf = new Map(inputs.map((x) => [x.input.id, x.s]));
    for (const d of decided) {
      await settlePolicyDecisions(
        sql,
        { blobs: deps.blobs, domain: deps.domain },
        d.mailboxId,
        d.policy,
        d.decisions.map((decided) => ({
          decided,
          action: refuseAll.has(sessionOf.get(decided.input.id)!)
            ? ("rejected_in_session" as const)
            : actionAfterAcceptance(decided),
        })),
      );
    }
    await releaseHeld(
      sql,
      inputs
        .filter((x) => (decisionOf.get(x.input.id)?.decision.outcome ?? "accepted") === "accepted")
        .map(({ input }) => {
          const d = decisionOf.get(input.id)?.decision;
          return {
            id: input.id,
            auth: input.auth,
            decision: d ? { outcome: "accepted", rule_index: d.ruleIndex, decided_in: "smtp_session" } : null,
            capabilities: d?.capabilities ?? [],
          };
        }),
    );
    return batch.map((s): SessionReply => {
      if (!refuseAll.has(s)) return { verdict: "accept" };
      const first = inputs.find((x) => x.s === s)!;
      return {
        verdict: "reject",
        reason: printable(decisionOf.get(first.input.id)?.decision.reason ?? "refused by policy"),
      };
    });
  }

  return async (raw, envelope, copies) => {
    let submission: Submission | null = null;
    let answered = false;
    return new Promise<SessionReply>((resolve) => {
      const timer = setTimeout(() => {
        if (submission?.committing) return; // a decision is being written: its reply follows in moments
        answered = true;
        if (submission) submission.answered = true;
        logger.warn("policy did not finish within the SMTP session's budget; deciding after acceptance", {
          message_ids: copies.map((c) => c.messageId),
        });
        resolve({ verdict: "accept" });
      }, deps.timeoutMs);
      const done = (reply: SessionReply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      (async () => {
        const auth = await deps.authenticate(raw, envelope);
        const parsed = await parseMessage(raw);
        if (copies[0]) deps.parsed?.put(copies[0].rawSha256, parsed);
        if (answered) return;
        submission = {
          raw,
          envelope,
          copies,
          auth,
          parsed,
          answered: false,
          committing: false,
          settle: done,
        };
        queue.push(submission);
        if (!writing) void writeBatches();
      })().catch((err) => {
        logger.error("in-session policy failed; deciding after acceptance", { err: String(err) });
        done({ verdict: "accept" });
      });
    });
  };
}
