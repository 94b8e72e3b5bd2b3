import { instanceOfAddress } from "../../domain/subaddress.ts";
import { inboundEventIsAdminOnly } from "../../domain/visibility.ts";
import { accountSubaddressKey } from "../../store/accounts.ts";
import { appendAudit } from "../../store/audit.ts";
import { recordInboundBlocks } from "../../store/blocklist.ts";
import { Channel, notify } from "../../store/channels.ts";
import { appendEvents } from "../../store/events.ts";
import {
  completeInbound,
  type InboundOutcome,
  ownMessageIds,
  queueRuleJobs,
  reserveInboundSeqs,
  unspool,
} from "../../store/messages.ts";
import { placeInThreads } from "../../store/threads.ts";
import { actionAfterAcceptance, settlePolicyDecisions } from "../policy-decisions.ts";
import { type KeptState, keptOf, type Lane, type PipelineDeps } from "./types.ts";

const stateOf = (m: { stop: { state: KeptState | null } | null }) => m.stop!.state!;

/**
 * Firewall blocks in the mailbox's audit chain (after the policy ran, as every writer takes the locks) and in its
 * record of blocked attempts (GET …/inbound-allowlist/blocked-attempts).
 */
export async function recordFirewallBlocks(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const blocked = lane.messages.filter((m) => m.stop?.reason === "firewall_blocked");
  if (blocked.length === 0) return;
  await recordInboundBlocks(
    lane.sql,
    lane.accountId,
    lane.mailboxId,
    blocked
      .filter(({ stop }) => stop!.firewallBlock)
      .map(({ x, stop }) => ({ messageId: x.p.id, block: stop!.firewallBlock! })),
  );
  await appendAudit(
    lane.sql,
    lane.accountId,
    lane.mailboxId,
    blocked.map(({ x, stop }) => ({
      transport: x.p.envelope.transport,
      envelope_sender: x.p.envelope.mail_from,
      header_sender: x.fields.sender,
      rule_index: null,
      outcome: "blocked",
      action: "firewall_blocked" as const,
      reason: stop!.detail!,
      message_id: x.p.id,
      body_sha256: null,
      capabilities: [],
    })),
  );
}

/** Arrival positions for every kept message, under the mailbox row lock, which also gives its threshold. */
export async function numberKept(deps: Pick<PipelineDeps, "defaultInjectionThreshold">, lane: Lane) {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  const reserved = await reserveInboundSeqs(lane.sql, lane.mailboxId, kept.length);
  for (const [i, m] of kept.entries()) m.inboundSeq = reserved.first + i;
  lane.injectionThreshold = reserved.injectionThreshold ?? deps.defaultInjectionThreshold;
  lane.scannerPolicy = reserved.scannerPolicy;
}

/**
 * Only mail the agent may see is threaded: a held message must not name or grow a thread (its subject, its
 * participants) before it is released; release threads it then.
 */
export async function placeVisibleInThreads(deps: Pick<PipelineDeps, "clock">, lane: Lane): Promise<void> {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  const visible = kept.filter((m) => stateOf(m) === "available");
  const threadIds = await placeInThreads(
    lane.sql,
    { accountId: lane.accountId, mailboxId: lane.mailboxId, at: deps.clock.now() },
    visible.map(({ fields: f }) => ({
      internetMessageId: f.internetMessageId,
      subject: f.subject,
      inReplyTo: f.inReplyTo,
      references: f.references,
      sender: f.sender,
      participants: [f.sender, ...f.to, ...f.cc].filter((a): a is string => Boolean(a)),
    })),
  );
  for (const [i, m] of visible.entries()) m.threadId = threadIds[i]!;
}

/** The mailbox's own message coming back (through a forwarder or a list) is automated whatever its headers say. */
export async function markEchoes(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  const ours = await ownMessageIds(
    lane.sql,
    lane.mailboxId,
    kept.map((m) => m.fields.internetMessageId).filter((x): x is string => Boolean(x)),
  );
  for (const m of kept)
    if (m.fields.internetMessageId && ours.has(m.fields.internetMessageId))
      m.fields = { ...m.fields, autoSubmitted: "echo of our own message" };
}

