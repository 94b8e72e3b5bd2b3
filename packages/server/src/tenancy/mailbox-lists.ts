import { AppError, notFound } from "../domain/errors.ts";
import { actorOf, type Principal, requireRole } from "../domain/principal.ts";
import { type BulkAdd, entryOrRefuse, splitEntries } from "../domain/recipient-controls.ts";
import type { Db, Sql } from "../store/db.ts";
import {
  addEntries,
  countEntries,
  entriesAmong,
  type ListEntryRow,
  listEntries,
  type MailboxList,
  removeEntry,
} from "../store/mailbox-lists.ts";
import { lockLiveMailbox, type MailboxRow } from "../store/mailboxes.ts";
import { mailboxFor } from "./access.ts";

// A mailbox's lists of addresses and bare domains — the outbound allowlist (whom it may send to) and the inbound
// sender allowlist (whom it takes mail from) — read, added to and removed from by the same rules. Reading is for
// any key that reaches the mailbox; changing either is admin-only: both widen or narrow what reaches an agent or
// what an agent may reach, which an agent must not decide for itself.

export type { BulkAdd, ListEntryRow, MailboxList };

/** How one list behaves besides its table: whether it is in force, and what a change announces. */
export interface ListRules {
  list: MailboxList;
  /** The list's name in messages ("allowlist", "sender allowlist"). */
  name: string;
  /** Whether the mailbox is in allowlist mode for this list (then removing the last entry needs force_empty). */
  inForce(sql: Sql, mb: MailboxRow): Promise<boolean>;
  /** What removing the last entry in allowlist mode would do, for the refusal. */
  lastEntryEffect: string;
  onAdded?(sql: Sql, mb: MailboxRow, rows: ListEntryRow[]): Promise<void>;
  onRemoved?(sql: Sql, mb: MailboxRow, row: ListEntryRow): Promise<void>;
}

/** A page of the list by address: up to limit + 1 rows, so the caller can tell whether more follow. */
export async function entriesOf(
  deps: { db: Db },
  p: Principal,
  rules: ListRules,
  mailboxRef: string,
  q: { limit: number; cursor?: string },
): Promise<{ mailbox: MailboxRow; entries: ListEntryRow[]; inForce: boolean }> {
  const mailbox = await mailboxFor(deps.db, p, mailboxRef);
  const entries = await listEntries(deps.db, rules.list, mailbox.id, {
    limit: q.limit + 1,
    after: q.cursor ?? null,
  });
  return { mailbox, entries, inForce: await rules.inForce(deps.db, mailbox) };
}

async function add(db: Db, p: Principal, rules: ListRules, mb: MailboxRow, emails: string[]) {
  return db.tx(async (sql) => {
    const added = await addEntries(sql, rules.list, mb.id, emails, actorOf(p));
    if (added.length && rules.onAdded) await rules.onAdded(sql, mb, added);
    return added;
  });
}

/** Adds one entry (admin); `created` is false when it was there already (the row is then the existing one). */
export async function addEntry(
  deps: { db: Db },
  p: Principal,
  rules: ListRules,
  mailboxRef: string,
  text: string,
): Promise<{ row: ListEntryRow; created: boolean }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const email = entryOrRefuse(text);
  const [added] = await add(deps.db, p, rules, mb, [email]);
  if (added) return { row: added, created: true };
  const [existing] = await entriesAmong(deps.db, rules.list, mb.id, [email]);
  // Removed again between the two statements: answer as if this add had come second.
  return { row: existing ?? { ...placeholder(mb, email), ...actorFields(p) }, created: false };
}

const placeholder = (mb: MailboxRow, email: string) => ({
  mailbox_id: mb.id,
  email,
  source: "customer",
  created_at: new Date(),
});
const actorFields = (p: Principal) => ({
  added_by_actor_type: actorOf(p).type,
  added_by_actor_id: actorOf(p).id,
});

/** Adds many (admin); invalid entries are skipped and listed. */
export async function addEntriesInBulk(
  deps: { db: Db },
  p: Principal,
  rules: ListRules,
  mailboxRef: string,
  texts: string[],
): Promise<BulkAdd<ListEntryRow>> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const { valid, invalid } = splitEntries(texts);
  const added = await add(deps.db, p, rules, mb, valid);
  const fresh = new Set(added.map((r) => r.email));
  return { added, already_existed: valid.filter((e) => !fresh.has(e)), invalid };
}

/**
 * Removes an entry (admin). Removing the last one while the list is in force is refused with `409
 * ALLOWLIST_LAST_ENTRY` unless `forceEmpty`.
 */
export async function removeListEntry(
  deps: { db: Db },
  p: Principal,
  rules: ListRules,
  mailboxRef: string,
  text: string,
  forceEmpty = false,
): Promise<{ mailbox: MailboxRow; row: ListEntryRow }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const email = entryOrRefuse(text);
  return deps.db.tx(async (sql) => {
    // The mailbox row's lock orders this against mode changes and other removals.
    await lockLiveMailbox(sql, mb.id);
    if (!forceEmpty && (await rules.inForce(sql, mb)) && (await countEntries(sql, rules.list, mb.id)) === 1) {
      const [only] = await entriesAmong(sql, rules.list, mb.id, [email]);
      if (only)
        throw new AppError(
          "conflict",
          "ALLOWLIST_LAST_ENTRY",
          `this is the ${rules.name}'s last entry and the mailbox is in allowlist mode: ${rules.lastEntryEffect}. ` +
            "Pass force_empty=true to remove it anyway",
          { email, mailbox_id: mb.id },
        );
    }
    const removed = await removeEntry(sql, rules.list, mb.id, email);
    if (!removed) throw notFound(`${rules.name} entry`, email);
    if (rules.onRemoved) await rules.onRemoved(sql, mb, removed);
    return { mailbox: mb, row: removed };
  });
}
