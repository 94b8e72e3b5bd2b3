import { detectPii } from "../domain/pii/detect.ts";
import { type RedactionConfig, redact } from "../domain/pii/redact.ts";
import { accountPiiKey } from "../store/accounts.ts";
import type { Sql } from "../store/db.ts";
import { type MailboxRow, mailboxPiiSettings } from "../store/mailboxes.ts";

/** Account secrets never change once made: remembered for the life of the process. */
const keys = new Map<string, Buffer>();

/** How a mailbox's messages are shown to callers: as stored, or redacted with the account's key. */
export type PiiView = (
  | { mode: "passthrough" }
  | { mode: "redacted"; config: RedactionConfig; key: Buffer }
) & {
  /** The mailbox's name, shown on its messages (mailbox_name). */
  mailboxName?: string;
};

/** The account's secret for hash_replace redaction (created on first use). */
export async function piiKeyOf(sql: Sql, accountId: string): Promise<Buffer> {
  let key = keys.get(accountId);
  if (!key) {
    key = await accountPiiKey(sql, accountId);
    keys.set(accountId, key);
  }
  return key;
}

export async function piiViewOf(
  sql: Sql,
  mailbox: Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config"> & { name?: string },
): Promise<PiiView> {
  if (mailbox.pii_mode !== "redacted") return { mode: "passthrough", mailboxName: mailbox.name };
  return {
    mode: "redacted",
    mailboxName: mailbox.name,
    config: mailbox.pii_redaction_config,
    key: await piiKeyOf(sql, mailbox.account_id),
  };
}

/** The same, for a mailbox whose row the caller has not loaded. */
export async function piiViewOfMailboxId(sql: Sql, mailboxId: string): Promise<PiiView> {
  return piiViewOf(sql, (await mailboxPiiSettings(sql, mailboxId))!);
}

/** How the view rewrites an inbound subject or text body: the redaction, or null when text is shown as stored. */
export function redactorOf(view: PiiView): ((text: string) => string) | null {
  if (view.mode !== "redacted") return null;
  return (s: string) => redact(s, detectPii(s), view.config, view.key);
}
