import type { Sql } from "../store/db.ts";
import type { DeliveryRow } from "../store/deliveries.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import type { MessageRow } from "../store/messages.ts";
import { type PiiView, piiViewOf, piiViewOfMailboxId, redactorOf } from "../tenancy/pii-settings.ts";
import { type MessageView, messageSummaryToWire, messageToWire } from "./wire.ts";

export type Present = (m: MessageRow, deliveries?: DeliveryRow[]) => ReturnType<typeof messageToWire>;
export type PresentSummary = (m: MessageRow, deliveries?: DeliveryRow[]) => Record<string, unknown>;

function messageViewOf(view: PiiView, verification?: boolean): MessageView {
  const mailboxName = view.mailboxName ?? null;
  const redact = redactorOf(view);
  return {
    mailboxName,
    ...(redact ? { redact } : {}),
    ...(verification === undefined ? {} : { verification }),
  };
}

/**
 * How a mailbox's messages are shown: as stored, or — under `pii_mode: "redacted"` — with detected PII in inbound
 * subjects and text bodies replaced per the mailbox's redaction settings. The stored message is never altered.
 */
export function presenterOf(view: PiiView): Present {
  const v = messageViewOf(view);
  return (m, d) => messageToWire(m, d, v);
}

/**
 * The same, as summaries (lists and wait): the body becomes a preview of the (redacted) text; `verification`
 * adds the message's codes and links (the wait result carries them).
 */
export function summaryPresenterOf(view: PiiView, opts: { verification?: boolean } = {}): PresentSummary {
  const v = messageViewOf(view, opts.verification);
  return (m, d) => messageSummaryToWire(m, d, v);
}

/** Full messages, or summaries when the caller asked for them. */
export function presenterIn(view: PiiView, shape: "summary" | "verbose"): PresentSummary | Present {
  return shape === "summary" ? summaryPresenterOf(view) : presenterOf(view);
}

export async function presenterFor(
  sql: Sql,
  mailbox: Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config" | "name">,
): Promise<Present> {
  return presenterOf(await piiViewOf(sql, mailbox));
}

/** The same, for a message whose mailbox row the route has not loaded. */
export async function presenterForMailboxId(sql: Sql, mailboxId: string): Promise<Present> {
  return presenterOf(await piiViewOfMailboxId(sql, mailboxId));
}
