import { type Principal, requireRole } from "../domain/principal.ts";
import { attemptCursor } from "../domain/recipient-controls.ts";
import {
  type InboundBlockedAttemptGroup,
  type InboundBlockedAttemptRow,
  inboundBlockedAttemptGroups,
  inboundBlockedAttempts,
} from "../store/blocklist.ts";
import type { Db, Sql } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { mailboxFor } from "../tenancy/access.ts";
import {
  addEntriesInBulk,
  addEntry,
  entriesOf,
  type ListRules,
  removeListEntry,
} from "../tenancy/mailbox-lists.ts";
import { senderAllowlistInForce } from "./firewall.ts";

// A mailbox's inbound sender allowlist: when it is in force, the inbound firewall lets mail through only from the
// senders on it (From or envelope sender); the rest is kept as blocked and recorded as a blocked attempt. Read by
// any key that reaches the mailbox; changed by admin keys only (an agent must not open its own inbox to a sender).

export type { InboundBlockedAttemptGroup, InboundBlockedAttemptRow };

/**
 * The sender allowlist's rules. In force while the mailbox's sender policy is allowlist (the seed's
 * sender_policy_mode, PATCH …/sender-policy); in blocklist mode its entries are kept but inert.
 */
export const SENDER_ALLOWLIST: ListRules = {
  list: "senders",
  name: "sender allowlist",
  inForce: (sql: Sql, mb: MailboxRow) => senderAllowlistInForce(sql, mb.id),
  lastEntryEffect:
    "without it every sender would be blocked (switch the sender policy to blocklist first to let everyone in " +
    "instead: PATCH …/sender-policy {mode: blocklist})",
};

export const senderAllowlistOf = (
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  q: { limit: number; cursor?: string },
) => entriesOf(deps, p, SENDER_ALLOWLIST, mailboxRef, q);

export const allowSender = (deps: { db: Db }, p: Principal, mailboxRef: string, text: string) =>
  addEntry(deps, p, SENDER_ALLOWLIST, mailboxRef, text);

export const allowSenders = (deps: { db: Db }, p: Principal, mailboxRef: string, texts: string[]) =>
  addEntriesInBulk(deps, p, SENDER_ALLOWLIST, mailboxRef, texts);

export const disallowSender = (
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  text: string,
  forceEmpty = false,
) => removeListEntry(deps, p, SENDER_ALLOWLIST, mailboxRef, text, forceEmpty);

/**
 * Messages the inbound firewall stopped for this mailbox (its sender allowlist or the account's blocklist): grouped
 * by sender and rule, the most frequent first (`aggregate`), or one by one, newest first, a page after the cursor.
 * Admin keys only: it names senders of mail that was kept from the agent.
 */
export async function inboundBlockedAttemptsOf(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  opts: { aggregate: boolean; withinDays: number | null; limit: number; cursor?: string },
): Promise<
  | { aggregate: true; groups: InboundBlockedAttemptGroup[] }
  | { aggregate: false; rows: InboundBlockedAttemptRow[] }
> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  if (opts.aggregate)
    return {
      aggregate: true,
      groups: await inboundBlockedAttemptGroups(deps.db, mb.id, {
        withinDays: opts.withinDays,
        limit: opts.limit,
      }),
    };
  return {
    aggregate: false,
    rows: await inboundBlockedAttempts(deps.db, mb.id, {
      withinDays: opts.withinDays,
      limit: opts.limit + 1,
      beforeId: attemptCursor(opts.cursor),
    }),
  };
}
