import { randomUUID } from "node:crypto";
import { isUuid, mailboxAddress } from "../domain/address.ts";
import { addressList } from "../domain/address-list.ts";
import { type Clock, systemClock } from "../domain/clock.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import type { ScannedContent } from "../domain/mail-content.ts";
import { type Finding, withFindings } from "../domain/outbound-scan.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { MAX_RECIPIENTS } from "../domain/recipient-controls.ts";
import type { SubaddressMode } from "../domain/subaddress.ts";
import { replySubject } from "../domain/thread-keys.ts";
import { createWorkLoop, type WorkLoop } from "../jobs/runner.ts";
import type { Logger } from "../platform/logger.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db, Sql } from "../store/db.ts";
import {
  claimDraft,
  claimDueDrafts,
  type DraftContent,
  type DraftRow,
  type DraftThreading,
  deleteDraft as deleteDraftRow,
  draftContentOf,
  finishDraft,
  getDraft,
  insertDraft,
  listDrafts,
  msUntilNextScheduledDraft,
  returnDraftAfterRescan,
  updateDraft as updateDraftRow,
} from "../store/drafts.ts";
import { appendEvent } from "../store/events.ts";
import { getMailboxById, type MailboxRow, mailboxIdentities } from "../store/mailboxes.ts";
import { mailboxFor, messageFor } from "../tenancy/access.ts";
import { checkDraftAttachments, uploadsById } from "./attachments.ts";
import { scanForMailbox } from "./send/decide.ts";
import { replyRecipients } from "./send/reply.ts";
import type { SendResult, SendService, SendThreading } from "./send.ts";
import { requireAuthoring, resolveThreadSend, threadingOf } from "./send-request.ts";

export type { DraftRow };

/** The scan of a draft's content under the mailbox's current policy, with its attachments' findings. */
export function scanDraft(mailbox: MailboxRow, c: ScannedContent, attachmentFindings: Finding[] = []) {
  const s = withFindings(scanForMailbox(mailbox, c), attachmentFindings);
  return { scan: { verdict: s.verdict, findings: s.findings }, worst: s.worst };
}

/** The findings of a draft's attachments whose scans finished (pending ones are scanned again at the send). */
async function draftAttachmentFindings(
  deps: { db: Sql },
  mailbox: MailboxRow,
  ids: string[],
): Promise<Finding[]> {
  if (ids.length === 0) return [];
  const uploads = await uploadsById(deps, mailbox.account_id, ids);
  return ids.flatMap((id, index) =>
    ((uploads.get(id)?.scan?.findings ?? []) as Finding[]).map((f) => ({ ...f, attachment_index: index })),
  );
}

/** Draft fields as a client gives them; absent ones keep the draft's (or are empty on a new draft). */
export interface DraftInput {
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject?: string;
  text?: string;
  html?: string | null;
  /** ISO 8601; null unschedules. */
  sendAt?: string | null;
  /** The sub-address instance and mode its send names (null clears). */
  subaddressInstanceId?: string | null;
  subaddressMode?: SubaddressMode | null;
  /** Upload handles the draft will send; null clears them, absent keeps them. */
  attachmentIds?: string[] | null;
}

/** An empty draft: what a new draft's absent fields are. */
const EMPTY_DRAFT: DraftContent = {
  to: [],
  cc: [],
  bcc: [],
  subject: "",
  text: "",
  html: null,
  sendAt: null,
  subaddressInstanceId: null,
  subaddressMode: null,
};

function contentOf(b: DraftInput, base: DraftContent = EMPTY_DRAFT): DraftContent {
  const to = b.to !== undefined ? addressList("to", b.to) : base.to;
  const cc = b.cc !== undefined ? addressList("cc", b.cc) : base.cc;
  const bcc = b.bcc !== undefined ? addressList("bcc", b.bcc) : base.bcc;
  if (new Set([...to, ...cc, ...bcc].map((a) => a.toLowerCase())).size > MAX_RECIPIENTS)
    throw new AppError(
      "invalid",
      "TOO_MANY_RECIPIENTS",
      `a message may have at most ${MAX_RECIPIENTS} recipients (to, cc and bcc together)`,
      { limit: MAX_RECIPIENTS },
    );
  const sendAt = b.sendAt !== undefined ? (b.sendAt === null ? null : new Date(b.sendAt)) : base.sendAt;
  return {
    to,
    cc,
    bcc,
    subject: b.subject ?? base.subject,
    text: b.text ?? base.text,
    html: b.html !== undefined ? b.html : base.html,
    sendAt,
    subaddressInstanceId:
      b.subaddressInstanceId !== undefined ? b.subaddressInstanceId : base.subaddressInstanceId,
    subaddressMode: b.subaddressMode !== undefined ? b.subaddressMode : base.subaddressMode,
  };
}

