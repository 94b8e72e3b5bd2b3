import type { StoredAttachment } from "../domain/attachment-access.ts";
import { extractAttachmentText } from "../domain/attachment-text.ts";
import {
  bareMime,
  dangerousReason,
  familyOf,
  mimeMismatch,
  policyActionOf,
  sanitizeFilename,
  sniffMime,
} from "../domain/attachment-types.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { ParsedAttachment } from "./parse.ts";

/**
 * Stores each attachment's bytes once (content-addressed: the same file in a thousand messages is one blob) and
 * describes it: the type its bytes show, whether that is what it claims, whether it is dangerous, what policy
 * action follows, and its extracted text (a derived blob) when it has one. Blocked attachments get no preview.
 */
export async function storeAttachments(
  blobs: Pick<BlobStore, "put">,
  attachments: ParsedAttachment[],
  now: Date,
): Promise<StoredAttachment[]> {
  const out: StoredAttachment[] = [];
  for (const [i, a] of attachments.entries()) {
    const declared = bareMime(a.content_type) || "application/octet-stream";
    const filename = sanitizeFilename(a.filename, `attachment-${i + 1}`);
    const sniffed = await sniffMime(a.content);
    const dangerous = dangerousReason(filename, sniffed, declared);
    const mismatch = mimeMismatch(sniffed, declared);
    const family = familyOf(sniffed, declared);
    const action = policyActionOf({ dangerous, mismatch, family });
    const hash = await blobs.put(a.content);
    const disposition = a.contentDisposition?.toLowerCase() ?? null;
    out.push({
      filename,
      content_type: declared,
      size: a.content.length,
      hash,
      sniffed_mime_type: sniffed,
      declared_mime_type: declared,
      mime_mismatch: mismatch,
      content_id: a.contentId,
      content_disposition: disposition,
      inline: disposition === "inline" || (disposition === null && a.contentId !== null),
      family,
      dangerous,
      policy_action: action,
      ...(await preview(blobs, a.content, sniffed, declared, action, now)),
    });
  }
  return out;
}

async function preview(
  blobs: Pick<BlobStore, "put">,
  bytes: Buffer,
  sniffed: string,
  declared: string,
  action: StoredAttachment["policy_action"],
  now: Date,
): Promise<Partial<StoredAttachment>> {
  if (action === "block") return { preview_status: "blocked", preview_reason_code: "ATTACHMENT_BLOCKED" };
  try {
    const x = await extractAttachmentText(bytes, sniffed, declared);
    if (!x) return { preview_status: null, preview_reason_code: "UNSUPPORTED_TYPE" };
    return {
      preview_status: "ready",
      preview_reason_code: null,
      preview_hash: await blobs.put(Buffer.from(x.text, "utf8")),
      preview_char_count: x.charCount,
      preview_page_count: x.pageCount,
      preview_truncated: x.truncated,
      preview_extractor: x.extractor,
      preview_generated_at: now.toISOString(),
    };
  } catch {
    // A file its extractor cannot read (a damaged PDF) is kept; only its text is missing.
    return { preview_status: "failed", preview_reason_code: "EXTRACTION_FAILED" };
  }
}
