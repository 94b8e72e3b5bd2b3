import { randomUUID } from "node:crypto";
import { isUuid } from "../domain/address.ts";
import { OUTBOUND_IMAGE_DISCLAIMER_VERSION, type StoredAttachment } from "../domain/attachment-access.ts";
import {
  type AttachmentFinding,
  type AttachmentScan,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_BYTES_PER_MESSAGE,
  MAX_ATTACHMENTS_PER_MESSAGE,
  scanAttachment,
  UPLOAD_TTL_HOURS,
} from "../domain/attachment-scan.ts";
import { extractAttachmentText } from "../domain/attachment-text.ts";
import {
  bareMime,
  dangerousReason,
  type FileFamily,
  familyOf,
  mimeMismatch,
  sanitizeFilename,
  sniffMime,
} from "../domain/attachment-types.ts";
import type { Clock } from "../domain/clock.ts";
import { AppError, validation } from "../domain/errors.ts";
import { outboundScanOff } from "../domain/mailbox-policy.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { decodeForm } from "../inbound/form-data.ts";
import { createWorkLoop, type WorkLoop } from "../jobs/runner.ts";
import type { Logger } from "../platform/logger.ts";
import {
  claimPendingScans,
  deleteUpload,
  finishScan,
  getUpload,
  getUploads,
  hasUntakenScans,
  insertUpload,
  type UploadRow,
} from "../store/attachments.ts";
import type { BlobStore } from "../store/blobs.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db, Sql } from "../store/db.ts";
import { getMailboxById, type MailboxRow } from "../store/mailboxes.ts";
import { mailboxFor } from "../tenancy/access.ts";

// Outbound attachments, two-phase: a file is uploaded to a mailbox and scanned on its own (a handle), then named
// by a send, reply or draft of that mailbox, which consumes it.

export type { UploadRow };

const disabled = (mailbox: MailboxRow) =>
  new AppError(
    "forbidden",
    "OUTBOUND_ATTACHMENTS_DISABLED",
    `mailbox ${mailbox.name} does not send attachments; an admin enables them with POST ` +
      "/v1/mailboxes/:id/attachment-access {outbound_enabled: true}",
  );

const imageDisclaimer = (mailbox: MailboxRow) =>
  new AppError(
    "forbidden",
    "OUTBOUND_IMAGE_DISCLAIMER_REQUIRED",
    `mailbox ${mailbox.name} may send images only once an admin accepts the outbound image disclaimer ` +
      `(accept_outbound_image_disclaimer_version ${OUTBOUND_IMAGE_DISCLAIMER_VERSION})`,
    { current_outbound_image_disclaimer_version: OUTBOUND_IMAGE_DISCLAIMER_VERSION },
  );

const imagesAllowed = (mailbox: MailboxRow) =>
  mailbox.outbound_image_disclaimer_version === OUTBOUND_IMAGE_DISCLAIMER_VERSION;

/** A file as a multipart upload brings it. */
export interface UploadInput {
  mailboxId: string;
  bytes: Buffer;
  filename: string | null;
  contentType: string | null;
}

/**
 * Stages a file for sending from a mailbox: its bytes stored (content-addressed), its type sniffed now (images need
 * the mailbox's disclaimer), its content scan queued. Answers the handle with content_scan_status pending.
 */
export async function uploadAttachment(
  deps: { db: Sql; blobs: Pick<BlobStore, "put">; clock: Clock },
  p: Principal,
  input: UploadInput,
): Promise<UploadRow> {
  requireRole(p, "admin", "agent");
  const mailbox = await mailboxFor(deps.db, p, input.mailboxId);
  if (!mailbox.outbound_attachments_enabled) throw disabled(mailbox);
  if (input.bytes.length > MAX_ATTACHMENT_BYTES)
    throw new AppError("too_large", "ATTACHMENT_TOO_LARGE", "an attachment may be at most 10 MB", {
      limit_bytes: MAX_ATTACHMENT_BYTES,
    });
  if (input.bytes.length === 0) throw validation("the file is empty", ["body.file must not be empty"]);
  const declared = bareMime(input.contentType) || "application/octet-stream";
  const sniffed = await sniffMime(input.bytes);
  const family = familyOf(sniffed, declared);
  if (family === "image" && !imagesAllowed(mailbox)) throw imageDisclaimer(mailbox);
  const sha256 = await deps.blobs.put(input.bytes);
  const row = await insertUpload(deps.db, {
    id: randomUUID(),
    account_id: mailbox.account_id,
    mailbox_id: mailbox.id,
    filename: sanitizeFilename(input.filename, "attachment"),
    declared_mime_type: declared,
    sniffed_mime_type: sniffed,
    family,
    size: input.bytes.length,
    sha256,
    expires_at: new Date(deps.clock.now().getTime() + UPLOAD_TTL_HOURS * 3600_000),
  });
  await notify(deps.db, Channel.attachmentScans);
  return row;
}

