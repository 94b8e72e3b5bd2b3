import type { ScanSummary } from "../../domain/outbound-scan.ts";
import type { HoldContext, SendStatus } from "../../domain/send-decision.ts";

/** What one send carries, after a request or a reply was turned into it. */
export interface OutgoingMail {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html: string | null;
  inReplyTo: string | null;
  references: string[];
  threadId: string | null;
  apiKeyId?: string | null;
  autoSubmitted?: "auto-replied" | "auto-generated";
}

export interface SendResult {
  message_id: string;
  status: SendStatus;
  thread_id: string;
  internet_message_id: string;
  scan: ScanSummary;
  hold_context: HoldContext | null;
  /** Recipients left in the tightest quota window after this send (null when no window applies). */
  sends_remaining: number | null;
}

export interface Idempotency {
  key: string;
  requestHash: string;
}

export const unique = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))];
