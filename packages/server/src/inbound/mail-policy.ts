import { isIP } from "node:net";
import { AppError, validation } from "../domain/errors.ts";
import { evaluatePolicy, type PolicyDecision } from "../domain/policy/evaluate.ts";
import { validatePolicy } from "../domain/policy/validate.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { SenderAuthentication } from "../domain/sender-auth.ts";
import type { Db } from "../store/db.ts";
import { getPolicy, type PolicyRow, putPolicy } from "../store/policies.ts";
import { policyCounters, recordTokenUsage } from "../store/policy-counters.ts";
import { threadByReferences } from "../store/threads.ts";
import { mailboxFor, messageFor } from "../tenancy/access.ts";
import type { SenderAuthenticator } from "./authenticate.ts";
import { parseMessage } from "./parse.ts";

// The per-mailbox MailPolicy: read, set, try on a message without recording anything, and the token budget's input.

/** Sets the mailbox's policy; unknown capability strings are accepted with warnings. */
export async function setMailPolicy(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  document: unknown,
): Promise<{ row: PolicyRow; warnings: string[] }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const { errors, warnings, policy } = validatePolicy(document);
  if (!policy) {
    throw new AppError("invalid", "VALIDATION_ERROR", `the policy is not valid: ${errors[0]}`, { errors });
  }
  return { row: await putPolicy(deps.db, mb.account_id, mb.id, policy), warnings };
}

/** What the dry run evaluated: the sender, the verification results and the thread. */
export interface DryRunInput {
  sender: string | null;
  body: string;
  dkimPass: boolean;
  spfPass: boolean;
  threadId: string | null;
}

export interface DryRun {
  decision: PolicyDecision;
  input: DryRunInput;
  /** Only for raw MIME, whose sender was really authenticated. */
  senderAuthentication?: SenderAuthentication;
}

/** The decision when a mailbox has no policy. */
const NO_POLICY: PolicyDecision = {
  outcome: "accepted",
  disposition: "deliver",
  ruleIndex: null,
  capabilities: [],
  reason: null,
  trace: [
    { step: "sender_match", result: "skipped", detail: "the mailbox has no policy: everything is accepted" },
  ],
};

/**
 * What the policy would do with a message, step by step: raw MIME with its SMTP envelope (real SPF/DKIM/DMARC, the
 * thread found by references), or a JSON description. Nothing is recorded and no counter moves.
 */
export async function dryRunMailPolicy(
  deps: { db: Db; authenticateSender: SenderAuthenticator },
  p: Principal,
  mailboxRef: string,
  body: unknown,
  envelope: { mail_from?: string; client_ip?: string; helo?: string },
): Promise<DryRun> {
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  let input: DryRunInput;
  let senderAuthentication: SenderAuthentication | undefined;
  if (Buffer.isBuffer(body)) {
    if (envelope.client_ip && isIP(envelope.client_ip) === 0) {
      throw validation("client_ip is not an IP address", [
        "querystring.client_ip must be an IPv4 or IPv6 address",
      ]);
    }
    const m = await parseMessage(body);
    senderAuthentication = await deps.authenticateSender(body, {
      transport: "http",
      client_ip: envelope.client_ip ?? null,
      helo: envelope.helo ?? null,
      mail_from: envelope.mail_from ?? null,
      rcpt_to: [],
    });
    input = {
      sender: m.from?.address ?? null,
      body: m.text ?? "",
      dkimPass: senderAuthentication.dkim.aligned,
      spfPass: senderAuthentication.spf.aligned,
      threadId: await threadByReferences(deps.db, mb.id, m.inReplyTo, m.references),
    };
  } else {
    if (Object.keys(envelope).length > 0) {
      throw validation("the envelope query parameters apply to raw MIME only", [
        "querystring: mail_from, client_ip and helo apply to raw MIME (Content-Type: message/rfc822) only",
      ]);
    }
    input = describedInput(body);
  }
  const row = await getPolicy(deps.db, mb.id);
  const decision = row
    ? await evaluatePolicy(
        row.document,
        input,
        policyCounters(
          deps.db,
          { mailboxId: mb.id, sender: input.sender, threadId: input.threadId },
          "dry-run",
        ),
      )
    : NO_POLICY;
  return { decision, input, ...(senderAuthentication ? { senderAuthentication } : {}) };
}

/** The JSON form `{from, body, dkim?, spf?, thread_id?}`, checked field by field. */
function describedInput(body: unknown): DryRunInput {
  const b = body as Record<string, unknown> | null;
  const errors: string[] = [];
  if (typeof b !== "object" || b === null || Array.isArray(b))
    throw validation("send a JSON object or raw MIME");
  if (b.from !== undefined && b.from !== null && typeof b.from !== "string")
    errors.push("body.from must be a string");
  if (b.body !== undefined && typeof b.body !== "string") errors.push("body.body must be a string");
  for (const k of ["dkim", "spf"])
    if (b[k] !== undefined && typeof b[k] !== "boolean") errors.push(`body.${k} must be a boolean`);
  if (b.thread_id !== undefined && b.thread_id !== null && typeof b.thread_id !== "string")
    errors.push("body.thread_id must be a string");
  for (const k of Object.keys(b))
    if (!["from", "body", "dkim", "spf", "thread_id"].includes(k))
      errors.push(`body.${k} is not a known field`);
  if (errors.length > 0) throw validation(errors[0]!, errors);
  return {
    sender: typeof b.from === "string" ? b.from.toLowerCase() : null,
    body: (b.body as string | undefined) ?? "",
    dkimPass: b.dkim === true,
    spfPass: b.spf === true,
    threadId: (b.thread_id as string | undefined) ?? null,
  };
}

/** Records LLM tokens an agent spent on an inbound message: they count against its sender's token budget. */
export async function reportTokenUsage(
  deps: { db: Db },
  p: Principal,
  messageId: string,
  tokens: number,
): Promise<{ messageId: string; sender: string | null; threadId: string | null }> {
  requireRole(p, "admin", "agent");
  const msg = await messageFor(deps.db, p, messageId);
  if (msg.direction !== "inbound") {
    throw new AppError(
      "conflict",
      "NOT_INBOUND",
      "token usage is attributed to the sender of an inbound message",
    );
  }
  await recordTokenUsage(deps.db, {
    accountId: msg.account_id,
    mailboxId: msg.mailbox_id,
    messageId: msg.id,
    sender: msg.sender,
    threadId: msg.thread_id,
    tokens,
  });
  return { messageId: msg.id, sender: msg.sender, threadId: msg.thread_id };
}
