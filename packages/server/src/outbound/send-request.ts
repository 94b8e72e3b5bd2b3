import { createHash } from "node:crypto";
import { addressList } from "../domain/address-list.ts";
import { AppError, validation } from "../domain/errors.ts";
import { type AuthoringVerb, authoringRefusal } from "../domain/mailbox-policy.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { Sql } from "../store/db.ts";
import { findIdempotencyKey } from "../store/idempotency.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { mailboxFor, messageFor, sentMessageFor } from "../tenancy/access.ts";
import type { Idempotency, SendResult, SendService } from "./send.ts";

/** A send as a client asks for it (the API's body): one address or a list per field. */
export interface SendRequestInput {
  from_mailbox: string;
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject: string;
  body: string;
  html?: string | null;
}

export interface ReplyRequestInput {
  body: string;
  html?: string | null;
  reply_all?: boolean;
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

/** Refuses a verb the mailbox's agent_authoring_mode does not give the caller (agent keys only). */
export function requireAuthoring(p: Principal, mailbox: MailboxRow, verb: AuthoringVerb): void {
  const refusal = authoringRefusal(p.role, mailbox.agent_authoring_mode, verb, mailbox.name);
  if (refusal) throw refusal;
}

/** Sends a new message from a mailbox the caller may use. */
export async function sendFromMailbox(
  deps: { db: Sql; send: Pick<SendService, "send"> },
  p: Principal,
  b: SendRequestInput,
  idempotencyKey: string | string[] | undefined,
): Promise<SendResult> {
  requireRole(p, "admin", "agent");
  const mailbox = await mailboxFor(deps.db, p, b.from_mailbox);
  requireAuthoring(p, mailbox, "send");
  const to = addressList("to", b.to);
  const cc = addressList("cc", b.cc);
  const bcc = addressList("bcc", b.bcc);
  if (to.length + cc.length + bcc.length === 0)
    throw validation("name at least one recipient in to, cc or bcc", [
      "body.to must name at least one recipient",
    ]);
  return deps.send.send(
    {
      mailbox,
      to,
      cc,
      bcc,
      subject: b.subject,
      text: b.body,
      html: b.html ?? null,
      apiKeyId: p.apiKeyId,
      agent: p.role === "agent",
    },
    idempotencyOf(idempotencyKey, "send", b),
  );
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
    },
    idempotencyOf(idempotencyKey, `reply:${parent.id}`, b),
  );
}