/**
 * The upload as a multipart form brings it (`mailbox_id`, `file`, and optionally `filename` and `content_type`,
 * which default to the file part's own); one file per request.
 */
export async function uploadFromForm(
  deps: { db: Sql; blobs: Pick<BlobStore, "put">; clock: Clock },
  p: Principal,
  contentType: string | undefined,
  body: Buffer,
): Promise<UploadRow> {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType))
    throw new AppError(
      "unsupported_media_type",
      "UNSUPPORTED_MEDIA_TYPE",
      "send the file as multipart/form-data with the fields mailbox_id and file",
    );
  const parts = await decodeForm(body, contentType);
  const field = (name: string) => {
    const part = parts.find((x) => x.name === name && x.filename === null);
    return part ? part.data.toString("utf8").trim() : undefined;
  };
  const files = parts.filter((x) => x.name === "file");
  if (files.length !== 1)
    throw validation("send exactly one file part named file", ["body.file is required"]);
  const mailboxId = field("mailbox_id");
  if (!mailboxId)
    throw validation("name the mailbox in the field mailbox_id", ["body.mailbox_id is required"]);
  const file = files[0]!;
  return uploadAttachment(deps, p, {
    mailboxId,
    bytes: file.data,
    filename: field("filename") || file.filename,
    contentType: field("content_type") || file.contentType,
  });
}

/** An upload handle of the caller's account, in a mailbox the caller may use; anything else looks missing. */
async function uploadFor(db: Sql, p: Principal, id: string): Promise<UploadRow> {
  const row = isUuid(id) ? await getUpload(db, p.accountId, id.toLowerCase()) : null;
  if (!row || (p.role !== "admin" && !p.mailboxIds.includes(row.mailbox_id)))
    throw new AppError("not_found", "ATTACHMENT_NOT_FOUND", `no attachment upload ${id}`);
  return row;
}

export async function getAttachmentUpload(deps: { db: Sql }, p: Principal, id: string): Promise<UploadRow> {
  requireRole(p, "admin", "agent");
  return uploadFor(deps.db, p, id);
}

/** Deletes a handle not yet sent (its bytes stay in the blob store, shared by content). */
export async function deleteAttachmentUpload(
  deps: { db: Sql },
  p: Principal,
  id: string,
): Promise<UploadRow> {
  requireRole(p, "admin", "agent");
  const row = await uploadFor(deps.db, p, id);
  if (!(await deleteUpload(deps.db, row.id)))
    throw new AppError(
      "conflict",
      "ATTACHMENT_ALREADY_CONSUMED",
      "the attachment was sent; it cannot be deleted",
    );
  return row;
}

/** A file about to leave, as its scan sees it. */
interface ScannedFile {
  filename: string;
  family: FileFamily | null;
  sniffedMime: string;
  declaredMime: string;
  bytes: () => Promise<Buffer>;
}

/** Scans one file under a mailbox's policy (none: the platform defaults); one that cannot be read is an error, blocked. */
async function scanFile(
  mailbox: MailboxRow | null,
  file: ScannedFile,
): Promise<{ status: AttachmentScan["status"] | "error"; scan: AttachmentScan["scan"] }> {
  try {
    return scanAttachment({
      filename: file.filename,
      family: file.family,
      dangerous: dangerousReason(file.filename, file.sniffedMime, file.declaredMime),
      mismatch: mimeMismatch(file.sniffedMime, file.declaredMime),
      text: await extractAttachmentText(await file.bytes(), file.sniffedMime, file.declaredMime),
      piiPolicy: mailbox?.scanner_policy.outbound_pii_policy,
      off: mailbox ? outboundScanOff(mailbox.scanner_policy) : {},
    });
  } catch (err) {
    // What cannot be scanned is never sent.
    const reason = `the attachment could not be scanned: ${err instanceof Error ? err.message : String(err)}`;
    return {
      status: "error",
      scan: {
        verdict: "blocked",
        categories: [{ category: "scan_incomplete", decision: "block" }],
        findings: [
          {
            category: "scan_incomplete",
            decision: "block",
            reason: reason.slice(0, 500),
            attachment_filename: file.filename,
          },
        ],
      },
    };
  }
}

