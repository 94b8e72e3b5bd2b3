import type { Clock } from "../domain/clock.ts";
import { AppError, notFound } from "../domain/errors.ts";
import { type Actor, actorOf, type Principal, requireRole } from "../domain/principal.ts";
import {
  attemptCursor,
  entryOrRefuse,
  isDomainEntry,
  type QuotaUse,
  splitEntries,
} from "../domain/recipient-controls.ts";
import type { Db, Sql } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import { countEntries } from "../store/mailbox-lists.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import {
  accountDailySendCap,
  addSuppressions,
  type BlockedAttemptGroup,
  type BlockedAttemptRow,
  blockedAttemptGroups,
  blockedAttempts,
  listSuppressions,
  lockRecipientPolicy,
  quotaMailboxes,
  quotaUses,
  recipientPolicyOf,
  removeSuppression,
  type SuppressionRow,
  setRecipientPolicy,
} from "../store/recipient-controls.ts";
import { mailboxFor } from "../tenancy/access.ts";
import {
  addEntriesInBulk,
  addEntry,
  type BulkAdd,
  entriesOf,
  type ListEntryRow,
  type ListRules,
  removeListEntry,
} from "../tenancy/mailbox-lists.ts";

// Who mail may go to: the account's suppression list, each mailbox's recipient policy and allowlist, and the send
// quotas. Changes that widen what an agent may do are admin-only.

export type { BlockedAttemptGroup, BlockedAttemptRow, BulkAdd, ListEntryRow, SuppressionRow };

type Reason = SuppressionRow["reason"];

/**
 * A domain suppression blocks every mailbox of the account from a whole domain, so only admin keys add one;
 * agent keys suppress exact addresses (an unsubscribe).
 */
function assertMayAddSuppressions(p: Principal, entries: string[]) {
  if (p.role === "admin") return;
  const domains = entries.filter(isDomainEntry);
  if (domains.length === 0) return;
  throw new AppError(
    "forbidden",
    "DOMAIN_SUPPRESSION_ADMIN_ONLY",
    `agent keys may only suppress exact addresses; ${domains.join(", ")} ${domains.length === 1 ? "is a domain" : "are domains"}, ` +
      "which would block every mailbox of the account. Ask an admin to add it, or suppress the exact address",
    { entries: domains },
  );
}

// Suppressions -----------------------------------------------------------------------------------------------

/** The account's suppressions by address: up to limit + 1 rows, so the caller can tell whether more follow. */
export async function suppressionsOf(
  deps: { db: Db },
  p: Principal,
  q: { reason?: Reason; limit: number; cursor?: string },
): Promise<SuppressionRow[]> {
  requireRole(p, "admin", "agent");
  return listSuppressions(deps.db, p.accountId, {
    reason: q.reason ?? null,
    limit: q.limit + 1,
    after: q.cursor ?? null,
  });
}

async function suppress(
  sql: Sql,
  accountId: string,
  emails: string[],
  reason: Reason,
  detail: string | null,
  actor: Actor,
) {
  const rows = await addSuppressions(
    sql,
    accountId,
    emails.map((email) => ({ email, reason, source: "customer", detail, expiresAt: null })),
    actor,
  );
  for (const r of rows)
    if (r.inserted)
      await appendEvent(sql, {
        accountId,
        mailboxId: null,
        type: "recipient_blocklist.added",
        data: { email: r.email, reason, source: "customer", expires_at: null },
      });
  return rows;
}

/** Suppresses an address or a bare domain (admin only for a domain); `created` is false when it already was. */
export async function suppressRecipient(
  deps: { db: Db },
  p: Principal,
  input: { email: string; reason?: Reason; detail?: string },
): Promise<{ row: SuppressionRow; created: boolean }> {
  requireRole(p, "admin", "agent");
  const email = entryOrRefuse(input.email);
  assertMayAddSuppressions(p, [email]);
  const reason = input.reason ?? "manual";
  const [row] = await deps.db.tx((sql) =>
    suppress(sql, p.accountId, [email], reason, input.detail ?? null, actorOf(p)),
  );
  return { row: row!, created: row!.inserted };
}

/** Suppresses many; invalid entries are skipped, and from an agent key any domain refuses the whole request. */
export async function suppressRecipients(
  deps: { db: Db },
  p: Principal,
  emails: string[],
  reason?: Reason,
): Promise<BulkAdd<SuppressionRow>> {
  requireRole(p, "admin", "agent");
  const { valid, invalid } = splitEntries(emails);
  assertMayAddSuppressions(p, valid);
  const rows = await deps.db.tx((sql) =>
    suppress(sql, p.accountId, valid, reason ?? "manual", null, actorOf(p)),
  );
  return {
    added: rows.filter((r) => r.inserted),
    already_existed: rows.filter((r) => !r.inserted).map((r) => r.email),
    invalid,
  };
}

export async function unsuppressRecipient(
  deps: { db: Db },
  p: Principal,
  text: string,
): Promise<SuppressionRow> {
  requireRole(p, "admin");
  const email = entryOrRefuse(text);
  const removed = await removeSuppression(deps.db, p.accountId, email);
  if (!removed) throw notFound("suppression", email);
  return removed;
}

// Allowlist and recipient policy -----------------------------------------------------------------------------

