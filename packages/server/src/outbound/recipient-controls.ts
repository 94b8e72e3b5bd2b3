import type { Clock } from "../domain/clock.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { isDomainEntry, parseEntry, type QuotaUse } from "../domain/recipient-controls.ts";
import type { Db, Sql } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import {
  accountDailySendCap,
  addSuppressions,
  addToAllowlist,
  allowlistCount,
  allowlistOf,
  blockedAttempts,
  listSuppressions,
  lockRecipientPolicy,
  quotaMailboxes,
  quotaUses,
  removeFromAllowlist,
  removeSuppression,
  type SuppressionRow,
  setRecipientPolicy,
} from "../store/recipient-controls.ts";
import { mailboxFor } from "../tenancy/access.ts";

// Who mail may go to: the account's suppression list, each mailbox's recipient policy and allowlist, and the send
// quotas. Changes that widen what an agent may do are admin-only.

export type { SuppressionRow };

type Reason = SuppressionRow["reason"];

/** What a bulk add did: the valid entries (deduplicated), those of them that were new, and the invalid ones. */
export interface BulkAdd {
  valid: string[];
  added: string[];
  invalid: { email: string; reason: string }[];
}

function entryOf(text: string, field: string): string {
  const v = parseEntry(text);
  if (!v.ok) throw validation(`${field} ${JSON.stringify(text)} is ${v.reason}`, [`${field}: ${v.reason}`]);
  return v.entry;
}

function splitEntries(emails: string[]) {
  const valid: string[] = [];
  const invalid: { email: string; reason: string }[] = [];
  for (const e of emails) {
    const v = parseEntry(e);
    if (v.ok) {
      if (!valid.includes(v.entry)) valid.push(v.entry);
    } else invalid.push({ email: e, reason: v.reason });
  }
  return { valid, invalid };
}

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
) {
  const added = await addSuppressions(
    sql,
    accountId,
    emails.map((email) => ({ email, reason, source: "api", detail, expiresAt: null })),
  );
  for (const email of added)
    await appendEvent(sql, {
      accountId,
      mailboxId: null,
      type: "suppression.added",
      data: { email, reason, source: "api", expires_at: null },
    });
  return added;
}

/** Suppresses an address or a bare domain (admin only for a domain); `created` is false when it already was. */
export async function suppressRecipient(
  deps: { db: Db },
  p: Principal,
  input: { email: string; reason?: Reason; detail?: string },
): Promise<{ email: string; reason: Reason; created: boolean }> {
  requireRole(p, "admin", "agent");
  const email = entryOf(input.email, "email");
  assertMayAddSuppressions(p, [email]);
  const reason = input.reason ?? "manual";
  const added = await deps.db.tx((sql) => suppress(sql, p.accountId, [email], reason, input.detail ?? null));
  return { email, reason, created: added.length > 0 };
}

/** Suppresses many; invalid entries are skipped, and from an agent key any domain refuses the whole request. */
export async function suppressRecipients(
  deps: { db: Db },
  p: Principal,
  emails: string[],
  reason?: Reason,
): Promise<BulkAdd> {
  requireRole(p, "admin", "agent");
  const { valid, invalid } = splitEntries(emails);
  assertMayAddSuppressions(p, valid);
  const added = await deps.db.tx((sql) => suppress(sql, p.accountId, valid, reason ?? "manual", null));
  return { valid, added, invalid };
}

export async function unsuppressRecipient(
  deps: { db: Db },
  p: Principal,
  text: string,
): Promise<SuppressionRow> {
  requireRole(p, "admin");
  const email = entryOf(text, "email");
  const removed = await removeSuppression(deps.db, p.accountId, email);
  if (!removed) throw notFound("suppression", email);
  return removed;
}

// Allowlist and recipient policy -----------------------------------------------------------------------------

/** A mailbox's allowlist and mode; agent keys may read it, to know whom they may write to. */
export async function allowlistView(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
): Promise<{ mailbox: MailboxRow; entries: { email: string; created_at: Date }[] }> {
  const mailbox = await mailboxFor(deps.db, p, mailboxRef);
  return { mailbox, entries: await allowlistOf(deps.db, mailbox.id) };
}

async function addEntries(db: Db, mb: MailboxRow, emails: string[]) {
  return db.tx(async (sql) => {
    const added = await addToAllowlist(sql, mb.id, emails);
    if (added.length)
      await appendEvent(sql, {
        accountId: mb.account_id,
        mailboxId: mb.id,
        type: "recipient_allowlist.added",
        data: { emails: added },
      });
    return added;
  });
}

export async function allowRecipient(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  text: string,
): Promise<{ email: string; created: boolean }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const email = entryOf(text, "email");
  const added = await addEntries(deps.db, mb, [email]);
  return { email, created: added.length > 0 };
}

export async function allowRecipients(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  emails: string[],
): Promise<BulkAdd> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const { valid, invalid } = splitEntries(emails);
  const added = await addEntries(deps.db, mb, valid);
  return { valid, added, invalid };
}

/**
 * Removes an allowlist entry. Removing the last one in allowlist mode would stop the mailbox sending at all, so it
 * is refused unless `forceEmpty`.
 */
export async function disallowRecipient(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  text: string,
  forceEmpty = false,
): Promise<{ mailbox: MailboxRow; email: string; created_at: Date }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const email = entryOf(text, "email");
  return deps.db.tx(async (sql) => {
    const mode = await lockRecipientPolicy(sql, mb.id);
    if (mode === "allowlist" && !forceEmpty && (await allowlistCount(sql, mb.id)) === 1) {
      const [only] = await allowlistOf(sql, mb.id);
      if (only?.email === email)
        throw new AppError(
          "conflict",
          "ALLOWLIST_LAST_ENTRY",
          "this is the allowlist's last entry and the mailbox is in allowlist mode: it could not send at all. " +
            "Pass force_empty=true to do it anyway, or switch the mailbox to blocklist mode first",
        );
    }
    const removed = await removeFromAllowlist(sql, mb.id, email);
    if (!removed) throw notFound("allowlist entry", email);
    await appendEvent(sql, {
      accountId: mb.account_id,
      mailboxId: mb.id,
      type: "recipient_allowlist.removed",
      data: { email },
    });
    return { mailbox: mb, ...removed };
  });
}

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
  const size = await allowlistCount(sql, mb.id);
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

/** Sends the allowlist refused, newest first, or grouped by recipient. */
export async function blockedAttemptsOf(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  opts: { aggregate: boolean; withinDays: number; limit: number },
) {
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  return blockedAttempts(deps.db, mb.id, opts);
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
