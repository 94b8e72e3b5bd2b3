import { htmlToScanText } from "../../domain/html-text.ts";
import type { ScannedContent } from "../../domain/mail-content.ts";
import { type ScanSummary, scanOutbound } from "../../domain/outbound-scan.ts";
import { decideSend, type HoldContext, type SendStatus } from "../../domain/send-decision.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";

/** Scans what the agent wrote (subject and both bodies) and decides: send, hold for review, quarantine or block. */
export function scanAndDecide(
  mailbox: MailboxRow,
  mail: ScannedContent,
): { scan: ScanSummary; status: SendStatus; hold: HoldContext | null } {
  const scan = scanOutbound(
    [mail.subject, mail.text, mail.html ? htmlToScanText(mail.html) : ""].join("\n"),
    mailbox.scanner_policy.outbound_pii_policy,
  );
  const { status, hold } = decideSend(scan, mailbox.hitl_mode);
  return {
    scan: { verdict: scan.verdict, categories: scan.categories, findings: scan.findings },
    status,
    hold,
  };
}
