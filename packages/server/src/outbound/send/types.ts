import type { AutoSubmitted, MailContent, MailThreading } from "../../domain/mail-content.ts";
import type { ScanSummary } from "../../domain/outbound-scan.ts";
import type { HoldContext, SendStatus } from "../../domain/send-decision.ts";
import type { SubaddressMode } from "../../domain/subaddress.ts";
import type { EmailEffect } from "../../domain/verdict.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";

/** Who asked for a send and how it is marked: what a send carries besides its content. */
export interface SendExtras {
  /** The key that asked, for the record of sends the allowlist refused. */
  apiKeyId?: string | null;
  /** An agent key asked: the mailbox's send window binds it (admin keys and the service's own mail are exempt). */
  agent?: boolean;
  /** Set for mail no person wrote (auto-replies, rule forwards): RFC 3834 Auto-Submitted. */
  autoSubmitted?: AutoSubmitted;
  /** The sub-address instance the send names (domain/subaddress.ts), and the mode overriding the mailbox's. */
  subaddressInstanceId?: string | null;
  subaddressMode?: SubaddressMode | null;
  /** Upload handles the message carries as attachments (POST /v1/attachments), consumed by the send. */
  attachmentIds?: string[];
}

/** What one send carries, after a request or a reply was turned into it: the content, threaded. */
export type OutgoingMail = MailContent &
  MailThreading &
  SendExtras & {
    /** The thread a reply joins (null: placed by its headers or a new thread). */
    threadId: string | null;
  };

/**
 * Where a new message continues a conversation (a send or a draft with the seed's `thread_id` or
 * `in_reply_to_message_id`): the thread it joins (null: placed by its headers) and the headers it carries.
 */
export type SendThreading = MailThreading & {
  threadId: string | null;
  /** The message it answers, when that one was sent by a machine: the reply-loop guard applies. */
  automatedParent?: { sender: string; why: string };
};

/** A new message from a mailbox; with `threading`, one that continues a thread. */
export type SendRequest = MailContent & SendExtras & { mailbox: MailboxRow; threading?: SendThreading };

/** A reply: its body, whom it goes to (reply-all or not), and how it is marked; the rest comes from its parent. */
export type ReplyRequest = Pick<MailContent, "text" | "html"> &
  Pick<SendExtras, "apiKeyId" | "agent" | "subaddressInstanceId" | "subaddressMode" | "attachmentIds"> & {
    replyAll: boolean;
    /**
     * An automatic reply (a rule's auto_reply): to the envelope sender only, marked Auto-Submitted, exempt from
     * the agent loop guard.
     */
    automatic?: boolean;
    /** An automatic reply's Subject (default: "Re: " and the original's, cleaned and cut short). */
    subject?: string;
  };

export interface SendResult {
  message_id: string;
  status: SendStatus;
  thread_id: string;
  internet_message_id: string;
  scan: ScanSummary;
  hold_context: HoldContext | null;
  /** Recipients left in the tightest quota window after this send (null when no window applies). */
  sends_remaining: number | null;
  /** The account's daily cap in recipients (null when none applies). */
  daily_limit: number | null;
  email_effect: EmailEffect;
}

export interface Idempotency {
  key: string;
  requestHash: string;
}

export const unique = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))];
