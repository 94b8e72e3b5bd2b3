import type { Clock } from "../domain/clock.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError } from "../domain/errors.ts";
import { sourcesOf } from "../domain/message-state.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db } from "../store/db.ts";
import { queueDeliveries } from "../store/deliveries.ts";
import { appendEvent } from "../store/events.ts";
import { decideHeldSend, listPendingReview, type MessageRow } from "../store/messages.ts";
import { mailboxFor, messageFor } from "../tenancy/access.ts";

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
  if (!row) {
    throw new AppError(
      "conflict",
      "MESSAGE_NOT_HELD",
      `the message is ${msg.state}; only held outbound messages can be ${decision}`,
    );
  }
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
