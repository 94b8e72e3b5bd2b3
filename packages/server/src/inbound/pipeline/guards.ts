import { htmlToScanText } from "../../domain/html-text.ts";
import { looksNonEnglish } from "../../domain/language.ts";
import { injectionGuardOn } from "../../domain/mailbox-policy.ts";
import { verdictOfPolicy } from "../../domain/verdict.ts";
import { lockReceived } from "../../store/messages.ts";
import { firewallFor } from "../firewall.ts";
import { evaluateForMailbox, type GateInput } from "../policy-decisions.ts";
import type { Guard, Lane, LaneMessage, PipelineDeps } from "./types.ts";

/** Keeps the messages still pending; others were finished by a worker whose lease outlived ours. */
export async function lockPending(_deps: PipelineDeps, lane: Lane): Promise<void> {
  const pending = await lockReceived(
    lane.sql,
    lane.messages.map((m) => m.x.p.id),
  );
  lane.messages = lane.messages.filter((m) => pending.has(m.x.p.id));
}

/**
 * The inbound firewall: blocked senders (and, when the mailbox has one, senders off its allowlist) never reach
 * the MailPolicy — they do not count against its limits — and are kept as blocked, with the rule that stopped them.
 */
export const firewall: Guard = async (_deps, lane, open) => {
  // The simulator's mail tests the pipeline, not the sender lists (its sender is a reserved name); an admin
  // released the others from the firewall (POST /v1/messages/:id/firewall-release): the rest still applies.
  const judged = open.filter(({ x }) => x.p.envelope.transport !== "simulator" && !x.p.firewall_released_at);
  const blocked = await firewallFor(
    lane.sql,
    lane.accountId,
    lane.mailboxId,
    judged.map(({ x }) => ({ id: x.p.id, sender: x.fields.sender, envelopeFrom: x.p.envelope.mail_from })),
  );
  return open
    .filter((m) => blocked.has(m.x.p.id))
    .map((m) => ({
      m,
      ruling: {
        verdict: "reject",
        reason: "firewall_blocked",
        state: "blocked",
        detail: blocked.get(m.x.p.id)!.reason,
        firewallBlock: blocked.get(m.x.p.id)!.block,
      },
    }));
};

/**
 * The MailPolicy, for messages the SMTP session did not decide (ingest, late or failed in-session checks),
 * counted against its limits in this transaction. Refused mail is not kept: settlePolicy removes it after.
 */
export const mailPolicy: Guard = async (_deps, lane, open) => {
  const undecided = open.filter((m) => !m.x.p.policy_decision);
  if (undecided.length === 0) return [];
  lane.gate = await evaluateForMailbox(lane.sql, lane.mailboxId, undecided.map(gateInput));
  if (!lane.gate) return [];
  const decisionOf = new Map(lane.gate.decisions.map((v) => [v.input.id, v]));
  for (const m of undecided) m.policy = decisionOf.get(m.x.p.id);
  return undecided
    .filter((m) => m.policy && m.policy.decision.outcome !== "accepted")
    .map((m) => {
      const d = m.policy!.decision;
      return { m, ruling: { verdict: verdictOfPolicy(d), reason: d.outcome, state: null } };
    });
};

/**
 * Held back from the agent: mail that scores as a likely injection, at or over the mailbox's threshold — unless the
 * mailbox turned the guard off (scanner_policy.disabled_scanners "prompt-injection").
 */
export const injection: Guard = async (_deps, lane, open) =>
  injectionGuardOn(lane.scannerPolicy)
    ? open
        .filter((m) => m.x.injection.score >= lane.injectionThreshold)
        .map((m) => ({
          m,
          ruling: { verdict: "quarantine", reason: "prompt_injection", state: "quarantined" },
        }))
    : [];

/** A mailbox that takes English only (scanner_policy.language_mode english_only) holds mail that looks otherwise. */
export const language: Guard = async (_deps, lane, open) => {
  if (lane.scannerPolicy.language_mode !== "english_only") return [];
  return open
    .filter(({ fields: f }) =>
      looksNonEnglish([f.subject ?? "", f.text ?? (f.html ? htmlToScanText(f.html) : "")].join("\n")),
    )
    .map((m) => ({
      m,
      ruling: {
        verdict: "quarantine",
        reason: "language_policy",
        state: "quarantined",
        detail: "written in a language other than English; the mailbox takes English mail only",
      },
    }));
};

/** What no guard stopped reaches the agent. */
export const deliver: Guard = async (_deps, _lane, open) =>
  open.map((m) => ({ m, ruling: { verdict: "accept", reason: "accepted", state: "available" } }));

function gateInput({ x }: LaneMessage): GateInput {
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
