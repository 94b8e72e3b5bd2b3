import { type TSchema, Type } from "typebox";
import { component, Nullable, Timestamp } from "./common.ts";

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
