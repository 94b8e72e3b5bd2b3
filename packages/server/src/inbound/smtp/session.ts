import { clientNetwork } from "../../domain/client-address.ts";
import { type SmtpReply, smtpReplies } from "../../domain/smtp-replies.ts";
import { isStorageFull } from "../../domain/storage-full.ts";
import { parseVerp } from "../../domain/verp.ts";
import type { Logger } from "../../platform/logger.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";
import type { Envelope } from "../../store/messages.ts";
import type { AcceptedCopy } from "../accept.ts";
import { headerBlockLength } from "../parse.ts";
import type { RecipientVerdict } from "../recipients.ts";
import type { SessionReply } from "./in-session-policy.ts";

/**
 * The SMTP protocol decisions, without sockets: which connection is admitted, what RCPT TO and the end of DATA
 * are answered. The listener only translates smtp-server's callbacks into these calls and their replies back.
 */

export const MAX_RECIPIENTS = 100;

/** What one mail transaction (MAIL FROM to the end of DATA) has learnt at RCPT. */
export interface Transaction {
  /** Recipients resolved to our mailboxes: address → mailbox. */
  mailboxes: Map<string, MailboxRow>;
  /** VERP return paths (bounces+<delivery>@domain): address → delivery id. */
  returnPaths: Map<string, string>;
  /** RCPT commands answered 250, repeats included: a repeated address still costs a command. */
  accepted: number;
}

export function newTransaction(): Transaction {
  return { mailboxes: new Map(), returnPaths: new Map(), accepted: 0 };
}

/** The connection caps: open sessions in all, and per client network. */
export function createConnectionGate(limits: { maxConnections: number; maxPerNetwork: number }) {
  // Open sessions (session id → client network) and their count per network.
  const sessions = new Map<string, string>();
  const perNetwork = new Map<string, number>();
  let closing = false;
  return {
    /** A refusal for a new connection, or null to admit it. */
    admit(sessionId: string, remoteAddress: string): SmtpReply | null {
      if (closing) return smtpReplies.shutting_down;
      const network = clientNetwork(remoteAddress);
      const fromNetwork = perNetwork.get(network) ?? 0;
      if (sessions.size >= limits.maxConnections) return smtpReplies.too_many_connections;
      if (fromNetwork >= limits.maxPerNetwork) return smtpReplies.too_many_connections_from_network;
      sessions.set(sessionId, network);
      perNetwork.set(network, fromNetwork + 1);
      return null;
    },
    /** A session ended (admitted or not). */
    release(sessionId: string): void {
      const network = sessions.get(sessionId);
      if (network === undefined) return;
      sessions.delete(sessionId);
      const left = (perNetwork.get(network) ?? 1) - 1;
      if (left > 0) perNetwork.set(network, left);
      else perNetwork.delete(network);
    },
    /** From now on every new connection is told we are shutting down. */
    shutDown(): void {
      closing = true;
    },
  };
}

export interface RcptDeps {
  domain: string;
  /** Whether another domain is one of ours (a verified custom domain): its VERP return paths are ours too. */
  isOurDomain?: (domain: string) => Promise<boolean>;
  resolveRecipient: (address: string) => Promise<RecipientVerdict>;
  /** Present when bounce reports are taken: whether the delivery a VERP return path names exists. */
  deliveryById?: (id: string) => Promise<unknown | null>;
  logger: Logger;
}

/** RCPT TO: the reply, and what the transaction learnt when it is 250. */
export async function rcptTo(deps: RcptDeps, tx: Transaction, address: string): Promise<SmtpReply> {
  if (tx.accepted >= MAX_RECIPIENTS) return smtpReplies.too_many_recipients;
  let deliveryId: string | null;
  let delivery: unknown;
  try {
    deliveryId = deps.deliveryById ? await returnPathOf(deps, address) : null;
    if (deliveryId) delivery = await deps.deliveryById!(deliveryId);
  } catch (err) {
    deps.logger.error("return path lookup failed", { err: String(err) });
    return smtpReplies.lookup_failed;
  }
  if (deliveryId) {
    if (!delivery) return smtpReplies.unknown_return_path(address);
    tx.returnPaths.set(address, deliveryId);
    tx.accepted++;
    return smtpReplies.recipient_accepted;
  }
  let v: RecipientVerdict;
  try {
    v = await deps.resolveRecipient(address);
  } catch (err) {
    deps.logger.error("recipient lookup failed", { err: String(err) });
    return smtpReplies.lookup_failed;
  }
  if (v.ok) {
    tx.mailboxes.set(address, v.mailbox);
    tx.accepted++;
    return smtpReplies.recipient_accepted;
  }
  if (v.reason === "paused") return smtpReplies.mailbox_paused(address);
  if (v.reason === "foreign_domain") return smtpReplies.relaying_denied;
  if (v.reason === "malformed") return smtpReplies.malformed_recipient;
  return smtpReplies.unknown_mailbox(address);
}

