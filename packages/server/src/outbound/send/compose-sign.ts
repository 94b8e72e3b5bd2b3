import { randomUUID } from "node:crypto";
import type { MailboxRow } from "../../store/mailboxes.ts";
import type { SendAttachments } from "../attachments.ts";
import { composeMime } from "../compose.ts";
import { type DkimKey, dkimSignMessage } from "../dkim/sign.ts";
import type { OutgoingMail } from "./types.ts";

/** A send's message as it will be stored and delivered. */
export interface ComposedSend {
  id: string;
  from: string;
  internetMessageId: string;
  raw: Buffer;
  /** The plus-address in From or Reply-To (default_subaddress_mode), or null. */
  subaddress: string | null;
}

/** Composes the MIME message and signs it (when a key is given): the stored bytes are what every delivery sends. */
export async function composeAndSign(
  deps: { domain: string },
  mailbox: MailboxRow,
  mail: OutgoingMail,
  date: Date,
  key: DkimKey | null,
  attachments: SendAttachments["files"] = [],
): Promise<ComposedSend> {
  const id = randomUUID();
  const address = `${mailbox.name}@${deps.domain}`;
  const subaddress = subaddressOf(mailbox, id, deps.domain);
  const from = mailbox.default_subaddress_mode === "from" && subaddress ? subaddress : address;
  const internetMessageId = `<${id}@${deps.domain}>`;
  const composed = await composeMime({
    from: { address: from, name: mailbox.display_name },
    replyTo: mailbox.default_subaddress_mode === "reply_to" ? subaddress : null,
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
    attachments,
  });
  const raw = key ? await dkimSignMessage(composed, key) : composed;
  return { id, from, internetMessageId, raw, subaddress };
}

/**
 * The plus-address a message names under the mailbox's default_subaddress_mode (name+<tag>@domain, the tag from
 * the message id), or null when the mode is none. Mail to it reaches the mailbox (plus-addressing delivers to the
 * base name), so a reply finds its way back whatever the replier's client does with the threading headers.
 */
export function subaddressOf(mailbox: MailboxRow, messageId: string, domain: string): string | null {
  if (mailbox.default_subaddress_mode === "none") return null;
  return `${mailbox.name}+${messageId.replace(/-/g, "").slice(0, 12)}@${domain}`;
}
