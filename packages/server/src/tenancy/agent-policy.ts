import type { PolicyMode } from "../domain/mailbox-policy.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { type AccountRow, getAccount, updateAccountPolicy } from "../store/accounts.ts";
import type { Db } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import { getPolicy, type PolicyRow } from "../store/policies.ts";
import { mailboxFor } from "./access.ts";

// The seed's policy reads: a mailbox's agent policy with its MailPolicy document (one GET for both clients, decision
// 0015), and the account's policy (its daily send cap and the mode new mailboxes start in).

/** A mailbox's settings and its MailPolicy document (null: none), for any key that may use the mailbox. */
export async function mailboxPolicyOf(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
): Promise<{ mailbox: MailboxRow; mailPolicy: PolicyRow | null }> {
  const mailbox = await mailboxFor(deps.db, p, mailboxRef);
  return { mailbox, mailPolicy: await getPolicy(deps.db, mailbox.id) };
}

/** The account's policy (admin keys). */
export async function accountPolicyOf(deps: { db: Db }, p: Principal): Promise<AccountRow> {
  requireRole(p, "admin");
  return (await getAccount(deps.db, p.accountId))!;
}

/**
 * Sets the account's daily send cap (null: the operator's default, POSTBOX_ACCOUNT_DAILY_SEND_CAP), the mode new
 * mailboxes start in (null: none) and the retention of its mail (null: POSTBOX_RETENTION_DAYS). Absent fields stay.
 * Admin keys.
 */
export async function changeAccountPolicy(
  deps: { db: Db },
  p: Principal,
  patch: {
    customDailySendLimit?: number | null;
    defaultPolicyMode?: PolicyMode | null;
    sandbox?: boolean;
    retentionDays?: number | null;
  },
): Promise<AccountRow> {
  requireRole(p, "admin");
  return updateAccountPolicy(deps.db, p.accountId, {
    dailySendCap: patch.customDailySendLimit,
    defaultPolicyMode: patch.defaultPolicyMode,
    sandbox: patch.sandbox,
    retentionDays: patch.retentionDays,
  });
}