/** The delivery a VERP return path names, when the address is one at one of our domains. */
async function returnPathOf(deps: RcptDeps, address: string): Promise<string | null> {
  const domain = address
    .slice(address.lastIndexOf("@") + 1)
    .trim()
    .toLowerCase();
  const id = parseVerp(address, domain);
  if (!id) return null;
  return domain === deps.domain || (await deps.isOurDomain?.(domain)) ? id : null;
}

export interface DataDeps {
  maxMessageBytes: number;
  maxHeaderBytes: number;
  /** Commits the copies (rows and raw bytes); the reply may say 250 only after it resolved. */
  accept: (
    raw: Buffer,
    envelope: Envelope,
    recipients: { mailbox: MailboxRow; address: string }[],
    opts?: { holdSeconds?: number },
  ) => Promise<AcceptedCopy[]>;
  /** Records a bounce report that arrived at a VERP return path. */
  handleDsn?: (raw: Buffer, deliveryId: string) => Promise<unknown>;
  /** Whether any of these mailboxes has a MailPolicy (decided before the reply). */
  hasPolicy: (mailboxIds: string[]) => Promise<boolean>;
  /** Runs authentication and the policy while the client waits. */
  sessionPolicy: (
    raw: Buffer,
    envelope: Envelope,
    copies: (AcceptedCopy & { accountId: string })[],
  ) => Promise<SessionReply>;
  /** Processors stay away from copies held for an in-session decision this long. */
  holdSeconds: number;
  logger: Logger;
}

/** A failed commit: the storage_full reply when storage is full (RFC 3463), else `otherwise`. */
function storageFailure(err: unknown, otherwise: SmtpReply): SmtpReply {
  return isStorageFull(err) ? smtpReplies.storage_full : otherwise;
}

/**
 * The end of DATA: size and header checks, bounce reports recorded, the copies committed, and for mailboxes
 * with a MailPolicy the policy's answer — all before the reply.
 */
export async function endOfData(
  deps: DataDeps,
  tx: Transaction,
  raw: Buffer,
  envelope: Envelope,
): Promise<SmtpReply> {
  if (raw.length > deps.maxMessageBytes) return smtpReplies.message_too_big;
  if (headerBlockLength(raw, deps.maxHeaderBytes) === null)
    return smtpReplies.header_too_big(deps.maxHeaderBytes);
  const recipients = envelope.rcpt_to
    .map((address) => ({ address, mailbox: tx.mailboxes.get(address) }))
    .filter((r): r is { address: string; mailbox: MailboxRow } => Boolean(r.mailbox));
  const accountOf = new Map(recipients.map((r) => [r.mailbox.id, r.mailbox.account_id]));
  // Bounce reports are handled (and committed) before the reply, like any accepted message.
  try {
    for (const deliveryId of tx.returnPaths.values()) await deps.handleDsn!(raw, deliveryId);
  } catch (err) {
    deps.logger.error("could not record bounce report", { err: String(err) });
    return storageFailure(err, smtpReplies.bounce_not_recorded);
  }
  if (recipients.length === 0) return smtpReplies.bounce_report_recorded;
  const decideNow = await deps.hasPolicy([...accountOf.keys()]).catch(() => false);
  let copies: AcceptedCopy[];
  try {
    copies = await deps.accept(
      raw,
      envelope,
      recipients,
      decideNow ? { holdSeconds: deps.holdSeconds } : undefined,
    );
  } catch (err) {
    deps.logger.error("could not commit inbound message", { err: String(err) });
    return storageFailure(err, smtpReplies.not_stored);
  }
  const ok = smtpReplies.queued(copies.map((c) => c.messageId));
  if (!decideNow) return ok;
  const reply = await deps.sessionPolicy(
    raw,
    envelope,
    copies.map((c) => ({ ...c, accountId: accountOf.get(c.mailboxId)! })),
  );
  return reply.verdict === "reject" ? smtpReplies.refused_by_policy(reply.reason) : ok;
}
