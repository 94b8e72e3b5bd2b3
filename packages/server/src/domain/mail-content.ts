/**
 * The one shape of what a message says and to whom. Sends, replies, drafts, the composed MIME and the stored
 * outbound row all carry it; each use adds only what it alone needs (a mailbox, a schedule, ids, a thread).
 */
export interface MailContent {
  to: string[];
  cc: string[];
  /** Envelope-only: never in the composed headers. */
  bcc: string[];
  subject: string;
  text: string;
  html: string | null;
}

/** Where a message sits in a conversation (RFC 5322 In-Reply-To and References). */
export interface MailThreading {
  inReplyTo: string | null;
  references: string[];
}

/** RFC 3834 Auto-Submitted value for mail no person wrote (auto-replies, rule forwards). */
export type AutoSubmitted = "auto-replied" | "auto-generated";

/** The parts of the content the outbound scan reads. */
export type ScannedContent = Pick<MailContent, "subject" | "text" | "html">;
