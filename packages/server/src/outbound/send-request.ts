import { createHash } from "node:crypto";
import { mailboxAddress } from "../domain/address.ts";
import { addressList } from "../domain/address-list.ts";
import { AppError, validation } from "../domain/errors.ts";
import { type AuthoringVerb, authoringRefusal } from "../domain/mailbox-policy.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { SubaddressMode } from "../domain/subaddress.ts";
import { replyReferences, replySubject } from "../domain/thread-keys.ts";
import { threadReplyTarget } from "../domain/thread-reply.ts";
import type { Sql } from "../store/db.ts";
import { findIdempotencyKey } from "../store/idempotency.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { type MessageRow, threadMessages } from "../store/messages.ts";
import type { ThreadRow } from "../store/threads.ts";
import { mailboxFor, messageFor, sentMessageFor, threadFor } from "../tenancy/access.ts";
import type { Idempotency, SendResult, SendService, SendThreading } from "./send.ts";

/**
 * A send as a client asks for it (the API's body): one address or a list per field. A new message names its
 * mailbox, recipients and subject; one with `thread_id` continues a thread and may leave all three out.
 */
export interface SendRequestInput {
  from_mailbox?: string;
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject?: string;
  body: string;
  html?: string | null;
  thread_id?: string;
  subaddress_instance_id?: string;
  subaddress_mode?: SubaddressMode;
  attachment_ids?: string[];
}

export interface ReplyRequestInput {
  body: string;
  html?: string | null;
  reply_all?: boolean;
  subaddress_instance_id?: string;
  subaddress_mode?: SubaddressMode;
  attachment_ids?: string[];
}

/** The claim of an Idempotency-Key: the key, and a hash of what was asked so a changed request is refused. */
export function idempotencyOf(
  header: string | string[] | undefined,
  route: string,
  body: unknown,
): Idempotency | null {
  if (header === undefined) return null;
  const key = Array.isArray(header) ? header[0]! : header;
  if (key.length === 0 || key.length > 255) {
    throw validation("Idempotency-Key must be 1 to 255 characters", [
      "headers.idempotency-key must be 1 to 255 characters",
    ]);
  }
  const requestHash = createHash("sha256")
    .update(route)
    .update("\n")
    .update(JSON.stringify(body))
    .digest("hex");
  return { key, requestHash };
}

/**
 * The seed's replay probe: what a send with this Idempotency-Key answered, so a client that lost the answer can
 * learn it without sending again. A key never used (or one whose request rolled back) is a miss.
 */
export async function replayOfKey(
  deps: { db: Sql },
  p: Principal,
  header: string | string[] | undefined,
): Promise<SendResult> {
  requireRole(p, "admin", "agent");
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || key.length > 255)
    throw validation("pass the key in the Idempotency-Key header (1 to 255 characters)", [
      "headers.idempotency-key must be 1 to 255 characters",
    ]);
  const row = await findIdempotencyKey<SendResult>(deps.db, p.accountId, key);
  if (!row)
    throw new AppError(
      "not_found",
      "IDEMPOTENCY_KEY_NOT_FOUND",
      "no send was made with this Idempotency-Key",
    );
  if (!row.response)
    throw new AppError(
      "conflict",
      "IDEMPOTENT_REQUEST_IN_FLIGHT",
      "the send with this key has not finished",
      {
        retry_after: 1,
      },
    );
  // An agent learns only of sends from its own mailboxes.
  await sentMessageFor(deps.db, p, row.response.message_id);
  return row.response;
}

/** What a send or a draft into a thread resolves to: the mailbox, the thread, its recipient and its headers. */
export interface ThreadSend {
  mailbox: MailboxRow;
  thread: ThreadRow;
  /** The recipient chosen for the caller (null: the caller named its recipients). */
  to: string[] | null;
  /** The message it answers. */
  parent: MessageRow;
  subject: string;
  threading: SendThreading;
}

/**
 * Resolves a send into a thread (the seed's `thread_id`): a thread of the caller's (or, as the seed's clients also
 * name one, a message in it), in `fromMailbox` when one is named (THREAD_NOT_FOUND otherwise); its recipient
 * and the message it answers (domain/thread-reply.ts); a "Re:" subject; In-Reply-To and References that continue
 * that message's chain.
 */
export async function resolveThreadSend(
  deps: { db: Sql; config?: { domain: string } },
  p: Principal,
  threadKey: string,
  fromMailbox: string | undefined,
  requested: string[],
): Promise<ThreadSend> {
  const thread = await threadFor(deps.db, p, threadKey).catch((err) => {
    throw err instanceof AppError && err.refusal === "not_found" ? threadNotFound(threadKey) : err;
  });
  const mailbox = await mailboxFor(deps.db, p, thread.mailbox_id);
  if (fromMailbox !== undefined && (await mailboxFor(deps.db, p, fromMailbox)).id !== mailbox.id)
    throw threadNotFound(threadKey, fromMailbox);
  const inbound = (await threadMessages(deps.db, thread.id, p.role !== "admin")).filter(
    (m) => m.direction === "inbound",
  );
  const self = deps.config ? mailboxAddress(mailbox, deps.config.domain) : "";
  const { to, parent } = threadReplyTarget(
    inbound.map((m) => ({ m, sender: m.sender, replyTo: m.reply_to, createdAt: new Date(m.created_at) })),
    requested,
    self,
  );
  return {
    mailbox,
    thread,
    to,
    parent: parent.m,
    subject: replySubject(parent.m.subject ?? thread.subject),
    threading: threadingOf(parent.m, thread.id),
  };
}

