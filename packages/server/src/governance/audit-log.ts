import { decodeCursor } from "../domain/cursor.ts";
import { validation } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import { type AuditRow, listAudit, verifyAudit } from "../store/audit.ts";
import type { Sql } from "../store/db.ts";
import { mailboxFor } from "../tenancy/access.ts";

export type { AuditRow };

const OUTCOMES = [
  "accepted",
  "rejected_at_policy",
  "rejected_at_verification",
  "rejected_at_content_guard",
  "rate_limited",
  "budget_exhausted",
  "legal_hold",
];

export interface AuditQuery {
  limit: number;
  cursor?: string;
  outcome?: string;
  /** Envelope or header sender, case-insensitive. */
  sender?: string;
  since?: string;
  /** Exclusive. */
  until?: string;
}

/** A page of a mailbox's policy audit entries, newest first: `limit + 1` rows. */
export async function listMailboxAudit(
  deps: { db: Sql },
  p: Principal,
  mailboxIdOrName: string,
  q: AuditQuery,
): Promise<AuditRow[]> {
  const mb = await mailboxFor(deps.db, p, mailboxIdOrName);
  if (q.outcome && !OUTCOMES.includes(q.outcome)) {
    throw validation(`outcome must be one of ${OUTCOMES.join(", ")}`, [
      `querystring.outcome must be one of ${OUTCOMES.join(", ")}`,
    ]);
  }
  const before = q.cursor ? decodeCursor(q.cursor, { s: "seq" }) : null;
  return listAudit(deps.db, mb.id, {
    outcome: q.outcome,
    sender: q.sender,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    beforeSeq: before?.s,
    limit: q.limit + 1,
  });
}

/** Recomputes the mailbox's audit hash chain from its anchor to its recorded head. */
export async function verifyMailboxAudit(deps: { db: Sql }, p: Principal, mailboxIdOrName: string) {
  const mb = await mailboxFor(deps.db, p, mailboxIdOrName);
  return { mailbox_id: mb.id, ...(await verifyAudit(deps.db, mb.id)) };
}
