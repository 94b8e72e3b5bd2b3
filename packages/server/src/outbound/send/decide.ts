import { htmlToScanText } from "../../domain/html-text.ts";
import type { ScannedContent } from "../../domain/mail-content.ts";
import { outboundScanOff } from "../../domain/mailbox-policy.ts";
import { type Finding, type ScanSummary, scanOutbound, withFindings } from "../../domain/outbound-scan.ts";
import { decideSend, type HoldContext, type SendStatus } from "../../domain/send-decision.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";

/** The outbound scan of what the agent wrote (subject and both bodies) under the mailbox's scanner policy. */
export function scanForMailbox(mailbox: MailboxRow, mail: ScannedContent) {
  return scanOutbound(
    [mail.subject, mail.text, mail.html ? htmlToScanText(mail.html) : ""].join("\n"),
    mailbox.scanner_policy.outbound_pii_policy,
    outboundScanOff(mailbox.scanner_policy),
  );
}

/**
 * Scans what the agent wrote (with its attachments' findings) and decides: send, hold for review, quarantine or block. `policyHolds`: other reasons
 * of the mailbox's policy to hold it (outside the send window).
 */
export function scanAndDecide(
  mailbox: MailboxRow,
  mail: ScannedContent,
  policyHolds: string[] = [],
  /** The findings of the send's attachments (their content scans). */
  attachmentFindings: Finding[] = [],
): { scan: ScanSummary; status: SendStatus; hold: HoldContext | null } {
  const scan = withFindings(scanForMailbox(mailbox, mail), attachmentFindings);
  const { status, hold } = decideSend(scan, mailbox.hitl_mode, policyHolds);
  return {
    scan: { verdict: scan.verdict, categories: scan.categories, findings: scan.findings },
    status,
    hold,
  };
}
