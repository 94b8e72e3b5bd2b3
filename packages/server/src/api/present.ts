import { detectPii } from "../domain/pii/detect.ts";
import { redact } from "../domain/pii/redact.ts";
import { accountPiiKey } from "../store/accounts.ts";
import type { Sql } from "../store/db.ts";
import type { DeliveryRow } from "../store/deliveries.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import type { MessageRow } from "../store/messages.ts";
import { messageToWire } from "./wire.ts";

/** Account secrets never change once made: remembered for the life of the process. */
const keys = new Map<string, Buffer>();

export type Present = (m: MessageRow, deliveries?: DeliveryRow[]) => ReturnType<typeof messageToWire>;

/**
 * How a mailbox's messages are shown: as stored, or — under `pii_mode: "redacted"` — with detected PII in inbound
 * subjects and text bodies replaced per the mailbox's redaction settings. The stored message is never altered.
 */
export async function presenterFor(
  sql: Sql,
  mailbox: Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config">,
): Promise<Present> {
  if (mailbox.pii_mode !== "redacted") return (m, d) => messageToWire(m, d);
  let key = keys.get(mailbox.account_id);
  if (!key) {
    key = await accountPiiKey(sql, mailbox.account_id);
    keys.set(mailbox.account_id, key);
  }
  const k = key;
  const redactText = (s: string) => redact(s, detectPii(s), mailbox.pii_redaction_config, k);
  return (m, d) => messageToWire(m, d, { redact: redactText });
}

/** The same, for a message whose mailbox row the route has not loaded. */
export async function presenterForMailboxId(sql: Sql, mailboxId: string): Promise<Present> {
  const [mb] = await sql.query<Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config">>(
    "select account_id, pii_mode, pii_redaction_config from mailboxes where id = $1",
    [mailboxId],
  );
  return presenterFor(sql, mb!);
}