/** A draft of the caller's account in a mailbox the caller may use; anything else looks missing. */
async function draftFor(sql: Sql, p: Principal, id: string): Promise<DraftRow> {
  if (!isUuid(id)) throw new AppError("not_found", "NOT_FOUND", `no draft ${id}`);
  const d = await getDraft(sql, p.accountId, id.toLowerCase());
  if (!d || (p.role !== "admin" && !p.mailboxIds.includes(d.mailbox_id)))
    throw new AppError("not_found", "NOT_FOUND", `no draft ${id}`);
  return d;
}

/** What a new draft answers (the seed's fields): a thread, or one message. */
export interface DraftReply {
  threadId?: string;
  inReplyToMessageId?: string;
}

/**
 * Writes a new draft, scanned now. A draft answering a message (`inReplyToMessageId`) is written in that
 * message's mailbox and thread, to its Reply-To or sender and "Re:" its subject unless given; one continuing a
 * thread (`threadId`) is resolved as a send into the thread is (outbound/send-request.ts). Either way its send
 * carries In-Reply-To and References and joins the thread. `fromMailbox` may then be left out; named, it must be
 * the message's or thread's.
 */
export async function createDraft(
  deps: { db: Sql; config?: { domain: string }; clock?: Clock },
  p: Principal,
  fromMailbox: string | undefined,
  input: DraftInput,
  reply: DraftReply = {},
): Promise<DraftRow> {
  requireRole(p, "admin", "agent");
  let draftInput = input;
  let threading: DraftThreading | null = null;
  let mailbox: MailboxRow;
  if (reply.threadId !== undefined && reply.inReplyToMessageId !== undefined)
    throw validation("a draft answers a thread or one message: pass thread_id or in_reply_to_message_id", [
      "body.thread_id and body.in_reply_to_message_id exclude each other",
    ]);
  if (reply.threadId !== undefined) {
    const requested = contentOf(input);
    const t = await resolveThreadSend(deps, p, reply.threadId, fromMailbox, [
      ...requested.to,
      ...requested.cc,
      ...requested.bcc,
    ]);
    mailbox = t.mailbox;
    draftInput = { ...input, to: input.to ?? t.to ?? undefined, subject: input.subject ?? t.subject };
    threading = { ...t.threading, inReplyToMessageId: t.parent.id };
  } else if (reply.inReplyToMessageId !== undefined) {
    const parent = await messageFor(deps.db, p, reply.inReplyToMessageId);
    mailbox = await mailboxFor(deps.db, p, parent.mailbox_id);
    if (fromMailbox !== undefined && (await mailboxFor(deps.db, p, fromMailbox)).id !== mailbox.id)
      throw notFound("message", reply.inReplyToMessageId);
    const self = deps.config ? mailboxAddress(mailbox, deps.config.domain) : "";
    const { to, cc } = replyRecipients(parent, self, { replyAll: false });
    draftInput = {
      ...input,
      to: input.to ?? to,
      cc: input.cc ?? cc,
      subject: input.subject ?? replySubject(parent.subject),
    };
    threading = { ...threadingOf(parent, parent.thread_id), inReplyToMessageId: parent.id };
  } else {
    if (fromMailbox === undefined)
      throw validation("name the mailbox writing the draft in from_mailbox (or mailbox_id)", [
        "body.from_mailbox is required",
      ]);
    mailbox = await mailboxFor(deps.db, p, fromMailbox);
  }
  requireAuthoring(p, mailbox, "draft_create");
  const content = contentOf(draftInput);
  const attachmentIds = await checkDraftAttachments(
    { db: deps.db, clock: deps.clock ?? systemClock },
    mailbox,
    input.attachmentIds ?? [],
  );
  const { scan, worst } = scanDraft(
    mailbox,
    content,
    await draftAttachmentFindings(deps, mailbox, attachmentIds),
  );
  return insertDraft(deps.db, {
    attachmentIds,
    id: randomUUID(),
    accountId: mailbox.account_id,
    mailboxId: mailbox.id,
    content,
    scan,
    worst,
    threading: threading && {
      threadId: threading.threadId,
      inReplyToMessageId: threading.inReplyToMessageId,
      inReplyTo: threading.inReplyTo,
      references: threading.references,
    },
  });
}

export async function getDraftOf(deps: { db: Sql }, p: Principal, id: string): Promise<DraftRow> {
  return draftFor(deps.db, p, id);
}

