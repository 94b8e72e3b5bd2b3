import { isUuid } from "../domain/address.ts";
import { AppError, notFound } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import { maySee } from "../domain/visibility.ts";
import type { Sql } from "../store/db.ts";
import { findMailbox, type MailboxRow } from "../store/mailboxes.ts";
import { getMessage, type MessageRow } from "../store/messages.ts";
import { getThread, type ThreadRow } from "../store/threads.ts";

/** Ingest keys feed mail in; they read nothing. */
function assertReader(p: Principal) {
  if (p.role === "ingest") {
    throw new AppError("forbidden", "INSUFFICIENT_SCOPE", "ingest keys can only call POST /v1/ingest");
  }
}

function canReach(p: Principal, mailboxId: string): boolean {
  return p.role === "admin" || p.mailboxIds.includes(mailboxId);
}

/** A mailbox of the caller's account that the caller may use: not_found across accounts, forbidden for unbound agents. */
export async function mailboxFor(sql: Sql, p: Principal, idOrName: string): Promise<MailboxRow> {
  assertReader(p);
  const mailbox = await findMailbox(sql, p.accountId, idOrName);
  if (!mailbox) throw notFound("mailbox", idOrName);
  if (!canReach(p, mailbox.id)) {
    throw new AppError("forbidden", "MAILBOX_FORBIDDEN", "this API key is not bound to that mailbox");
  }
  return mailbox;
}

/**
 * Messages and threads of mailboxes an agent is not bound to look the same as missing ones; so does mail that was
 * kept from agents (domain/visibility.ts).
 */
export async function messageFor(sql: Sql, p: Principal, id: string): Promise<MessageRow> {
  assertReader(p);
  if (!isUuid(id)) throw notFound("message", id);
  const msg = await getMessage(sql, p.accountId, id.toLowerCase());
  if (!msg || !canReach(p, msg.mailbox_id) || !maySee(p.role, msg)) throw notFound("message", id);
  return msg;
}

/**
 * A message this key's mailboxes sent, whatever became of it (held sends included): for answering the sender
 * about its own request, never for reading mail.
 */
export async function sentMessageFor(sql: Sql, p: Principal, id: string): Promise<MessageRow> {
  assertReader(p);
  const msg = isUuid(id) ? await getMessage(sql, p.accountId, id.toLowerCase()) : null;
  if (msg?.direction !== "outbound" || !canReach(p, msg.mailbox_id)) throw notFound("message", id);
  return msg;
}

/**
 * A thread the caller may use, by its id — or, as the seed's clients also name a thread, by the id of a message in
 * it that the caller may see.
 */
export async function threadFor(sql: Sql, p: Principal, id: string): Promise<ThreadRow> {
  assertReader(p);
  if (!isUuid(id)) throw notFound("thread", id);
  let thread = await getThread(sql, p.accountId, id.toLowerCase());
  if (!thread) {
    const msg = await getMessage(sql, p.accountId, id.toLowerCase());
    if (msg?.thread_id && canReach(p, msg.mailbox_id) && maySee(p.role, msg))
      thread = await getThread(sql, p.accountId, msg.thread_id);
  }
  if (!thread || !canReach(p, thread.mailbox_id)) throw notFound("thread", id);
  return thread;
}
