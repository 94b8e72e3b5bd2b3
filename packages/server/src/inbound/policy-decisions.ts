import type { AuditAction } from "../domain/audit-chain.ts";
import { evaluatePolicy, matchGuards, type PolicyDecision } from "../domain/policy/evaluate.ts";
import type { MailPolicy } from "../domain/policy/types.ts";
import { envelopeSenderAuthenticated, type SenderAuthentication } from "../domain/sender-auth.ts";
import { queueRejectionNotice } from "../outbound/feedback/rejection-notice.ts";
import { appendAudit } from "../store/audit.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Sql } from "../store/db.ts";
import { deleteMessages, type Envelope, unspool } from "../store/messages.ts";
import { getPolicy } from "../store/policies.ts";
import { policyCounters } from "../store/policy-counters.ts";
import { threadByReferences } from "../store/threads.ts";
import { bodySha256, headerBlock } from "./parse.ts";

/** What the policy step needs of one stored copy of an inbound message. */
export interface GateInput {
  id: string;
  accountId: string;
  mailboxId: string;
  recipient: string;
  envelope: Envelope;
  raw: Buffer;
  /** RFC 5322 From address: the identity sender rules match. */
  headerSender: string | null;
  text: string | null;
  inReplyTo: string | null;
  references: string[];
  auth: SenderAuthentication;
  arrivedAt: Date;
}

export interface MailboxPolicyDecision {
  input: GateInput;
  decision: PolicyDecision;
}

/**
 * Evaluates the mailbox's policy for copies of its messages, counting them for rate limits (live counters, in
 * the caller's transaction so the count commits with the decision). Null when the mailbox has no policy.
 */
export async function evaluateForMailbox(
  sql: Sql,
  mailboxId: string,
  inputs: GateInput[],
): Promise<{ policy: MailPolicy; decisions: MailboxPolicyDecision[] } | null> {
  const row = await getPolicy(sql, mailboxId);
  if (!row) return null;
  const decisions: MailboxPolicyDecision[] = [];
  // Guards only matter for messages that match a rule, but running them for all under one watchdog is cheaper.
  const guards = matchGuards(
    row.document,
    inputs.map((i) => i.text ?? ""),
  );
  for (const [n, input] of inputs.entries()) {
    const threadId = await threadByReferences(sql, mailboxId, input.inReplyTo, input.references);
    const decision = await evaluatePolicy(
      row.document,
      {
        sender: input.headerSender,
        // The From address is trusted only as far as authentication vouches for its domain.
        dkimPass: input.auth.dkim.aligned,
        spfPass: input.auth.spf.aligned,
        body: input.text ?? "",
        guards: guards?.[n],
      },
      policyCounters(sql, { mailboxId, sender: input.headerSender, threadId }, "live"),
    );
    decisions.push({ input, decision });
  }
  return { policy: row.document, decisions };
}

/**
 * What becomes of a rejected message decided after the sender was told 250: a "bounce" policy notifies the
 * envelope sender only when its domain authenticated, so forged senders never receive backscatter.
 */
export function actionAfterAcceptance(v: MailboxPolicyDecision): AuditAction {
  if (v.decision.outcome === "accepted") return "delivered";
  if (v.decision.disposition === "drop") return "dropped";
  return envelopeSenderAuthenticated(v.input.auth, v.input.envelope.mail_from)
    ? "bounced"
    : "bounce_suppressed";
}

/**
 * Records the policy decisions of one mailbox in its audit chain and carries out rejections: the stored copy is removed
 * (rejected mail is not kept; the audit entry, with the body hash when asked, is its record) and a notification
 * is queued where the action says so.
 */
export async function settlePolicyDecisions(
  sql: Sql,
  deps: { blobs: BlobStore; domain: string },
  mailboxId: string,
  policy: MailPolicy,
  settled: { decided: MailboxPolicyDecision; action: AuditAction }[],
): Promise<void> {
  if (settled.length === 0) return;
  const rejected = settled.filter((s) => s.decided.decision.outcome !== "accepted");
  if (rejected.length > 0) {
    const ids = rejected.map((s) => s.decided.input.id);
    await unspool(sql, ids);
    await deleteMessages(sql, ids);
  }
  for (const { decided, action } of rejected) {
    if (action !== "bounced") continue;
    const i = decided.input;
    await queueRejectionNotice(sql, deps, {
      accountId: i.accountId,
      mailboxId: i.mailboxId,
      to: i.envelope.mail_from!,
      recipient: i.recipient,
      reason: decided.decision.reason ?? "refused by the recipient's mail policy",
      originalHeaders: headerBlock(i.raw),
      arrivedAt: i.arrivedAt,
    });
  }
  await appendAudit(
    sql,
    settled[0]!.decided.input.accountId,
    mailboxId,
    settled.map(({ decided: { input: i, decision: d }, action }) => ({
      transport: i.envelope.transport,
      envelope_sender: i.envelope.mail_from,
      header_sender: i.headerSender,
      rule_index: d.ruleIndex,
      outcome: d.outcome,
      action,
      reason: d.reason,
      message_id: d.outcome === "accepted" ? i.id : null,
      body_sha256: policy.auditLog.includeBodyHash ? bodySha256(i.raw) : null,
      capabilities: d.capabilities,
    })),
  );
}
