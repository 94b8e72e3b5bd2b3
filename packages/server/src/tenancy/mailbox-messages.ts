import { decodeCursor } from "../domain/cursor.ts";
import { AppError, validation } from "../domain/errors.ts";
import { agentMayReadRaw } from "../domain/mailbox-policy.ts";
import { sourcesOf } from "../domain/message-state.ts";
import type { Principal } from "../domain/principal.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db, Sql } from "../store/db.ts";
import { type DeliveryRow, deliveriesFor } from "../store/deliveries.ts";
import { appendEvent } from "../store/events.ts";
import { getMailboxById, type MailboxRow } from "../store/mailboxes.ts";
import {
  LISTED_STATES,
  listMessages,
  type MessageRow,
  markDeleted,
  markRead,
  setStarred,
  spooledRaw,
} from "../store/messages.ts";
import { mailboxFor, messageFor } from "./access.ts";
import { type PiiView, piiViewOf, piiViewOfMailboxId } from "./pii-settings.ts";

const ALL_STATES = [
  "received",
  ...LISTED_STATES,
  "quarantined",
  "pending_review",
  "blocked",
  "failed",
  "deleted",
];

/** Messages of one mailbox with the deliveries of their outbound ones, and how the mailbox shows them. */
export interface MessagesWithDeliveries {
  rows: MessageRow[];
  deliveries: DeliveryRow[];
  view: PiiView;
}

async function withDeliveries(sql: Sql, rows: MessageRow[]): Promise<DeliveryRow[]> {
  return deliveriesFor(
    sql,
    rows.filter((r) => r.direction === "outbound").map((r) => r.id),
  );
}

export interface MessageListQuery {
  limit: number;
  cursor?: string;
  direction?: "inbound" | "outbound";
  since?: string;
  unread?: boolean;
  state?: string;
  threadId?: string;
  label?: string;
  starred?: boolean;
  hasAttachment?: boolean;
  /** An address, or a domain as `@example.com`. */
  sender?: string;
  until?: string;
  /** Created strictly before this time (the seed's `before`; the cursor pages on its own). */
  beforeTime?: string;
}

/** A page of a mailbox's messages, newest first: `limit + 1` rows (the extra one says another page exists). */
export async function listMailboxMessages(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  q: MessageListQuery,
): Promise<MessagesWithDeliveries & { mailbox: MailboxRow }> {
  const mailbox = await mailboxFor(deps.db, p, mailboxIdOrName);
  if (q.state && !ALL_STATES.includes(q.state)) {
    throw validation(`state must be one of ${ALL_STATES.join(", ")}`, [
      `querystring.state must be one of ${ALL_STATES.join(", ")}`,
    ]);
  }
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  const rows = await listMessages(deps.db, mailbox.id, {
    limit: q.limit + 1,
    direction: q.direction,
    since: q.since ? new Date(q.since) : undefined,
    unread: q.unread,
    states: q.state ? [q.state] : LISTED_STATES,
    threadId: q.threadId,
    label: q.label,
    starred: q.starred,
    hasAttachment: q.hasAttachment,
    sender: q.sender,
    until: q.until ? new Date(q.until) : undefined,
    beforeTime: q.beforeTime ? new Date(q.beforeTime) : undefined,
    before: before ? { createdAt: before.t, id: before.i } : undefined,
    agentView: p.role !== "admin",
  });
  const deliveries = await withDeliveries(deps.db, rows.slice(0, q.limit));
  return { mailbox, rows, deliveries, view: await piiViewOf(deps.db, mailbox) };
}

/** One message the caller may see, with its deliveries. */
export async function getMessageWithDeliveries(
  deps: { db: Sql },
  p: Principal,
  id: string,
): Promise<MessagesWithDeliveries> {
  const msg = await messageFor(deps.db, p, id);
  const deliveries = await withDeliveries(deps.db, [msg]);
  return { rows: [msg], deliveries, view: await piiViewOfMailboxId(deps.db, msg.mailbox_id) };
}

/** Marks a message read (the first read time stays) and returns it with its deliveries. */
export async function markMessageRead(
  deps: { db: Sql },
  p: Principal,
  id: string,
): Promise<MessagesWithDeliveries> {
  const msg = await messageFor(deps.db, p, id);
  const row = await markRead(deps.db, msg.id);
  const deliveries = await withDeliveries(deps.db, [row]);
  return { rows: [row], deliveries, view: await piiViewOfMailboxId(deps.db, row.mailbox_id) };
}

