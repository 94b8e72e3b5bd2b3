import { detectPii } from "../domain/pii/detect.ts";
import { redact } from "../domain/pii/redact.ts";
import type { Sql } from "../store/db.ts";
import type { DeliveryRow } from "../store/deliveries.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import type { MessageRow } from "../store/messages.ts";
import { type PiiView, piiViewOf, piiViewOfMailboxId } from "../tenancy/pii-settings.ts";
import { messageToWire } from "./wire.ts";

export type Present = (m: MessageRow, deliveries?: DeliveryRow[]) => ReturnType<typeof messageToWire>;

/**
 * How a mailbox's messages are shown: as stored, or — under `pii_mode: "redacted"` — with detected PII in inbound
 * subjects and text bodies replaced per the mailbox's redaction settings. The stored message is never altered.
 */
export function presenterOf(view: PiiView): Present {
  if (view.mode !== "redacted") return (m, d) => messageToWire(m, d);
  const redactText = (s: string) => redact(s, detectPii(s), view.config, view.key);
  return (m, d) => messageToWire(m, d, { redact: redactText });
}

export async function presenterFor(
  sql: Sql,
  mailbox: Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config">,
): Promise<Present> {
  return presenterOf(await piiViewOf(sql, mailbox));
}

/** The same, for a message whose mailbox row the route has not loaded. */
export async function presenterForMailboxId(sql: Sql, mailboxId: string): Promise<Present> {
  return presenterOf(await piiViewOfMailboxId(sql, mailboxId));
}
