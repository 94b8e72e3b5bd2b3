import { autoReplySubject, autoReplyTarget } from "../../domain/auto-reply.ts";
import { AppError } from "../../domain/errors.ts";
import { replyReferences, replySubject } from "../../domain/thread-keys.ts";
import type { MessageRow } from "../../store/messages.ts";
import { type OutgoingMail, type ReplyRequest, unique } from "./types.ts";

/**
 * Whom a reply goes to: an automatic reply to the envelope sender alone; a follow-up to our own message to the
 * same people; otherwise Reply-To or the sender (and, for reply-all, the other recipients). Never ourselves.
 */
export function replyRecipients(
  parent: MessageRow,
  self: string,
  req: Pick<ReplyRequest, "replyAll" | "automatic">,
): { to: string[]; cc: string[] } {
  const isSelf = (a: string) => a.toLowerCase() === self;
  let to: string[];
  let cc: string[] = [];
  if (req.automatic) {
    // RFC 3834 §3.1: an automatic reply goes to the envelope sender alone, never to Reply-To or the other
    // recipients, which whoever wrote the message chose.
    const target = autoReplyTarget(parent.envelope);
    to = target ? [target] : [];
  } else if (parent.direction === "outbound") {
    // A follow-up to our own message goes to the same people.
    to = parent.to_addrs;
    if (req.replyAll) cc = parent.cc_addrs;
  } else {
    to = parent.reply_to.length > 0 ? parent.reply_to : parent.sender ? [parent.sender] : [];
    if (req.replyAll) cc = [...parent.to_addrs, ...parent.cc_addrs];
  }
  to = unique(to).filter((a) => !isSelf(a));
  cc = unique(cc).filter((a) => !isSelf(a) && !to.includes(a));
  return { to, cc };
}

/** Unprocessable when a reply has nobody to go to. */
export function requireReplyRecipient(to: string[], cc: string[], automatic: boolean): void {
  if (to.length === 0 && cc.length === 0) {
    throw new AppError(
      "unprocessable",
      "NO_REPLY_RECIPIENT",
      automatic
        ? "the message has no envelope sender (null return path) to reply to automatically"
        : "the original message has no sender address to reply to",
    );
  }
}

/** The reply as a send: threaded under its parent, with a Re: (or the automatic reply's) subject. */
export function replyMail(
  parent: MessageRow,
  recipients: { to: string[]; cc: string[] },
  req: Omit<ReplyRequest, "replyAll">,
): OutgoingMail {
  return {
    to: recipients.to,
    cc: recipients.cc,
    bcc: [],
    subject: req.automatic ? autoReplySubject(parent.subject, req.subject) : replySubject(parent.subject),
    text: req.text,
    html: req.html,
    inReplyTo: parent.internet_message_id,
    references: replyReferences({
      references: parent.references_ids,
      inReplyTo: parent.in_reply_to,
      messageId: parent.internet_message_id,
    }),
    threadId: parent.thread_id,
    apiKeyId: req.apiKeyId ?? null,
    agent: req.agent ?? false,
    autoSubmitted: req.automatic ? "auto-replied" : undefined,
    subaddressInstanceId: req.subaddressInstanceId ?? null,
    subaddressMode: req.subaddressMode ?? null,
    attachmentIds: req.attachmentIds,
  };
}