/** The names and domains of the mailboxes drafts belong to (drafts the caller already holds), by mailbox id. */
export function mailboxNames(
  deps: { db: Sql },
  mailboxIds: string[],
): Promise<Map<string, { name: string; domain: string | null }>> {
  return mailboxIdentities(deps.db, mailboxIds);
}

/** A page of a mailbox's unsent drafts, newest first: `limit + 1` rows. */
export async function listMailboxDrafts(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  q: { limit: number; cursor?: string },
): Promise<DraftRow[]> {
  const mb = await mailboxFor(deps.db, p, mailboxIdOrName);
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listDrafts(deps.db, mb.id, q.limit + 1, before);
}

/** Edits an unsent draft (rescanned); a draft already sent cannot change. */
export async function editDraft(
  deps: { db: Sql; clock?: Clock },
  p: Principal,
  id: string,
  input: DraftInput,
): Promise<DraftRow> {
  requireRole(p, "admin", "agent");
  const d = await draftFor(deps.db, p, id);
  const mailbox = await mailboxFor(deps.db, p, d.mailbox_id);
  requireAuthoring(p, mailbox, "draft_update");
  const content = contentOf(input, draftContentOf(d));
  const attachmentIds =
    input.attachmentIds === undefined
      ? d.attachment_ids
      : await checkDraftAttachments(
          { db: deps.db, clock: deps.clock ?? systemClock },
          mailbox,
          input.attachmentIds ?? [],
        );
  const { scan, worst } = scanDraft(
    mailbox,
    content,
    await draftAttachmentFindings(deps, mailbox, attachmentIds),
  );
  const row = await updateDraftRow(deps.db, d.id, content, scan, worst, attachmentIds);
  if (!row)
    throw new AppError(
      "conflict",
      "DRAFT_ALREADY_SENT",
      "the draft was sent (or is being sent); it cannot change",
    );
  return row;
}

/** Deletes a draft (a scheduled one is unscheduled). */
export async function deleteDraft(deps: { db: Sql }, p: Principal, id: string): Promise<DraftRow> {
  requireRole(p, "admin", "agent");
  const d = await draftFor(deps.db, p, id);
  if (!(await deleteDraftRow(deps.db, d.id)))
    throw new AppError("conflict", "DRAFT_ALREADY_SENT", "the draft was sent (or is being sent)");
  return d;
}

export type DraftSendOutcome =
  | { scheduled: true; draftId: string; sendAt: Date }
  | { scheduled: false; result: SendResult };

/**
 * Hands a draft to the scheduler to be sent at once (the seed's `Prefer: respond-async`): the caller gets an answer
 * before the rescan and send run; the outcome arrives as events (`message.sent`, `message.dispatch_failed`…).
 */
export async function queueDraftSend(
  deps: { db: Sql; clock: Clock },
  p: Principal,
  id: string,
): Promise<{ draftId: string }> {
  requireRole(p, "admin", "agent");
  const d = await draftFor(deps.db, p, id);
  requireAuthoring(p, await mailboxFor(deps.db, p, d.mailbox_id), "draft_send");
  if (d.to_addrs.length + d.cc_addrs.length + d.bcc_addrs.length === 0)
    throw validation("the draft has no recipients; add some with PATCH first", [
      "draft.to must name at least one recipient",
    ]);
  const claimed = await claimDraft(deps.db, d.id, "scheduled", deps.clock.now());
  if (!claimed)
    throw new AppError("conflict", "DRAFT_ALREADY_SENT", "the draft was already sent (or is being sent)");
  await notify(deps.db, Channel.drafts);
  return { draftId: d.id };
}

/** Sends a draft now, or schedules it when its `send_at` is still ahead. */
export async function sendDraft(
  deps: { db: Sql; send: SendService; clock: Clock },
  p: Principal,
  id: string,
): Promise<DraftSendOutcome> {
  requireRole(p, "admin", "agent");
  const d = await draftFor(deps.db, p, id);
  const mailbox = await mailboxFor(deps.db, p, d.mailbox_id);
  requireAuthoring(p, mailbox, "draft_send");
  if (d.to_addrs.length + d.cc_addrs.length + d.bcc_addrs.length === 0)
    throw validation("the draft has no recipients; add some with PATCH first", [
      "draft.to must name at least one recipient",
    ]);
  const later = d.send_at && new Date(d.send_at).getTime() > deps.clock.now().getTime();
  const claimed = await claimDraft(deps.db, d.id, later ? "scheduled" : "sending");
  if (!claimed)
    throw new AppError("conflict", "DRAFT_ALREADY_SENT", "the draft was already sent (or is being sent)");
  if (later) {
    await notify(deps.db, Channel.drafts);
    return { scheduled: true, draftId: d.id, sendAt: new Date(d.send_at!) };
  }
  return {
    scheduled: false,
    result: await sendClaimedDraft(deps, claimed, mailbox, { agent: p.role === "agent" }),
  };
}