/** Scans one staged file under its mailbox's policy: clean or flagged, or error when its text cannot be read. */
async function scanUpload(deps: { db: Sql; blobs: Pick<BlobStore, "get"> }, row: UploadRow) {
  const mailbox = await getMailboxById(deps.db, row.mailbox_id);
  const result = await scanFile(mailbox, {
    filename: row.filename,
    family: row.family as FileFamily | null,
    sniffedMime: row.sniffed_mime_type,
    declaredMime: row.declared_mime_type,
    bytes: () => deps.blobs.get(row.sha256),
  });
  const findings = result.scan.findings.map((f) => ({ ...f, upload_id: row.id }));
  await finishScan(deps.db, row.id, result.status, { ...result.scan, findings });
}

/** Scans staged files as they are uploaded (any worker may take them; one that dies leaves them to another). */
export function createAttachmentScanner(deps: { db: Db; blobs: BlobStore; logger: Logger }): WorkLoop {
  return createWorkLoop({
    name: "attachment-scans",
    db: deps.db,
    channel: Channel.attachmentScans,
    logger: deps.logger,
    async pass(isRunning) {
      while (isRunning()) {
        const rows = await claimPendingScans(deps.db, 5);
        if (rows.length === 0) return;
        for (const row of rows) await scanUpload(deps, row);
      }
    },
    async nextDelayMs() {
      return (await hasUntakenScans(deps.db)) ? 50 : 30_000;
    },
  });
}

/** The handles a send names, checked: the caller's, of this mailbox, unsent, unexpired, within the limits. */
async function checkedUploads(db: Sql, mailbox: MailboxRow, ids: string[], now: Date): Promise<UploadRow[]> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  if (unique.length === 0) return [];
  if (!mailbox.outbound_attachments_enabled) throw disabled(mailbox);
  if (unique.length > MAX_ATTACHMENTS_PER_MESSAGE)
    throw new AppError(
      "invalid",
      "TOO_MANY_ATTACHMENTS",
      `a message may carry at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`,
      { limit: MAX_ATTACHMENTS_PER_MESSAGE },
    );
  const rows = await getUploads(db, mailbox.account_id, unique.filter(isUuid));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: UploadRow[] = [];
  for (const id of unique) {
    const r = byId.get(id);
    if (!r) throw new AppError("not_found", "ATTACHMENT_NOT_FOUND", `no attachment upload ${id}`);
    if (r.mailbox_id !== mailbox.id)
      throw new AppError(
        "invalid",
        "ATTACHMENT_MAILBOX_MISMATCH",
        `attachment ${id} was uploaded to another mailbox; upload it to ${mailbox.name}`,
      );
    if (r.consumed_at)
      throw new AppError("conflict", "ATTACHMENT_ALREADY_CONSUMED", `attachment ${id} was already sent`);
    if (new Date(r.expires_at).getTime() <= now.getTime())
      throw new AppError("conflict", "ATTACHMENT_EXPIRED", `attachment ${id} expired; upload it again`);
    if (r.family === "image" && !imagesAllowed(mailbox)) throw imageDisclaimer(mailbox);
    out.push(r);
  }
  const total = out.reduce((n, r) => n + r.size, 0);
  if (total > MAX_ATTACHMENT_BYTES_PER_MESSAGE)
    throw new AppError(
      "too_large",
      "ATTACHMENTS_TOO_LARGE",
      "a message's attachments may be at most 15 MB together",
      {
        limit_bytes: MAX_ATTACHMENT_BYTES_PER_MESSAGE,
        total_bytes: total,
      },
    );
  return out;
}

/** Checks the handles a draft will send (scans may still be running: they are checked again at the send). */
export async function checkDraftAttachments(
  deps: { db: Sql; clock: Clock },
  mailbox: MailboxRow,
  ids: string[],
): Promise<string[]> {
  return (await checkedUploads(deps.db, mailbox, ids, deps.clock.now())).map((r) => r.id);
}

