import MailComposer from "nodemailer/lib/mail-composer";

export interface OutgoingMail {
  from: { address: string; name: string | null };
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string | null;
  messageId: string;
  date: Date;
  inReplyTo: string | null;
  references: string[];
  /** RFC 3834 Auto-Submitted value for mail no person wrote (auto-replies, rule forwards). */
  autoSubmitted?: "auto-replied" | "auto-generated";
}

/** Builds RFC 5322 bytes; Bcc recipients are envelope-only and never appear in the headers. */
export async function composeMime(mail: OutgoingMail): Promise<Buffer> {
  const composer = new MailComposer({
    from: mail.from.name ? { name: mail.from.name, address: mail.from.address } : mail.from.address,
    to: mail.to,
    cc: mail.cc.length > 0 ? mail.cc : undefined,
    subject: mail.subject,
    text: mail.text,
    html: mail.html ?? undefined,
    messageId: mail.messageId,
    date: mail.date,
    inReplyTo: mail.inReplyTo ?? undefined,
    references: mail.references.length > 0 ? mail.references : undefined,
    headers: mail.autoSubmitted ? { "Auto-Submitted": mail.autoSubmitted } : undefined,
  });
  return composer.compile().build();
}
