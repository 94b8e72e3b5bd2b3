import { accountPiiKey } from "../store/accounts.ts";
import type { Sql } from "../store/db.ts";
import { type MailboxRow, mailboxPiiSettings } from "../store/mailboxes.ts";

/** Account secrets never change once made: remembered for the life of the process. */
const keys = new Map<string, Buffer>();

/** The account's secret for hash_replace redaction (created on first use). */
export async function piiKeyOf(sql: Sql, accountId: string): Promise<Buffer> {
  let key = keys.get(accountId);
  if (!key) {
    key = await accountPiiKey(sql, accountId);
    keys.set(accountId, key);
  }
  return key;
}

/** The PII settings of a mailbox whose row the caller has not loaded. */
export async function piiSettingsOf(
  sql: Sql,
  mailboxId: string,
): Promise<Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config">> {
  return (await mailboxPiiSettings(sql, mailboxId))!;
}
