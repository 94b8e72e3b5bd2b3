import { Type } from "typebox";
import {
  attachmentDownloadUrl,
  attachmentPreview,
  downloadByToken,
  downloadSecretOf,
} from "../../tenancy/message-attachments.ts";
import { AttachmentBytes, AttachmentDownloadUrl, AttachmentPreview } from "../schemas/attachments.ts";
import { errors, ITEM_ACCESS } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

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

/** `attachment` with an ASCII fallback name and the real one in RFC 5987 form. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
