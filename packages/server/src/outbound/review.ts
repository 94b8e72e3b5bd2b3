import type { Clock } from "../domain/clock.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, validation } from "../domain/errors.ts";
import { sourcesOf } from "../domain/message-state.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { type HoldContext, policyHoldReasons, revisedHold } from "../domain/send-decision.ts";
import type { BlobStore } from "../store/blobs.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db } from "../store/db.ts";
import { queueDeliveries } from "../store/deliveries.ts";
import { appendEvent } from "../store/events.ts";
import { decideHeldSend, listPendingReview, type MessageRow, reviseHeldSend } from "../store/messages.ts";
import { retitleSoleThread } from "../store/threads.ts";
import { mailboxFor, messageFor } from "../tenancy/access.ts";
import { rescanSentAttachments } from "./attachments.ts";
import { scanAndDecide } from "./send/decide.ts";
import type { SendService } from "./send.ts";

// Human review of held sends. Admin keys only, so an agent can never approve its own mail.

/** Sends waiting for a human, oldest first: up to limit + 1 rows, so the caller can tell whether more follow. */
export async function listHeldSends(
  deps: { db: Db },
  p: Principal,
  q: { limit: number; mailbox?: string; cursor?: string },
): Promise<MessageRow[]> {
  requireRole(p, "admin");
  const mailboxId = q.mailbox ? (await mailboxFor(deps.db, p, q.mailbox)).id : null;
  const after = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listPendingReview(deps.db, p.accountId, { mailboxId, after, limit: q.limit + 1 });
}

/** Approves a held send: it goes to the delivery queue. */
export function approveSend(deps: { db: Db; clock: Clock }, p: Principal, id: string, note?: string) {
  return decide(deps, p, id, note, "approved");
}

/** Denies a held send: it is never delivered. */
export function denySend(deps: { db: Db; clock: Clock }, p: Principal, id: string, note?: string) {
  return decide(deps, p, id, note, "denied");
}

async function decide(
  deps: { db: Db; clock: Clock },
  p: Principal,
  id: string,
  rawNote: string | undefined,
  decision: "approved" | "denied",
): Promise<MessageRow> {
  requireRole(p, "admin");
  const msg = await messageFor(deps.db, p, id);
  const note = rawNote?.trim() || null;
  if (decision === "approved" && !note) await requireNoteIfSensitive(deps.db, p, msg);
  const row = await deps.db.tx(async (sql) => {
    const review = { decision, note, decided_at: deps.clock.now().toISOString(), api_key_id: p.apiKeyId };
    const to = decision === "approved" ? "dispatching" : "blocked";
    const updated = await decideHeldSend(sql, msg.id, sourcesOf("outbound", to, "reviewer"), to, review);
    if (!updated) return null;
    if (decision === "approved") {
      const recipients = [
        ...new Set(
          [...updated.to_addrs, ...updated.cc_addrs, ...updated.bcc_addrs].map((a) => a.toLowerCase()),
        ),
      ];
      await queueDeliveries(sql, updated.account_id, updated.id, recipients);
      await notify(sql, Channel.delivery);
    }
    await appendEvent(sql, {
      accountId: updated.account_id,
      mailboxId: updated.mailbox_id,
      type: `message.${decision}`,
      data: { message_id: updated.id, note },
    });
    return updated;
  });
  if (!row) throw notHeld(msg.state, decision);
  return row;
}

const notHeld = (state: string, done: string) =>
  new AppError(
    "conflict",
    "MESSAGE_NOT_HELD",
    `the message is ${state}; only held outbound messages can be ${done}`,
  );

/** A reviewer's new content for a held send: absent fields keep the message's. */
export interface RevisionInput {
  subject?: string;
  text?: string;
  html?: string | null;
  note?: string;
}

/**
 * Edits a held send (pending_review) and rescans it under the mailbox's current policy: the same message
 * (Message-ID, headers, recipients, attachments) with new content, signed again. A rescan that would quarantine or
 * block refuses the revision (409 REVISION_REJECTED_BY_RESCAN) and changes nothing; otherwise it stays held with
 * the new scan, for a human to approve. Admin keys only: an agent cannot launder its own held mail.
 */
export async function reviseSend(
  deps: { db: Db; blobs: Pick<BlobStore, "get">; send: Pick<SendService, "recompose"> },
  p: Principal,
  id: string,
  input: RevisionInput,
): Promise<MessageRow> {
  requireRole(p, "admin");
  if (input.subject === undefined && input.text === undefined && input.html === undefined)
    throw validation("a revision changes at least one of subject, text or html", [
      "body must have subject, text or html",
    ]);
  const msg = await messageFor(deps.db, p, id);
  if (msg.direction !== "outbound" || msg.state !== "pending_review") throw notHeld(msg.state, "revised");
  const mailbox = await mailboxFor(deps.db, p, msg.mailbox_id);
  const content = {
    subject: input.subject ?? msg.subject ?? "",
    text: input.text ?? msg.body_text ?? "",
    html: input.html === undefined ? msg.body_html : input.html,
  };
  const attachments = await rescanSentAttachments(deps, mailbox, msg.attachments);
  // The mailbox's own reasons (the send window) stand; the scanner's are found afresh or dropped.
  const kept = policyHoldReasons(msg.hold_context as HoldContext | null, msg.scan);
  const { scan, status, hold } = scanAndDecide(mailbox, content, kept, attachments.findings);
  if (status === "quarantined" || status === "blocked")
    throw new AppError(
      "conflict",
      "REVISION_REJECTED_BY_RESCAN",
      `the revised message would be ${status} by the mailbox's current policy; nothing was changed`,
      { scan },
    );
  const { raw, rawSha256 } = await deps.send.recompose(msg, content, attachments.files);
  const note = input.note?.trim() || null;
  const row = await deps.db.tx(async (sql) => {
    const updated = await reviseHeldSend(sql, msg.id, sourcesOf("outbound", "pending_review", "reviewer"), {
      ...content,
      rawSha256,
      rawSize: raw.length,
      scan,
      holdContext: revisedHold(hold),
    });
    if (!updated) return null;
    if (updated.thread_id) await retitleSoleThread(sql, updated.thread_id, updated.id, content.subject);
    await appendEvent(sql, {
      accountId: updated.account_id,
      mailboxId: updated.mailbox_id,
      type: "message.revised",
      data: { message_id: updated.id, note },
    });
    return updated;
  });
  if (!row) throw notHeld("no longer held", "revised");
  return row;
}

/** A mailbox may require a note before a human lets an SSN or card number go out. */
async function requireNoteIfSensitive(db: Db, p: Principal, msg: MessageRow) {
  const mb = await mailboxFor(db, p, msg.mailbox_id);
  const sensitive = ((msg.scan?.findings ?? []) as { pii_type?: string }[]).some(
    (f) => f.pii_type === "ssn" || f.pii_type === "credit_card",
  );
  if (sensitive && mb.scanner_policy.outbound_review_policy?.approval_note === "required_for_sensitive_pii") {
    throw new AppError(
      "invalid",
      "APPROVAL_NOTE_REQUIRED",
      'this send holds an SSN or card number and the mailbox requires a note to approve it: send {"note": "..."}',
    );
  }
}