/** The kept messages with what was learnt of them, in their final state. */
export async function storeKept(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  const instanceOf = await instanceReader(lane);
  await completeInbound(
    lane.sql,
    kept.map((m) => {
      const d = m.policy?.decision;
      const outcome: InboundOutcome = {
        senderAuth: m.x.auth,
        decision: d ? { outcome: "accepted", rule_index: d.ruleIndex, decided_in: "pipeline" } : null,
        capabilities: d?.capabilities ?? [],
        // Why the language guard held it travels with the injection reasons (the wire shows it as its own finding).
        injection:
          m.stop?.reason === "language_policy"
            ? {
                ...m.x.injection,
                reasons: [...m.x.injection.reasons, { code: "language_policy", description: m.stop.detail! }],
              }
            : m.x.injection,
        state: stateOf(m),
        firewallBlock: m.stop?.firewallBlock ?? null,
        subaddressInstanceId: instanceOf(m.x.p.envelope.rcpt_to),
      };
      return { id: m.x.p.id, fields: m.fields, threadId: m.threadId, inboundSeq: m.inboundSeq!, outcome };
    }),
  );
}

/**
 * Reads the sub-address instance a recipient address names (domain/subaddress.ts); the account's key is loaded
 * only when some recipient of the lane has a plus-address detail that could carry one.
 */
async function instanceReader(lane: Lane): Promise<(rcptTo: string[]) => string | null> {
  const tagged = (a: string) => /\+[^@]*\./.test(a);
  if (!keptOf(lane).some((m) => m.x.p.envelope.rcpt_to.some(tagged))) return () => null;
  const key = await accountSubaddressKey(lane.sql, lane.accountId);
  return (rcptTo) => {
    for (const a of rcptTo.filter(tagged)) {
      const instance = instanceOfAddress(key, lane.mailboxId, a);
      if (instance) return instance;
    }
    return null;
  };
}

/** The mailbox's rules run on what the agent can see. */
export async function queueRules(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  await queueRuleJobs(
    lane.sql,
    lane.mailboxId,
    kept.filter((m) => stateOf(m) === "available").map((m) => m.x.p.id),
  );
}

/** The spool copies of kept messages go now that the blob store has them (refused ones go with settlePolicy). */
export async function unspoolKept(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  await unspool(
    lane.sql,
    kept.map((m) => m.x.p.id),
  );
}

/** The MailPolicy's decisions in the audit chain; refused mail removed, bounced where the policy says so. */
export async function settlePolicy(deps: Pick<PipelineDeps, "blobs" | "domain">, lane: Lane): Promise<void> {
  if (!lane.gate) return;
  await settlePolicyDecisions(
    lane.sql,
    { blobs: deps.blobs, domain: deps.domain },
    lane.mailboxId,
    lane.gate.policy,
    lane.gate.decisions.map((decided) => ({ decided, action: actionAfterAcceptance(decided) })),
  );
}

/** The event log last: its per-account lock is held to commit, so nothing may wait on another lock after it. */
export async function announce(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const kept = keptOf(lane);
  if (kept.length === 0) return;
  await appendEvents(
    lane.sql,
    kept.map((m) => {
      const state = stateOf(m);
      return {
        accountId: lane.accountId,
        mailboxId: lane.mailboxId,
        // Held mail is announced as such; the agent-facing message.received is for available mail only.
        type: state === "available" ? "message.received" : `message.${state}`,
        adminOnly: inboundEventIsAdminOnly(state),
        data: {
          message_id: m.x.p.id,
          thread_id: m.threadId,
          sender: m.fields.sender,
          subject: m.fields.subject,
          ...(state === "quarantined"
            ? { injection_score: m.x.injection.score, reasons: m.x.injection.reasons }
            : {}),
        },
      };
    }),
  );
  await notify(lane.sql, Channel.inbound, lane.mailboxId);
}
