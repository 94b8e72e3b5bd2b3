import { randomUUID } from "node:crypto";
import { mailboxAddress } from "../../domain/address.ts";
import type { AutoSubmitted, MailContent } from "../../domain/mail-content.ts";
import { instanceDetail, type SubaddressMode } from "../../domain/subaddress.ts";
import { headerValue } from "../../inbound/parse.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";
import type { MessageRow } from "../../store/messages.ts";
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
  /** The plus-address in From or Reply-To (the send's subaddress_mode or the mailbox's default), or null. */
  subaddress: string | null;
}

/**
 * Composes the MIME message and signs it (when a key is given): the stored bytes are what every delivery sends.
 * `subaddressKey` is the account's instance key, given when the send names an instance. From and the Message-ID
 * are at the mailbox's domain (its own, or the installation's).
 */
export async function composeAndSign(
  deps: { domain: string },
  mailbox: MailboxRow,
  mail: OutgoingMail,
  date: Date,
  key: DkimKey | null,
  subaddressKey: Buffer | null = null,
  attachments: SendAttachments["files"] = [],
): Promise<ComposedSend> {
  const id = randomUUID();
  const domain = mailbox.domain ?? deps.domain;
  const address = mailboxAddress(mailbox, deps.domain);
  const mode = mail.subaddressMode ?? mailbox.default_subaddress_mode;
  const instance =
    mail.subaddressInstanceId && subaddressKey ? { key: subaddressKey, id: mail.subaddressInstanceId } : null;
  const subaddress = subaddressOf(mailbox, mode, id, domain, instance);
  const from = mode === "from" && subaddress ? subaddress : address;
  const internetMessageId = `<${id}@${domain}>`;
  const composed = await composeMime({
    from: { address: from, name: mailbox.display_name },
    replyTo: mode === "reply_to" ? subaddress : null,
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

const AUTO_SUBMITTED: AutoSubmitted[] = ["auto-replied", "auto-generated"];

/**
 * A held send composed again with new content (a reviewer's revision) and signed with the current key: everything
 * but the subject and bodies is the original's — Message-ID, Date, From, recipients, threading headers, the
 * sub-address in Reply-To, Auto-Submitted, the attachments.
 */
export async function recomposeHeld(
  held: MessageRow,
  original: Buffer,
  content: Pick<MailContent, "subject" | "text" | "html">,
  key: DkimKey | null,
  attachments: SendAttachments["files"],
): Promise<Buffer> {
  const auto = headerValue(original, "auto-submitted");
  const autoSubmitted = AUTO_SUBMITTED.find((v) => v === auto);
  const composed = await composeMime({
    from: { address: held.sender!, name: held.sender_name },
    replyTo: headerValue(original, "reply-to"),
    to: held.to_addrs,
    cc: held.cc_addrs,
    bcc: held.bcc_addrs,
    ...content,
    messageId: held.internet_message_id!,
    date: new Date(held.sent_at ?? held.created_at),
    inReplyTo: held.in_reply_to,
    references: held.references_ids,
    autoSubmitted,
    attachments,
  });
  return key ? dkimSignMessage(composed, key) : composed;
}

/**
 * The plus-address a message names under its sub-address mode (name+<detail>@domain: the instance and its tag
 * when the send names one, else from the message id), or null when the mode is none. Mail to it reaches the
 * mailbox (plus-addressing delivers to the base name), so a reply finds its way back whatever the replier's
 * client does with the threading headers.
 */
export function subaddressOf(
  mailbox: MailboxRow,
  mode: SubaddressMode,
  messageId: string,
  domain: string,
  instance: { key: Buffer; id: string } | null,
): string | null {
  if (mode === "none") return null;
  const detail = instance
    ? instanceDetail(instance.key, mailbox.id, instance.id)
    : messageId.replace(/-/g, "").slice(0, 12);
  return `${mailbox.name}+${detail}@${domain}`;
}
