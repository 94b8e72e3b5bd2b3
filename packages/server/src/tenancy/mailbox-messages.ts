import { IMAGE_RISK_VERSION } from "../domain/attachment-access.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, validation } from "../domain/errors.ts";
import { agentMayReadRaw } from "../domain/mailbox-policy.ts";
import { sourcesOf } from "../domain/message-state.ts";
import type { Principal } from "../domain/principal.ts";
import { parseSearchQuery } from "../domain/search-query.ts";
import { refuseIfHeld } from "../governance/legal-holds.ts";
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
  searchMatches,
  setStarred,
  spooledRaw,
} from "../store/messages.ts";
import { mailboxFor, messageFor } from "./access.ts";
import { type PiiView, piiViewOf, piiViewOfMailboxId, redactorOf } from "./pii-settings.ts";

/**
 * The states a list can be filtered to (`state` or `status`), by Postbox's names and the seed's: `scanning` is
 * mail still being processed (Postbox's `received`), and `firewall_blocked` the blocked mail the inbound firewall
 * stopped (Postbox records it as `blocked` with a `firewall_block`; `blocked` lists all of it). The filter narrows
 * what the caller may see and never widens it: for an agent key, inbound mail held back from it stays out of
 * every list whatever the filter asks.
 */
const STATE_FILTERS: Record<string, { states: string[]; firewallBlocked?: boolean }> = {
  received: { states: ["received"] },
  scanning: { states: ["received"] },
  available: { states: ["available"] },
  quarantined: { states: ["quarantined"] },
  pending_review: { states: ["pending_review"] },
  blocked: { states: ["blocked"] },
  firewall_blocked: { states: ["blocked"], firewallBlocked: true },
  failed: { states: ["failed"] },
  dispatching: { states: ["dispatching"] },
  delivered: { states: ["delivered"] },
  bounced: { states: ["bounced"] },
  cancelled: { states: ["cancelled"] },
  deleted: { states: ["deleted"] },
};
export const STATE_FILTER_NAMES = Object.keys(STATE_FILTERS);

/** The filter a `state`/`status` value names; refused when unknown (or `draft`: drafts have their own list). */
function stateFilter(name: string): { states: string[]; firewallBlocked?: boolean } {
  const f = Object.hasOwn(STATE_FILTERS, name) ? STATE_FILTERS[name] : undefined;
  if (f) return f;
  if (name === "draft")
    throw validation("drafts are not messages here; list them with GET /v1/mailboxes/:id/drafts", [
      "querystring.status: draft is listed at GET /v1/mailboxes/:id/drafts",
    ]);
  throw validation(`status must be one of ${STATE_FILTER_NAMES.join(", ")}`, [
    `querystring.status must be one of ${STATE_FILTER_NAMES.join(", ")}`,
  ]);
}

/** Rounds of candidates a search in a redacting mailbox examines before it answers with a partial page. */
const MAX_RECHECK_ROUNDS = 5;

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
  /** A state name (see STATE_FILTERS); `status` is the seed's name for the same filter. */
  state?: string;
  status?: string;
  /** The seed's search syntax (domain/search-query.ts). */
  search?: string;
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

const later = (a: Date | undefined, b: Date | null) => (b && (!a || b > a) ? b : a);
const earlier = (a: Date | undefined, b: Date | null) => (b && (!a || b < a) ? b : a);

/**
 * A page of a mailbox's messages, newest first: `limit + 1` rows (the extra one says another page exists). A
 * search that had to stop before it filled the page (see below) says where to go on in `resumeAfter`.
 *
 * Search runs over the stored text (subject, sender, text body), but never finds a message by text the caller is
 * not shown: in a mailbox that redacts PII, every inbound candidate is checked again against its redacted subject
 * and body, and dropped when only the redacted-away text matched. Answers carry no snippets or highlights, so
 * nothing unredacted is ever returned; a list shows messages as the mailbox shows them.
 */