/** The headers and thread of a message answering `parent`; the loop guard applies when a machine wrote it. */
export function threadingOf(parent: MessageRow, threadId: string | null): SendThreading {
  return {
    threadId,
    inReplyTo: parent.internet_message_id,
    references: replyReferences({
      references: parent.references_ids,
      inReplyTo: parent.in_reply_to,
      messageId: parent.internet_message_id,
    }),
    ...(parent.direction === "inbound" && parent.auto_submitted && parent.sender
      ? { automatedParent: { sender: parent.sender, why: parent.auto_submitted } }
      : {}),
  };
}

const threadNotFound = (key: string, mailbox?: string) =>
  new AppError(
    "not_found",
    "THREAD_NOT_FOUND",
    mailbox === undefined
      ? `thread ${JSON.stringify(key)} was not found`
      : `thread ${JSON.stringify(key)} is not a thread of mailbox ${JSON.stringify(mailbox)}`,
  );

/** Refuses a verb the mailbox's agent_authoring_mode does not give the caller (agent keys only). */
export function requireAuthoring(p: Principal, mailbox: MailboxRow, verb: AuthoringVerb): void {
  const refusal = authoringRefusal(p.role, mailbox.agent_authoring_mode, verb, mailbox.name);
  if (refusal) throw refusal;
}

/**
 * Sends a new message from a mailbox the caller may use; with `thread_id`, continues that thread (its mailbox,
 * its counterpart unless `to` names one who wrote into it, "Re:" its subject unless one is given).
 */
export async function sendFromMailbox(
  deps: { db: Sql; send: Pick<SendService, "send">; config?: { domain: string } },
  p: Principal,
  b: SendRequestInput,
  idempotencyKey: string | string[] | undefined,
): Promise<SendResult> {
  requireRole(p, "admin", "agent");
  const to = addressList("to", b.to);
  const cc = addressList("cc", b.cc);
  const bcc = addressList("bcc", b.bcc);
  const idem = idempotencyOf(idempotencyKey, "send", b);
  const content = {
    cc,
    bcc,
    text: b.body,
    html: b.html ?? null,
    apiKeyId: p.apiKeyId,
    agent: p.role === "agent",
    subaddressInstanceId: b.subaddress_instance_id ?? null,
    subaddressMode: b.subaddress_mode ?? null,
    attachmentIds: b.attachment_ids,
  };
  if (b.thread_id !== undefined) {
    const t = await resolveThreadSend(deps, p, b.thread_id, b.from_mailbox, [...to, ...cc, ...bcc]);
    requireAuthoring(p, t.mailbox, "send");
    return deps.send.send(
      {
        ...content,
        mailbox: t.mailbox,
        to: t.to ?? to,
        subject: b.subject ?? t.subject,
        threading: t.threading,
      },
      idem,
    );
  }
  if (b.from_mailbox === undefined)
    throw validation("name the sending mailbox in from_mailbox (or continue a thread with thread_id)", [
      "body.from_mailbox is required without thread_id",
    ]);
  const mailbox = await mailboxFor(deps.db, p, b.from_mailbox);
  requireAuthoring(p, mailbox, "send");
  if (to.length + cc.length + bcc.length === 0)
    throw validation("name at least one recipient in to, cc or bcc", [
      "body.to must name at least one recipient",
    ]);
  if (b.subject === undefined)
    throw validation("a new message needs a subject (or continue a thread with thread_id)", [
      "body.subject is required without thread_id",
    ]);
  return deps.send.send({ ...content, mailbox, to, subject: b.subject }, idem);
}

/** Replies to a message in its thread, from the message's own mailbox. */
export async function replyToMessage(
  deps: { db: Sql; send: Pick<SendService, "reply"> },
  p: Principal,
  id: string,
  b: ReplyRequestInput,
  idempotencyKey: string | string[] | undefined,
): Promise<SendResult> {
  requireRole(p, "admin", "agent");
  const parent = await messageFor(deps.db, p, id);
  if (parent.state === "received") {
    throw new AppError(
      "conflict",
      "MESSAGE_NOT_READY",
      "the message is still being processed; retry in a moment",
    );
  }
  const mailbox = await mailboxFor(deps.db, p, parent.mailbox_id);
  requireAuthoring(p, mailbox, "reply");
  return deps.send.reply(
    parent,
    mailbox,
    {
      text: b.body,
      html: b.html ?? null,
      replyAll: b.reply_all ?? false,
      apiKeyId: p.apiKeyId,
      agent: p.role === "agent",
      subaddressInstanceId: b.subaddress_instance_id ?? null,
      subaddressMode: b.subaddress_mode ?? null,
      attachmentIds: b.attachment_ids,
    },
    idempotencyOf(idempotencyKey, `reply:${parent.id}`, b),
  );
}
