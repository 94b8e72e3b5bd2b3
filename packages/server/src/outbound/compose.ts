import MailComposer from "nodemailer/lib/mail-composer";
import type { AutoSubmitted, MailContent, MailThreading } from "../domain/mail-content.ts";

/** The content as a MIME message: with its sender, Message-ID and Date. */
export type MimeMail = MailContent &
  MailThreading & {
    from: { address: string; name: string | null };
    /** Where replies go when not to From (the mailbox's plus-address). */
    replyTo?: string | null;
    messageId: string;
    date: Date;
    autoSubmitted?: AutoSubmitted;
    /** Files attached, byte for byte (base64 in the MIME). */
    attachments?: { filename: string; contentType: string; content: Buffer }[];
  };

/** Builds RFC 5322 bytes; Bcc recipients are envelope-only and never appear in the headers. */
export async function composeMime(mail: MimeMail): Promise<Buffer> {
  const composer = new MailComposer({
    from: mail.from.name ? { name: mail.from.name, address: mail.from.address } : mail.from.address,
    to: mail.to,
    cc: mail.cc.length > 0 ? mail.cc : undefined,
    replyTo: mail.replyTo ?? undefined,
    subject: mail.subject,
    text: mail.text,
    html: mail.html ?? undefined,
    messageId: mail.messageId,
    date: mail.date,
    inReplyTo: mail.inReplyTo ?? undefined,
    references: mail.references.length > 0 ? mail.references : undefined,
    headers: mail.autoSubmitted ? { "Auto-Submitted": mail.autoSubmitted } : undefined,
    attachments: mail.attachments?.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      contentDisposition: "attachment" as const,
    })),
  });
  return composer.compile().build();
}