export async function listMailboxMessages(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  q: MessageListQuery,
): Promise<MessagesWithDeliveries & { mailbox: MailboxRow; resumeAfter?: MessageRow }> {
  const mailbox = await mailboxFor(deps.db, p, mailboxIdOrName);
  if (q.state !== undefined && q.status !== undefined && q.state !== q.status)
    throw validation("state and status are the same filter; pass one of them", [
      "querystring.status and querystring.state disagree",
    ]);
  const named = q.status ?? q.state;
  const filter = named !== undefined ? stateFilter(named) : undefined;
  const search = q.search !== undefined ? parseSearchQuery(q.search) : null;
  const view = await piiViewOf(deps.db, mailbox);
  const empty = { mailbox, rows: [], deliveries: [], view };
  // Operators and parameters add up: is:starred with starred=false can match nothing.
  if (search?.starred && q.starred === false) return empty;
  if (search?.hasAttachment && q.hasAttachment === false) return empty;
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  const opts = {
    limit: q.limit + 1,
    direction: q.direction,
    since: later(q.since ? new Date(q.since) : undefined, search?.after ?? null),
    unread: q.unread,
    states: filter?.states ?? LISTED_STATES,
    firewallBlocked: filter?.firewallBlocked,
    threadId: q.threadId,
    label: q.label,
    starred: search?.starred ? true : q.starred,
    hasAttachment: search?.hasAttachment ? true : q.hasAttachment,
    sender: q.sender,
    until: q.until ? new Date(q.until) : undefined,
    beforeTime: earlier(q.beforeTime ? new Date(q.beforeTime) : undefined, search?.before ?? null),
    before: before ? { createdAt: before.t, id: before.i } : undefined,
    agentView: p.role !== "admin",
    search: search ? { text: search.text, subject: search.subject, from: search.from } : undefined,
  };
  const redact = redactorOf(view);
  const textSearch = search && (search.text.length > 0 || search.subject.length > 0);
  if (!redact || !textSearch) {
    const rows = await listMessages(deps.db, mailbox.id, opts);
    const deliveries = await withDeliveries(deps.db, rows.slice(0, q.limit));
    return { mailbox, rows, deliveries, view };
  }
  // A redacting mailbox: keep only the candidates whose redacted text still matches.
  const kept: MessageRow[] = [];
  let from = opts.before;
  let resumeAfter: MessageRow | undefined;
  for (let round = 0; round < MAX_RECHECK_ROUNDS && kept.length <= q.limit; round++) {
    const batch = await listMessages(deps.db, mailbox.id, { ...opts, before: from });
    const inbound = batch.filter((m) => m.direction === "inbound");
    const shown = await searchMatches(
      deps.db,
      inbound.map((m) => ({
        subject: m.subject === null ? null : redact(m.subject),
        sender: m.sender,
        senderName: m.sender_name,
        // The HTML part is withheld from a redacting mailbox's readers: it is not searched for them either.
        text: m.body_text === null ? null : redact(m.body_text),
      })),
      search,
    );
    const visible = new Set(inbound.filter((_, i) => shown.has(i)).map((m) => m.id));
    kept.push(...batch.filter((m) => m.direction === "outbound" || visible.has(m.id)));
    if (batch.length < opts.limit) {
      resumeAfter = undefined;
      break;
    }
    const last = batch[batch.length - 1]!;
    from = { createdAt: last.created_at.toISOString(), id: last.id };
    resumeAfter = last;
  }
  const rows = kept.slice(0, q.limit + 1);
  const deliveries = await withDeliveries(deps.db, rows.slice(0, q.limit));
  return {
    mailbox,
    rows,
    deliveries,
    view,
    ...(rows.length <= q.limit && resumeAfter ? { resumeAfter } : {}),
  };
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
      !agentMayReadRaw(
        mb.attachment_exposure_mode,
        mb.attachment_allowed_file_families,
        msg.attachments,
        mb.attachment_image_accepted_version === IMAGE_RISK_VERSION,
      )
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
 * Deleting a deleted message answers the same again. A legal hold on the mailbox or account refuses it.
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
    await refuseIfHeld(sql, msg.account_id, msg.mailbox_id, "this message's mailbox");
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