/** The exact stored bytes of a message: from the spool while it is there, else from the blob store. */
export async function rawMessage(
  deps: { db: Sql; blobs: Pick<BlobStore, "get"> },
  p: Principal,
  id: string,
): Promise<Buffer> {
  const msg = await messageFor(deps.db, p, id);
  if (p.role !== "admin" && msg.direction === "inbound") {
    const mb = await getMailboxById(deps.db, msg.mailbox_id);
    // The raw bytes would undo the redaction the mailbox promises its agents.
    if (mb?.pii_mode === "redacted") {
      throw new AppError(
        "forbidden",
        "PII_REDACTED",
        "this mailbox shows its agents redacted messages only; the raw message needs an admin key",
      );
    }
    // The raw bytes carry the attachments, which the mailbox may show its agents as metadata only.
    if (
      mb &&
      !agentMayReadRaw(mb.attachment_exposure_mode, mb.attachment_allowed_file_families, msg.attachments)
    )
      throw new AppError(
        "forbidden",
        "ATTACHMENT_ACCESS_DISABLED",
        `this message has attachments and the mailbox shows its agents their metadata only ` +
          `(attachment_exposure_mode ${mb.attachment_exposure_mode}${
            mb.attachment_exposure_mode === "raw_download_selected_types"
              ? `, families ${mb.attachment_allowed_file_families.join(", ")}`
              : ""
          }); the raw message needs an admin key`,
        { attachment_exposure_mode: mb.attachment_exposure_mode },
      );
  }
  return (await spooledRaw(deps.db, msg.id)) ?? (await deps.blobs.get(msg.raw_sha256));
}

/**
 * Marks many messages read at once (first read times stay). Ids the caller cannot see are reported back rather
 * than refused, so one stale id does not undo a batch; they look the same as ids that never existed.
 */
export async function markMessagesRead(
  deps: { db: Sql },
  p: Principal,
  ids: string[],
): Promise<{ marked: MessageRow[]; notFound: string[] }> {
  const marked: MessageRow[] = [];
  const notFound: string[] = [];
  for (const id of [...new Set(ids)]) {
    let msg: MessageRow;
    try {
      msg = await messageFor(deps.db, p, id);
    } catch (err) {
      if (err instanceof AppError && err.refusal === "not_found") {
        notFound.push(id);
        continue;
      }
      throw err;
    }
    marked.push(await markRead(deps.db, msg.id));
  }
  return { marked, notFound };
}

/** Stars or unstars a message the caller may see (agents: mail of their mailboxes that was not kept from them). */
export async function starMessage(
  deps: { db: Sql },
  p: Principal,
  id: string,
  starred: boolean,
): Promise<MessageRow> {
  const msg = await messageFor(deps.db, p, id);
  return setStarred(deps.db, msg.id, starred);
}

/**
 * Deletes a message: state `deleted`, out of every list, its thread, wait and the agents' view; the row and its
 * raw bytes stay for admins (docs/decisions/0013-message-deletion.md). Admin keys only — an agent steered by
 * the mail it reads must not be able to destroy the record of it (the seed's MESSAGE_DELETE_NOT_PERMITTED). Only
 * settled mail: a held send is for its reviewer to decide, mail in flight or being processed finishes first.
 * Deleting a deleted message answers the same again.
 */
export async function deleteMessage(deps: { db: Db }, p: Principal, id: string): Promise<MessageRow> {
  const msg = await messageFor(deps.db, p, id);
  if (p.role !== "admin") {
    throw new AppError(
      "forbidden",
      "MESSAGE_DELETE_NOT_PERMITTED",
      "only an admin key can delete messages; agent keys cannot",
    );
  }
  if (msg.state === "deleted") return msg;
  const from = sourcesOf(msg.direction, "deleted", "admin");
  const row = await deps.db.tx(async (sql) => {
    const deleted = await markDeleted(sql, msg.id, from);
    if (!deleted) return null;
    await appendEvent(sql, {
      accountId: deleted.account_id,
      mailboxId: deleted.mailbox_id,
      type: "message.deleted",
      data: { message_id: deleted.id, previous_state: msg.state },
      adminOnly: true,
    });
    return deleted;
  });
  if (!row) {
    throw new AppError(
      "conflict",
      "MESSAGE_NOT_DELETABLE",
      `a message in state ${msg.state} cannot be deleted; only settled mail (${from.join(", ")}) can`,
      { state: msg.state },
    );
  }
  return row;
}
