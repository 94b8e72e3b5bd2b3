import { randomUUID } from "node:crypto";
import type { MailboxRow } from "../../store/mailboxes.ts";
import { composeMime } from "../compose.ts";
import { type DkimKey, dkimSignMessage } from "../dkim/sign.ts";
import type { OutgoingMail } from "./types.ts";

/** A send's message as it will be stored and delivered. */
export interface ComposedSend {
  id: string;
  from: string;
  internetMessageId: string;
  raw: Buffer;
}

/** Composes the MIME message and signs it (when a key is given): the stored bytes are what every delivery sends. */
export async function composeAndSign(
  deps: { domain: string },
  mailbox: MailboxRow,
  mail: OutgoingMail,
  date: Date,
  key: DkimKey | null,
): Promise<ComposedSend> {
  const id = randomUUID();
  const from = `${mailbox.name}@${deps.domain}`;
  const internetMessageId = `<${id}@${deps.domain}>`;
  const composed = await composeMime({
    from: { address: from, name: mailbox.display_name },
    to: mail.to,
    cc: mail.cc,
    bcc: mail.bcc,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: internetMessageId,
    date,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    autoSubmitted: mail.autoSubmitted,
  });
  const raw = key ? await dkimSignMessage(composed, key) : composed;
  return { id, from, internetMessageId, raw };
}
