import type { ExtractedText } from "./attachment-text.ts";
import type { FileFamily } from "./attachment-types.ts";
import {
  type Decision,
  type Finding,
  type OutboundPiiType,
  type ScanSummary,
  scanOutbound,
  withFindings,
} from "./outbound-scan.ts";

// The content scan of an outbound attachment and the limits of what a send may carry. No I/O.

/** One file may be at most 10 MB; a message at most 10 files and 15 MB of them. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
export const MAX_ATTACHMENT_BYTES_PER_MESSAGE = 15 * 1024 * 1024;
/** An unconsumed upload handle lives this long. */
export const UPLOAD_TTL_HOURS = 24;

export type ContentScanStatus = "pending" | "clean" | "flagged" | "error";

/** A finding about an attachment: the outbound scan's, naming the file it is about. */
export type AttachmentFinding = Finding & { attachment_filename: string };

export interface AttachmentScan {
  status: "clean" | "flagged";
  scan: ScanSummary & { findings: AttachmentFinding[] };
}

/**
 * Scans an attachment about to leave: dangerous types are blocked, a type its bytes contradict is quarantined, a
 * family outside pdf, text, csv and image is held for a human; its filename and extracted text are scanned for PII
 * and secrets as a body is, under the mailbox's outbound PII policy. Any finding makes it `flagged`; its findings
 * join the verdict of the message that sends it.
 */
export function scanAttachment(a: {
  filename: string;
  family: FileFamily | null;
  dangerous: string | null;
  mismatch: boolean;
  text: ExtractedText | null;
  piiPolicy?: Partial<Record<OutboundPiiType, Decision | "review">>;
  off?: { pii?: boolean; secrets?: boolean };
}): AttachmentScan {
  const about = { attachment_filename: a.filename };
  const findings: AttachmentFinding[] = [];
  if (a.dangerous)
    findings.push({
      category: "attachment_policy",
      decision: "block",
      reason: `the attachment is ${a.dangerous}`,
      ...about,
    });
  if (a.mismatch)
    findings.push({
      category: "mime_mismatch",
      decision: "quarantine",
      reason: "the attachment's bytes are not of the type it declares",
      ...about,
    });
  if (!a.dangerous && a.family === null)
    findings.push({
      category: "attachment_policy",
      decision: "require_human_approval",
      reason: "the attachment is not a PDF, text, CSV or image file",
      ...about,
    });
  const content = scanOutbound([a.filename, a.text?.text ?? ""].join("\n"), a.piiPolicy, a.off);
  for (const f of content.findings)
    findings.push({ ...f, reason: `attachment ${a.filename}: ${f.reason}`, ...about });
  const clean = { verdict: "clean" as const, categories: [], findings: [], worst: "allow" as const };
  const { worst: _, ...scan } = withFindings(clean, findings);
  return { status: findings.length > 0 ? "flagged" : "clean", scan: { ...scan, findings } };
}
