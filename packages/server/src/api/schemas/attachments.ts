import { type TSchema, Type } from "typebox";
import { component, Nullable, Timestamp, Uuid } from "./common.ts";
import { ScanSummaryRef } from "./messages.ts";

// The attachment routes' answers: routes/attachments.ts.

export const AttachmentDownloadUrl: TSchema = component(
  "AttachmentDownloadUrl",
  Type.Object(
    {
      url: Type.String({ description: "Served by this Postbox; no key needed; works until expires_at." }),
      expires_at: Timestamp,
      filename: Nullable(Type.String()),
      content_type: Type.String(),
      size: Type.Integer(),
      hash: Type.String({ description: "SHA-256 of the bytes the URL downloads." }),
      av_verdict: Type.Literal("skipped"),
    },
    { description: "A signed download URL for one attachment (5 minutes)." },
  ),
);

export const AttachmentPreview: TSchema = component(
  "AttachmentPreview",
  Type.Object(
    {
      attachment: Type.Object({
        index: Type.Integer(),
        filename: Nullable(Type.String()),
        content_type: Type.String(),
        size: Type.Integer(),
        hash: Nullable(Type.String()),
      }),
      preview: Type.Object({
        kind: Type.Literal("text"),
        content: Type.String(),
        truncated: Type.Boolean(),
        char_count: Nullable(Type.Integer({ description: "Characters of the whole extracted text." })),
        returned_char_count: Type.Integer(),
        page_count: Nullable(Type.Integer()),
        extractor: Type.String({ description: "text | csv | html | pdf" }),
        generated_at: Nullable(Timestamp),
      }),
    },
    { description: "The extracted text of an attachment: text only, never its bytes." },
  ),
);

export const AttachmentBytes: TSchema = {
  description: "The attachment's bytes, exactly as they arrived.",
  content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
} as unknown as TSchema;

export const AttachmentUploadRef: TSchema = component(
  "AttachmentUpload",
  Type.Object(
    {
      id: Uuid,
      mailbox_id: Uuid,
      filename: Type.String(),
      content_type: Type.String({ description: "The type declared at upload." }),
      sniffed_mime_type: Type.String(),
      family: Nullable(Type.String({ description: "pdf | text | csv | image" })),
      size: Type.Integer(),
      hash: Type.String(),
      content_scan_status: Type.Union(["pending", "clean", "flagged", "error"].map((x) => Type.Literal(x))),
      scan: Nullable(ScanSummaryRef),
      status: Type.Union([Type.Literal("active"), Type.Literal("consumed")]),
      consumed_at: Nullable(Timestamp),
      consumed_message_id: Nullable(Uuid),
      created_at: Timestamp,
      expires_at: Timestamp,
    },
    { description: "A staged outbound attachment (an upload handle)." },
  ),
);

/** The upload form, read by its use-case from its bytes (the validator lets `x-raw-body` schemas through). */
export const UploadBody: TSchema = {
  type: "object",
  "x-raw-body": true,
  required: ["mailbox_id", "file"],
  properties: {
    mailbox_id: { type: "string", description: "The mailbox that will send it (id or name)." },
    file: { type: "string", format: "binary" },
    filename: { type: "string", description: "Overrides the file part's name." },
    content_type: { type: "string", description: "Overrides the file part's type (advisory)." },
  },
} as unknown as TSchema;
