import { mailboxNameProblem } from "../domain/address.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, validation } from "../domain/errors.ts";
import { normalizeDecision } from "../domain/outbound-scan.ts";
import { type RedactionConfig, validateRedactionConfig } from "../domain/pii/redact.ts";
import { actorOf, type Principal, requireRole } from "../domain/principal.ts";
import { entryOrRefuse, type QuotaWindow, quotaProblems } from "../domain/recipient-controls.ts";
import { reservationOf, reservedNameProblem } from "../domain/reserved-names.ts";
import { settleMessage } from "../outbound/delivery/settle.ts";
import { defaultAccount, unbindMailbox } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import { CANCELLED_MAILBOX_DELETED, cancelMailboxDeliveries } from "../store/deliveries.ts";
import { cancelMailboxDrafts } from "../store/drafts.ts";
import { replaceEntries } from "../store/mailbox-lists.ts";
import {
  createMailbox,
  dropMailboxRules,
  listMailboxes,
  type MailboxRow,
  markMailboxDeleted,
  type ScannerPolicy,
  updateMailbox,
} from "../store/mailboxes.ts";
import { mailboxFor } from "./access.ts";

/**
 * Creates a mailbox. Names with authority over the domain are the operator's, and a name a deleted mailbox of
 * another account had is never handed to a new owner.
 */
export async function openMailbox(
  deps: { db: Db; domain: string },
  p: Principal,
  input: { name: string; displayName: string | null },
): Promise<MailboxRow> {
  requireRole(p, "admin");
  const { name } = input;
  const problem = mailboxNameProblem(name);
  if (problem) throw validation(problem, [`body.${problem}`]);
  const operator = (await defaultAccount(deps.db))?.id === p.accountId;
  const reserved = reservedNameProblem(name, operator);
  if (reserved)
    throw new AppError("forbidden", "MAILBOX_NAME_RESERVED", reserved, {
      name,
      reserved_for: reservationOf(name)!.holder,
    });
  const created = await createMailbox(deps.db, {
    accountId: p.accountId,
    name,
    displayName: input.displayName,
    // The operator may take back a reserved name a tenant held before it was reserved.
    takeOver: operator && reservationOf(name) !== null,
  });
  if (!created.ok && created.reason === "retired")
    throw new AppError(
      "conflict",
      "MAILBOX_NAME_RETIRED",
      `the address ${name}@${deps.domain} belonged to a deleted mailbox of another account; names are ` +
        "never handed to a new owner (mail meant for the old one would reach you). Choose another name",
    );
  if (!created.ok)
    throw new AppError(
      "conflict",
      "MAILBOX_NAME_TAKEN",
      `the address ${name}@${deps.domain} is already taken`,
    );
  return created.mailbox;
}

/** The mailboxes the caller may use, oldest first: up to limit + 1 rows, so the caller can tell whether more follow. */
export async function mailboxesOf(
  deps: { db: Db },
  p: Principal,
  q: { limit: number; cursor?: string },
): Promise<MailboxRow[]> {
  requireRole(p, "admin", "agent");
  const after = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listMailboxes(deps.db, p.accountId, {
    limit: q.limit + 1,
    after: after ? { createdAt: after.t, id: after.i } : undefined,
    onlyIds: p.role === "agent" ? p.mailboxIds : undefined,
  });
}

/** A mailbox by id or name. */
export function mailbox(deps: { db: Db }, p: Principal, ref: string): Promise<MailboxRow> {
  return mailboxFor(deps.db, p, ref);
}

/** Settings as a client sends them; the free-form ones are checked here, with errors that name what is wrong. */
export interface MailboxSettings {
  displayName?: string | null;
  piiMode?: MailboxRow["pii_mode"];
  piiRedactionConfig?: unknown;
  injectionThreshold?: number | null;
  hitlMode?: MailboxRow["hitl_mode"];
  scannerPolicy?: unknown;
  approvalExpiryHours?: number;
  sendQuotas?: unknown;
  inboundSenderAllowlist?: string[] | null;
}