/**
 * Sends a claimed draft: an authoritative rescan against the mailbox's policy as it is now (it may have changed
 * since the draft was written), then the ordinary send path — so holds and review apply as to any send. A rescan
 * that would quarantine or block puts the draft back and refuses with DRAFT_REJECTED_BY_RESCAN (conflict) with the scan.
 * The idempotency key is the draft's, so a retried send can never go out twice.
 */
export async function sendClaimedDraft(
  deps: { db: Sql; send: SendService },
  draft: DraftRow,
  mailbox: MailboxRow,
  /** An agent key sends it now (the send window binds it); scheduled drafts go out as the service's. */
  origin: { agent?: boolean } = {},
): Promise<SendResult> {
  const { sendAt: _, ...content } = draftContentOf(draft);
  const { scan, worst } = scanDraft(
    mailbox,
    content,
    await draftAttachmentFindings(deps, mailbox, draft.attachment_ids),
  );
  if (worst === "block" || worst === "quarantine") {
    await returnDraftAfterRescan(deps.db, draft.id, scan, worst);
    throw new AppError(
      "conflict",
      "DRAFT_REJECTED_BY_RESCAN",
      `the draft would be ${worst === "block" ? "blocked" : "quarantined"} by the mailbox's current policy; edit it and send again`,
      { scan },
    );
  }
  // A draft that answers a conversation joins it — its thread when that still exists, else by its headers.
  const threading: SendThreading | undefined =
    draft.in_reply_to !== null || draft.thread_id !== null
      ? {
          threadId: draft.thread_id,
          inReplyTo: draft.in_reply_to,
          references: draft.references_ids,
        }
      : undefined;
  try {
    const result = await deps.send.send(
      {
        mailbox,
        ...content,
        agent: origin.agent ?? false,
        attachmentIds: draft.attachment_ids,
        ...(threading ? { threading } : {}),
      },
      { key: `draft:${draft.id}`, requestHash: `draft:${draft.id}` },
    );
    await finishDraft(deps.db, draft.id, { messageId: result.message_id });
    return result;
  } catch (err) {
    // A draft whose mailbox was deleted meanwhile is cancelled: it can never be sent.
    const gone = err instanceof AppError && err.code === "MAILBOX_DELETED";
    await finishDraft(deps.db, draft.id, gone ? "cancelled" : "back_to_draft");
    throw err;
  }
}

/** Sends scheduled drafts when their `send_at` comes (checked every few seconds; any worker may take them). */
export function createDraftScheduler(deps: {
  db: Db;
  send: SendService;
  logger: Logger;
  clock?: Clock;
}): WorkLoop {
  // The same clock decides "due" here and "later" in sendDraft.
  const clock = deps.clock ?? systemClock;
  return createWorkLoop({
    name: "drafts",
    db: deps.db,
    channel: Channel.drafts,
    logger: deps.logger,
    async pass() {
      for (;;) {
        const due = await claimDueDrafts(deps.db, 20, clock.now());
        if (due.length === 0) return;
        for (const d of due) {
          const mailbox = await getMailboxById(deps.db, d.mailbox_id);
          await sendClaimedDraft(deps, d, mailbox!).catch(async (err) => {
            deps.logger.warn(
              "scheduled draft not sent (a draft again, or cancelled if its mailbox is gone)",
              {
                draft_id: d.id,
                err: String(err),
              },
            );
            // Nobody is waiting on an HTTP answer: the agent hears of the failure as an event.
            await appendEvent(deps.db, {
              accountId: d.account_id,
              mailboxId: d.mailbox_id,
              type: "message.dispatch_failed",
              data: {
                draft_id: d.id,
                code: err instanceof AppError ? err.code : "INTERNAL_ERROR",
                error: err instanceof AppError ? err.message : "the draft could not be sent",
              },
            });
          });
        }
      }
    },
    // Sleep until the next scheduled draft is due (at most 30 s: drafts scheduled elsewhere also notify).
    async nextDelayMs() {
      return Math.min(
        30_000,
        Math.max(50, (await msUntilNextScheduledDraft(deps.db, clock.now())) ?? 30_000),
      );
    },
  });
}