/** The outbound allowlist's rules: in force in allowlist mode; changes announced as events. */
export const RECIPIENT_ALLOWLIST: ListRules = {
  list: "recipients",
  name: "allowlist",
  inForce: async (sql, mb) => (await recipientPolicyOf(sql, mb.id)) === "allowlist",
  lastEntryEffect:
    "without it the mailbox could send to no one (switch it to blocklist mode first to lift the restriction instead)",
  async onAdded(sql, mb, rows) {
    await appendEvent(sql, {
      accountId: mb.account_id,
      mailboxId: mb.id,
      type: "recipient_allowlist.added",
      data: { emails: rows.map((r) => r.email) },
    });
  },
  async onRemoved(sql, mb, row) {
    await appendEvent(sql, {
      accountId: mb.account_id,
      mailboxId: mb.id,
      type: "recipient_allowlist.removed",
      data: { email: row.email },
    });
  },
};

/** A page of a mailbox's allowlist and its mode; agent keys may read it, to know whom they may write to. */
export async function allowlistView(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  q: { limit: number; cursor?: string },
): Promise<{ mailbox: MailboxRow; entries: ListEntryRow[] }> {
  const { mailbox, entries } = await entriesOf(deps, p, RECIPIENT_ALLOWLIST, mailboxRef, q);
  return { mailbox, entries };
}

export const allowRecipient = (deps: { db: Db }, p: Principal, mailboxRef: string, text: string) =>
  addEntry(deps, p, RECIPIENT_ALLOWLIST, mailboxRef, text);

export const allowRecipients = (deps: { db: Db }, p: Principal, mailboxRef: string, texts: string[]) =>
  addEntriesInBulk(deps, p, RECIPIENT_ALLOWLIST, mailboxRef, texts);

/**
 * Removes an allowlist entry. Removing the last one in allowlist mode would stop the mailbox sending at all, so it
 * is refused unless `forceEmpty`.
 */
export const disallowRecipient = (
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  text: string,
  forceEmpty = false,
) => removeListEntry(deps, p, RECIPIENT_ALLOWLIST, mailboxRef, text, forceEmpty);

/**
 * Sets a mailbox's recipient policy inside the caller's transaction (the mailbox row locked until it ends):
 * switching to allowlist with an empty list is refused unless `forceEmpty`; a change is announced. The size of the
 * allowlist.
 */
export async function applyRecipientPolicy(
  sql: Sql,
  mb: MailboxRow,
  mode: "blocklist" | "allowlist",
  forceEmpty = false,
): Promise<{ previous: string | null; allowlistSize: number }> {
  const previous = await lockRecipientPolicy(sql, mb.id);
  const size = await countEntries(sql, "recipients", mb.id);
  // The guard is on the switch: a mailbox already in allowlist mode (with force_empty before) stays as it is.
  if (mode === "allowlist" && previous !== "allowlist" && size === 0 && !forceEmpty)
    throw new AppError(
      "invalid",
      "ALLOWLIST_EMPTY",
      "the allowlist is empty: in allowlist mode the mailbox could not send at all. Add recipients first " +
        "(POST …/allowlist or …/allowlist/bulk), or pass force_empty: true",
    );
  await setRecipientPolicy(sql, mb.id, mode);
  if (previous !== mode)
    await appendEvent(sql, {
      accountId: mb.account_id,
      mailboxId: mb.id,
      type: "mailbox.recipient_policy_changed",
      data: { mode, previous_mode: previous, allowlist_size: size },
    });
  return { previous, allowlistSize: size };
}

/** Switches between blocklist and allowlist mode; an empty allowlist is refused unless `forceEmpty`. */
export async function switchRecipientPolicy(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  mode: "blocklist" | "allowlist",
  forceEmpty = false,
): Promise<{ mode: "blocklist" | "allowlist"; allowlistSize: number }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  return deps.db.tx(async (sql) => {
    const { allowlistSize } = await applyRecipientPolicy(sql, mb, mode, forceEmpty);
    return { mode, allowlistSize };
  });
}

/**
 * Sends the allowlist refused: grouped by recipient and key, the most frequent first (`aggregate`), or one by one,
 * newest first, a page after the cursor (the last attempt's id).
 */
export async function blockedAttemptsOf(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  opts: { aggregate: boolean; withinDays: number | null; limit: number; cursor?: string },
): Promise<
  { aggregate: true; groups: BlockedAttemptGroup[] } | { aggregate: false; rows: BlockedAttemptRow[] }
> {
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  if (opts.aggregate)
    return {
      aggregate: true,
      groups: await blockedAttemptGroups(deps.db, mb.id, { withinDays: opts.withinDays, limit: opts.limit }),
    };
  return {
    aggregate: false,
    rows: await blockedAttempts(deps.db, mb.id, {
      withinDays: opts.withinDays,
      limit: opts.limit + 1,
      beforeId: attemptCursor(opts.cursor),
    }),
  };
}

// Quotas -----------------------------------------------------------------------------------------------------

/** The account's daily cap and each mailbox's windows (agent keys: their mailboxes only), with their use. */
export async function sendQuotas(
  deps: { db: Db; clock: Clock; defaultDailyCap: number },
  p: Principal,
): Promise<{ daily: QuotaUse; mailboxes: { mailbox: MailboxRow; windows: QuotaUse[] }[] }> {
  requireRole(p, "admin", "agent");
  const now = deps.clock.now();
  const cap = (await accountDailySendCap(deps.db, p.accountId)) ?? deps.defaultDailyCap;
  const [daily] = await quotaUses(
    deps.db,
    [{ scope: "account", key: p.accountId, w: { window_seconds: 86400, limit: cap } }],
    now,
  );
  const boxes = await quotaMailboxes(deps.db, p.accountId, p.role === "admin" ? null : p.mailboxIds);
  const mailboxes = [];
  for (const mb of boxes) {
    const windows = await quotaUses(
      deps.db,
      mb.send_quotas.map((w) => ({ scope: "mailbox" as const, key: mb.id, w })),
      now,
    );
    mailboxes.push({ mailbox: mb, windows });
  }
  return { daily: daily!, mailboxes };
}