export async function changeMailbox(
  deps: { db: Db },
  p: Principal,
  ref: string,
  s: MailboxSettings,
): Promise<MailboxRow> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, ref);
  let piiRedactionConfig: RedactionConfig | undefined;
  if (s.piiRedactionConfig !== undefined) {
    const v = validateRedactionConfig(s.piiRedactionConfig);
    if (!v.config) {
      if (v.unprocessable)
        throw new AppError("unprocessable", "PII_OPERATOR_NOT_ALLOWED", v.errors[0]!, { errors: v.errors });
      throw validation(v.errors[0]!, v.errors);
    }
    piiRedactionConfig = v.config;
  }
  // The sender allowlist's rows, replaced whole (the same list as /v1/mailboxes/:id/inbound-allowlist).
  const senderAllowlist =
    s.inboundSenderAllowlist === undefined
      ? undefined
      : [
          ...new Set(
            (s.inboundSenderAllowlist ?? []).map((e) => entryOrRefuse(e, "inbound_sender_allowlist entry")),
          ),
        ];
  if (s.sendQuotas !== undefined) {
    const problems = quotaProblems(s.sendQuotas);
    if (problems.length) throw validation(problems[0]!, problems);
  }
  return deps.db.tx(async (sql) => {
    const row = await updateMailbox(sql, mb.id, {
      displayName: s.displayName,
      piiMode: s.piiMode,
      piiRedactionConfig,
      injectionThreshold: s.injectionThreshold,
      hitlMode: s.hitlMode,
      scannerPolicy:
        s.scannerPolicy === undefined ? undefined : withSpecNames(s.scannerPolicy as ScannerPolicy),
      approvalExpiryHours: s.approvalExpiryHours,
      sendQuotas: s.sendQuotas as QuotaWindow[] | undefined,
    });
    if (senderAllowlist) await replaceEntries(sql, "senders", mb.id, senderAllowlist, actorOf(p));
    return row;
  });
}

/** Stores outbound PII decisions under the spec's names ("review" was require_human_approval's old name). */
function withSpecNames(policy: ScannerPolicy): ScannerPolicy {
  const pii = policy.outbound_pii_policy;
  if (!pii) return policy;
  const named = Object.fromEntries(Object.entries(pii).map(([k, d]) => [k, normalizeDecision(d)]));
  return { ...policy, outbound_pii_policy: named };
}

export interface MailboxDeletion {
  drafts_cancelled: number;
  deliveries_cancelled: number;
  rule_jobs_dropped: number;
}

/**
 * Deletes a mailbox and everything still to be done in its name, in one transaction: its scheduled and unsent
 * drafts and its queued deliveries are cancelled (a delivery a worker holds right now finishes its attempt; a
 * retry is cancelled when claimed), its rules and queued rule runs are dropped, and agent keys lose it. The name
 * stays with the account (mailbox_names). Sends racing the deletion are refused by the send path's row lock.
 * Says what it cancelled.
 */
export async function removeMailbox(
  deps: { db: Db },
  p: Principal,
  ref: string,
): Promise<{ mailbox: MailboxRow; done: MailboxDeletion }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, ref);
  const done = await deps.db.tx(async (sql) => {
    await markMailboxDeleted(sql, mb.id);
    await unbindMailbox(sql, mb.account_id, mb.id);
    const drafts = await cancelMailboxDrafts(sql, mb.id);
    const deliveries = await cancelMailboxDeliveries(sql, mb.id, CANCELLED_MAILBOX_DELETED);
    // Their messages follow the deliveries, as the deletion (the state machine says from where).
    for (const id of deliveries.messageIds) await settleMessage(sql, id, "deletion");
    const jobs = await dropMailboxRules(sql, mb.id);
    return { drafts_cancelled: drafts, deliveries_cancelled: deliveries.cancelled, rule_jobs_dropped: jobs };
  });
  return { mailbox: mb, done };
}
