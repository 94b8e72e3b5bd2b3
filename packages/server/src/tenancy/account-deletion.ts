import { checkDeletionConfirmation, type DeletionConfirmation } from "../domain/account-deletion.ts";
import type { Clock } from "../domain/clock.ts";
import { AppError, forbidden } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { refuseIfHeld } from "../governance/legal-holds.ts";
import type { Logger } from "../platform/logger.ts";
import {
  accountsToPurge,
  deleteAccountVerifiedRecipients,
  deleteAccountWebhooks,
  markAccountDeleted,
  purgeAccountMessages,
  purgeAccountRest,
  releaseAccountDomains,
  revokeAccountKeys,
} from "../store/account-deletion.ts";
import { type AccountRow, getAccount } from "../store/accounts.ts";
import type { Db, Sql } from "../store/db.ts";
import { activeHolds, lockHolds } from "../store/legal-holds.ts";
import { accountMailboxes } from "../store/mailboxes.ts";
import { retireMailbox } from "./mailboxes.ts";

export interface AccountDeletion {
  account: AccountRow;
  deletedAt: Date;
  keysRevoked: number;
  mailboxesDeleted: number;
  domainsReleased: string[];
  webhooksDeleted: number;
  verifiedRecipientsDeleted: number;
}

/**
 * Deletes the calling key's account (admin keys), in one transaction: refused while any legal hold of the account
 * is active; otherwise the account is stamped deleted, every mailbox is deleted as `DELETE /v1/mailboxes/:id`
 * deletes one (unsent sends cancelled), every key is revoked (this one too, at once in every process), its domains
 * are released for other accounts, its webhooks and verified recipients go. The stored mail, threads, events, audit
 * chains and lists are purged afterwards by purgeDeletedAccounts. The operator's (default) account is refused:
 * it is the one that manages the others, and every start would recreate it.
 */
export async function deleteAccount(
  deps: { db: Db; clock: Clock; logger: Logger },
  p: Principal,
  confirmation: DeletionConfirmation,
): Promise<AccountDeletion> {
  requireRole(p, "admin");
  const account = (await getAccount(deps.db, p.accountId))!;
  if (account.is_default)
    throw forbidden(
      "OPERATOR_ACCOUNT_PROTECTED",
      "the default (operator) account cannot be deleted: it manages the other accounts; delete those instead",
    );
  const check = checkDeletionConfirmation(account, confirmation);
  if (check !== "confirmed")
    throw new AppError(
      "invalid",
      check === "missing" ? "CONFIRMATION_REQUIRED" : "CONFIRMATION_MISMATCH",
      `${check === "missing" ? "say" : "the confirmation does not name this account; say"} which account to ` +
        `delete: send {"confirm": "<the account's id or name>"} (GET /v1/accounts answers both)`,
      { account_id: account.id },
    );
  const deletedAt = deps.clock.now();
  const done = await deps.db.tx(async (sql) => {
    await refuseIfHeld(sql, account.id, null, `account ${account.name}`);
    if (!(await markAccountDeleted(sql, account.id, { at: deletedAt, keyId: p.apiKeyId })))
      throw new AppError(
        "unauthenticated",
        "INVALID_API_KEY",
        "the API key is not valid or has been revoked",
      );
    let mailboxes = 0;
    for (const mb of await accountMailboxes(sql, account.id)) {
      if (mb.deleted_at) continue;
      await retireMailbox(sql, mb);
      mailboxes++;
    }
    return {
      account,
      deletedAt,
      mailboxesDeleted: mailboxes,
      keysRevoked: await revokeAccountKeys(sql, account.id),
      domainsReleased: await releaseAccountDomains(sql, account.id),
      webhooksDeleted: await deleteAccountWebhooks(sql, account.id),
      verifiedRecipientsDeleted: await deleteAccountVerifiedRecipients(sql, account.id),
    };
  });
  // The account's audit chains are purged with it: the service log keeps the record.
  deps.logger.warn("account deleted", {
    account_id: account.id,
    account_name: account.name,
    deleted_by_key_id: p.apiKeyId,
    keys_revoked: done.keysRevoked,
    mailboxes_deleted: done.mailboxesDeleted,
    domains_released: done.domainsReleased,
    webhooks_deleted: done.webhooksDeleted,
    verified_recipients_deleted: done.verifiedRecipientsDeleted,
  });
  return done;
}

/** Messages deleted per transaction, as retention does: short transactions beside live traffic. */
const PURGE_BATCH = 500;

/**
 * Purges the data of deleted accounts: their messages in batches (with what is stored for them), then everything
 * else but the account's tombstone, its mailbox names and its legal-hold record. Blobs are left to the retention
 * job's sweep. An account with rows still in use (mail being processed) is finished by a later pass.
 */
export async function purgeDeletedAccounts(deps: {
  db: Db;
  logger: Logger;
}): Promise<{ accounts_purged: number; messages_deleted: number }> {
  let purged = 0;
  let deleted = 0;
  for (const a of await accountsToPurge(deps.db)) {
    let mine = 0;
    for (;;) {
      const n = await deps.db.tx(async (sql) =>
        (await held(sql, a.id)) ? -1 : purgeAccountMessages(sql, a.id, PURGE_BATCH),
      );
      if (n > 0) mine += n;
      if (n < PURGE_BATCH) break;
    }
    deleted += mine;
    const finished = await deps.db.tx(async (sql) => !(await held(sql, a.id)) && purgeAccountRest(sql, a.id));
    if (finished) {
      purged++;
      deps.logger.info("deleted account purged", { account_id: a.id, account_name: a.name, messages: mine });
    }
  }
  return { accounts_purged: purged, messages_deleted: deleted };
}

/** A hold can no longer be applied to a deleted account (its keys are revoked); checked all the same. */
async function held(sql: Sql, accountId: string): Promise<boolean> {
  await lockHolds(sql, accountId, "delete");
  return (await activeHolds(sql, accountId, null)).length > 0;
}
