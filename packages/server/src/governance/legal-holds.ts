import { randomUUID } from "node:crypto";
import { isUuid } from "../domain/address.ts";
import type { AuditAction } from "../domain/audit-chain.ts";
import type { Clock } from "../domain/clock.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { appendAudit } from "../store/audit.ts";
import type { Db, Sql } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import {
  activeHolds,
  getLegalHold,
  type HoldScope,
  insertLegalHold,
  type LegalHoldRow,
  listLegalHolds,
  lockHolds,
  markHoldReleased,
} from "../store/legal-holds.ts";
import { accountMailboxes } from "../store/mailboxes.ts";
import { mailboxFor } from "../tenancy/access.ts";

export type { LegalHoldRow };

const MAX_TEXT = 2000;

/** Who applied or released a hold: an admin key of the account (the seed's `admin`). */
const BY_TYPE = "admin";

function text(field: string, v: string | undefined | null, required: boolean): string | null {
  const t = v?.trim() ?? "";
  if (!t) {
    if (required) throw validation(`${field} is required`, [`body.${field} is required`]);
    return null;
  }
  if (t.length > MAX_TEXT) throw validation(`${field} must be at most ${MAX_TEXT} characters`);
  return t;
}

/**
 * Applies a legal hold (admin keys): the account's mail, or one mailbox's, is kept from retention, from message
 * and mailbox deletion and from account deletion until the hold is released. Audited in each held mailbox's chain.
 */
export async function applyLegalHold(
  deps: { db: Db; clock: Clock },
  p: Principal,
  input: { scope: HoldScope; reason: string; mailboxId?: string | null; caseReference?: string | null },
): Promise<LegalHoldRow> {
  requireRole(p, "admin");
  const reason = text("reason", input.reason, true)!;
  const caseReference = text("case_reference", input.caseReference, false);
  if (input.scope === "mailbox" && !input.mailboxId)
    throw validation("mailbox_id is required when scope is mailbox", ["body.mailbox_id is required"]);
  if (input.scope === "account" && input.mailboxId)
    throw validation("mailbox_id is only for scope mailbox; an account hold covers every mailbox");
  const mailbox = input.mailboxId ? await mailboxFor(deps.db, p, input.mailboxId) : null;
  return deps.db.tx(async (sql) => {
    await lockHolds(sql, p.accountId, "apply");
    const hold = await insertLegalHold(sql, {
      id: randomUUID(),
      account_id: p.accountId,
      scope: input.scope,
      mailbox_id: mailbox?.id ?? null,
      reason,
      case_reference: caseReference,
      applied_at: deps.clock.now(),
      applied_by_type: BY_TYPE,
      applied_by_id: p.apiKeyId,
    });
    await record(sql, hold, "legal_hold_applied", `legal hold ${hold.id} applied: ${reason}`);
    await appendEvent(sql, {
      accountId: p.accountId,
      mailboxId: hold.mailbox_id,
      type: "legal_hold.applied",
      data: {
        legal_hold_id: hold.id,
        scope: hold.scope,
        mailbox_id: hold.mailbox_id,
        case_reference: hold.case_reference,
        reason: hold.reason,
      },
      adminOnly: true,
    });
    return hold;
  });
}

/** Releases an active hold (admin keys); a released hold stays on record. */
export async function releaseLegalHold(
  deps: { db: Db; clock: Clock },
  p: Principal,
  id: string,
  releaseReason: string,
): Promise<LegalHoldRow> {
  requireRole(p, "admin");
  const reason = text("release_reason", releaseReason, true)!;
  return deps.db.tx(async (sql) => {
    await lockHolds(sql, p.accountId, "apply");
    const hold = await holdOf(sql, p, id);
    const released = await markHoldReleased(sql, p.accountId, hold.id, {
      at: deps.clock.now(),
      byType: BY_TYPE,
      byId: p.apiKeyId,
      reason,
    });
    if (!released)
      throw new AppError(
        "conflict",
        "LEGAL_HOLD_ALREADY_RELEASED",
        `legal hold ${hold.id} was released at ${hold.released_at?.toISOString()}; apply a new hold if needed`,
        { legal_hold_id: hold.id },
      );
    await record(sql, released, "legal_hold_released", `legal hold ${hold.id} released: ${reason}`);
    await appendEvent(sql, {
      accountId: p.accountId,
      mailboxId: released.mailbox_id,
      type: "legal_hold.released",
      data: {
        legal_hold_id: released.id,
        scope: released.scope,
        mailbox_id: released.mailbox_id,
        case_reference: released.case_reference,
        release_reason: released.release_reason,
      },
      adminOnly: true,
    });
    return released;
  });
}

/** A page of the account's holds, newest first: `limit + 1` rows. */
export async function legalHolds(
  deps: { db: Db },
  p: Principal,
  q: { includeReleased: boolean; limit: number; cursor?: string },
): Promise<LegalHoldRow[]> {
  requireRole(p, "admin");
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listLegalHolds(deps.db, p.accountId, {
    includeReleased: q.includeReleased,
    limit: q.limit + 1,
    before: before ? { appliedAt: before.t, id: before.i } : undefined,
  });
}

export async function legalHold(deps: { db: Db }, p: Principal, id: string): Promise<LegalHoldRow> {
  requireRole(p, "admin");
  return holdOf(deps.db, p, id);
}

async function holdOf(sql: Sql, p: Principal, id: string): Promise<LegalHoldRow> {
  const hold = isUuid(id) ? await getLegalHold(sql, p.accountId, id.toLowerCase()) : null;
  if (!hold) throw notFound("legal hold", id);
  return hold;
}

/**
 * Refuses a deletion a hold forbids, inside the deletion's transaction (after lockHolds "delete"): the mailbox's
 * own holds and its account's, or with no mailbox every hold of the account.
 */
export async function refuseIfHeld(
  sql: Sql,
  accountId: string,
  mailboxId: string | null,
  what: string,
): Promise<void> {
  await lockHolds(sql, accountId, "delete");
  const holds = await activeHolds(sql, accountId, mailboxId);
  if (holds.length === 0) return;
  throw new AppError(
    "conflict",
    "LEGAL_HOLD_ACTIVE",
    `${what} is under legal hold (${holds.map((h) => h.id).join(", ")}); release the hold first`,
    { legal_hold_ids: holds.map((h) => h.id), scope: holds[0]!.scope },
  );
}

/** The hold's entry in the audit chain of every mailbox it covers (live and deleted: their mail is kept too). */
async function record(sql: Sql, hold: LegalHoldRow, action: AuditAction, reason: string): Promise<void> {
  const ids = hold.mailbox_id
    ? [hold.mailbox_id]
    : (await accountMailboxes(sql, hold.account_id)).map((m) => m.id);
  // Chains in id order, as every writer locks them.
  for (const mailboxId of ids)
    await appendAudit(sql, hold.account_id, mailboxId, [
      {
        transport: "api",
        envelope_sender: null,
        header_sender: null,
        rule_index: null,
        outcome: "legal_hold",
        action,
        reason: reason.slice(0, 1000),
        message_id: null,
        body_sha256: null,
        capabilities: [],
      },
    ]);
}
