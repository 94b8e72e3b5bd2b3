import { Type } from "typebox";
import { MAX_ATTACHMENT_BYTES } from "../../domain/attachment-scan.ts";
import {
  deleteAttachmentUpload,
  getAttachmentUpload,
  type UploadRow,
  uploadFromForm,
} from "../../outbound/attachments.ts";
import {
  attachmentDownloadUrl,
  attachmentPreview,
  downloadByToken,
  downloadSecretOf,
} from "../../tenancy/message-attachments.ts";
import {
  AttachmentBytes,
  AttachmentDownloadUrl,
  AttachmentPreview,
  AttachmentUploadRef,
  errors,
  ITEM_ACCESS,
  MAILBOX_ACCESS,
  UploadBody,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { scanToWire } from "../wire.ts";

const AttachmentParams = Type.Object({
  id: Type.String({ maxLength: 100 }),
  index: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    description: "The attachment's position in `attachments`.",
  }),
});

/** Inbound attachments (their signed downloads and text previews) and outbound upload handles. */
export function attachmentRoutes(app: Api, ctx: RouteContext) {
  const tags = ["attachments"];
  const deps = { ...ctx, downloadSecret: downloadSecretOf(ctx.db) };

  app.get(
    "/v1/messages/:id/attachments/:index",
    {
      schema: {
        tags,
        operationId: "getAttachmentDownloadUrl",
        summary: "A short-lived signed URL that downloads one attachment",
        description:
          "The URL is served by this Postbox (`GET /v1/attachment-downloads?token=…`, no key needed), works for 5 " +
          "minutes, and opens exactly this attachment of this account's message, byte for byte. Admin keys may " +
          "download any attachment that is not blocked; agent keys only under the mailbox's policy: " +
          "attachment_exposure_mode raw_download_selected_types, the attachment's family allowed, its policy_action " +
          "deliver, images only with the current image-risk acceptance (`403 ATTACHMENT_ACCESS_DISABLED`). Dangerous " +
          "attachments are never downloadable (`403 ATTACHMENT_BLOCKED`); mail still being processed answers " +
          "`409 MESSAGE_NOT_READY`; agents never download from quarantined, blocked or held mail.",
        params: AttachmentParams,
        response: {
          200: AttachmentDownloadUrl,
          ...errors(
            ...ITEM_ACCESS,
            "ATTACHMENT_NOT_FOUND",
            "ATTACHMENT_NOT_STORED",
            "ATTACHMENT_ACCESS_DISABLED",
            "ATTACHMENT_BLOCKED",
            "MESSAGE_NOT_READY",
            "PII_REDACTED",
          ),
        },
      },
    },
    async (req) =>
      attachmentDownloadUrl(
        deps,
        principalOf(req),
        req.params.id,
        req.params.index,
        `${req.protocol}://${req.host}`,
      ),
  );

  app.get(
    "/v1/messages/:id/attachments/:index/preview",
    {
      schema: {
        tags,
        operationId: "getAttachmentPreview",
        summary: "The extracted text of one attachment (never its bytes)",
        description:
          "Plain text and CSV as they are, HTML as text, PDF text (the first 50 pages), cut at 100,000 characters " +
          "(`truncated`, `char_count` of the whole). PII is redacted as the mailbox's pii_mode says. Agent keys need " +
          "attachment_exposure_mode derived_content or raw_download_selected_types (`403 " +
          "ATTACHMENT_PREVIEW_DISABLED`); an attachment without text answers `404 ATTACHMENT_PREVIEW_NOT_AVAILABLE`.",
        params: AttachmentParams,
        response: {
          200: AttachmentPreview,
          ...errors(
            ...ITEM_ACCESS,
            "ATTACHMENT_NOT_FOUND",
            "ATTACHMENT_PREVIEW_DISABLED",
            "ATTACHMENT_PREVIEW_NOT_AVAILABLE",
            "ATTACHMENT_ACCESS_DISABLED",
            "ATTACHMENT_BLOCKED",
            "MESSAGE_NOT_READY",
          ),
        },
      },
    },
    async (req) => attachmentPreview(deps, principalOf(req), req.params.id, req.params.index),
  );

  // Uploads are read by the use-case from their bytes (inbound/form-data.ts), in this plugin's routes only.
  app.addContentTypeParser(
    "multipart/form-data",
    { parseAs: "buffer", bodyLimit: MAX_ATTACHMENT_BYTES + 1024 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.post(
    "/v1/attachments",
    {
      bodyLimit: MAX_ATTACHMENT_BYTES + 1024 * 1024,
      schema: {
        tags,
        operationId: "uploadAttachment",
        summary: "Stage a file to send (phase 1 of two)",
        description:
          "multipart/form-data with `mailbox_id` (id or name) and one `file` part; `filename` and `content_type` " +
          "fields override the part's own (the type is advisory: the bytes are sniffed). Answers `201` with a handle " +
          "whose `content_scan_status` is `pending`: the scan (type sniff, family check, PII and secrets over the " +
          "filename and extracted text) runs in the background to `clean`, `flagged` (its findings join the verdict " +
          "of the message that sends it) or `error` (never sent). Name `id` in `attachment_ids` of a send, reply or " +
          "draft of the same mailbox; it is consumed once and expires after 24 h. At most 10 MB " +
          "(`413 ATTACHMENT_TOO_LARGE`); the mailbox must send attachments (`403 OUTBOUND_ATTACHMENTS_DISABLED`) and, " +
          "for images, have the outbound image disclaimer accepted (`403 OUTBOUND_IMAGE_DISCLAIMER_REQUIRED`). Clients " +
          "never retry an upload on their own.",
        body: { content: { "multipart/form-data": { schema: UploadBody } } },
        response: {
          201: AttachmentUploadRef,
          ...errors(
            ...MAILBOX_ACCESS,
            "VALIDATION_ERROR",
            "INVALID_FORM",
            "OUTBOUND_ATTACHMENTS_DISABLED",
            "OUTBOUND_IMAGE_DISCLAIMER_REQUIRED",
            "ATTACHMENT_TOO_LARGE",
          ),
        },
      },
    },
    async (req, reply) => {
      const row = await uploadFromForm(
        ctx,
        principalOf(req),
        req.headers["content-type"],
        req.body as Buffer,
      );
      return reply.status(201).send(uploadToWire(row));
    },
  );

  app.get(
    "/v1/attachments/:id",
    {
      schema: {
        tags,
        operationId: "getAttachmentUpload",
        summary: "An upload handle: its scan status, and whether a send consumed it",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: AttachmentUploadRef, ...errors("INSUFFICIENT_SCOPE", "ATTACHMENT_NOT_FOUND") },
      },
    },
    async (req) => uploadToWire(await getAttachmentUpload(ctx, principalOf(req), req.params.id)),
  );

  app.delete(
    "/v1/attachments/:id",
    {
      schema: {
        tags,
        operationId: "deleteAttachmentUpload",
        summary: "Delete an upload handle not yet sent",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: {
          200: Type.Object(
            { id: Type.String(), deleted: Type.Boolean() },
            { description: "The handle is gone." },
          ),
          ...errors("INSUFFICIENT_SCOPE", "ATTACHMENT_NOT_FOUND", "ATTACHMENT_ALREADY_CONSUMED"),
        },
      },
    },
    async (req) => {
      const row = await deleteAttachmentUpload(ctx, principalOf(req), req.params.id);
      return { id: row.id, deleted: true };
    },
  );

  app.get(
    "/v1/attachment-downloads",
    {
      config: { public: true },
      schema: {
        tags,
        operationId: "downloadAttachment",
        summary: "Download an attachment through a signed URL",
        description:
          "The URL from `GET /v1/messages/:id/attachments/:index` is the credential: no API key. Always " +
          "`application/octet-stream` with `Content-Disposition: attachment` (a browser never renders it); an altered " +
          "or expired URL answers `403 DOWNLOAD_URL_INVALID`.",
        security: [],
        querystring: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
        response: { 200: AttachmentBytes, ...errors("DOWNLOAD_URL_INVALID") },
      },
    },
    async (req, reply) => {
      const d = await downloadByToken(deps, req.query.token);
      return reply
        .type("application/octet-stream")
        .header("content-length", d.bytes.length)
        .header("content-disposition", contentDisposition(d.filename))
        .header("cache-control", "private, no-store")
        .send(d.bytes);
    },
  );
}

/** An upload handle as clients see it: the seed's fields, its scan, and whether a send consumed it. */
export function uploadToWire(u: UploadRow) {
  return {
    id: u.id,
    mailbox_id: u.mailbox_id,
    filename: u.filename,
    content_type: u.declared_mime_type,
    sniffed_mime_type: u.sniffed_mime_type,
    family: u.family,
    size: u.size,
    hash: u.sha256,
    content_scan_status: u.content_scan_status,
    scan: u.scan ? scanToWire(u.scan) : null,
    status: u.consumed_at ? "consumed" : "active",
    consumed_at: u.consumed_at ? new Date(u.consumed_at).toISOString() : null,
    consumed_message_id: u.consumed_message_id,
    created_at: new Date(u.created_at).toISOString(),
    expires_at: new Date(u.expires_at).toISOString(),
  };
}

/** `attachment` with an ASCII fallback name and the real one in RFC 5987 form. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