/** The handles of drafts, by id, for showing them on the drafts. */
export async function uploadsById(deps: { db: Sql }, accountId: string, ids: string[]) {
  return new Map((await getUploads(deps.db, accountId, [...new Set(ids)])).map((r) => [r.id, r]));
}

/** What a send carries of its attachments: the files to compose, their description, and their scan findings. */
export interface SendAttachments {
  ids: string[];
  files: { filename: string; contentType: string; content: Buffer }[];
  stored: StoredAttachment[];
  findings: AttachmentFinding[];
}

/**
 * The attachments a send names, ready to compose: every handle checked, its scan finished (pending → 409
 * ATTACHMENT_SCAN_PENDING; error → 409 ATTACHMENT_SCAN_ERROR, fail-closed), its bytes loaded and its findings
 * placed at its position in the message.
 */
export async function attachmentsForSend(
  deps: { db: Sql; blobs: Pick<BlobStore, "get"> },
  mailbox: MailboxRow,
  ids: string[],
  now: Date,
): Promise<SendAttachments> {
  const rows = await checkedUploads(deps.db, mailbox, ids, now);
  const out: SendAttachments = { ids: rows.map((r) => r.id), files: [], stored: [], findings: [] };
  for (const [index, r] of rows.entries()) {
    if (r.content_scan_status === "pending")
      throw new AppError(
        "conflict",
        "ATTACHMENT_SCAN_PENDING",
        `attachment ${r.id} is still being scanned; poll GET /v1/attachments/${r.id} and send when it is done`,
        { attachment_id: r.id, retry_after: 1 },
      );
    if (r.content_scan_status === "error")
      throw new AppError(
        "conflict",
        "ATTACHMENT_SCAN_ERROR",
        `attachment ${r.id} could not be scanned, so it is never sent; upload it again`,
        { attachment_id: r.id },
      );
    const findings = (r.scan?.findings ?? []) as AttachmentFinding[];
    out.findings.push(...findings.map((f) => ({ ...f, attachment_index: index })));
    out.files.push({
      filename: r.filename,
      contentType: r.declared_mime_type,
      content: await deps.blobs.get(r.sha256),
    });
    out.stored.push({
      filename: r.filename,
      content_type: r.declared_mime_type,
      size: r.size,
      hash: r.sha256,
      sniffed_mime_type: r.sniffed_mime_type,
      declared_mime_type: r.declared_mime_type,
      mime_mismatch: mimeMismatch(r.sniffed_mime_type, r.declared_mime_type),
      content_id: null,
      content_disposition: "attachment",
      inline: false,
      family: r.family as FileFamily | null,
      dangerous: dangerousReason(r.filename, r.sniffed_mime_type, r.declared_mime_type),
      policy_action: "deliver",
      preview_status: null,
      upload_id: r.id,
    });
  }
  return out;
}

/**
 * The files a held send carries, for a reviewer's revision: their bytes to compose again and their findings under
 * the mailbox's policy as it is now (each scanned afresh, at its position in the message).
 */
export async function rescanSentAttachments(
  deps: { blobs: Pick<BlobStore, "get"> },
  mailbox: MailboxRow,
  stored: StoredAttachment[],
): Promise<Pick<SendAttachments, "files" | "findings">> {
  const out: Pick<SendAttachments, "files" | "findings"> = { files: [], findings: [] };
  for (const [index, a] of stored.entries()) {
    // Outbound attachments were always stored with their bytes; a row without them cannot be composed again.
    if (!a.hash) throw new Error(`attachment ${index} of a sent message has no stored bytes`);
    const content = await deps.blobs.get(a.hash);
    const filename = a.filename ?? "attachment";
    const { scan } = await scanFile(mailbox, {
      filename,
      family: a.family ?? null,
      sniffedMime: a.sniffed_mime_type ?? (await sniffMime(content)),
      declaredMime: a.declared_mime_type ?? a.content_type,
      bytes: async () => content,
    });
    const found: AttachmentFinding[] = scan.findings;
    out.findings.push(...found.map((f) => ({ ...f, attachment_index: index, upload_id: a.upload_id })));
    out.files.push({ filename, contentType: a.content_type, content });
  }
  return out;
}
