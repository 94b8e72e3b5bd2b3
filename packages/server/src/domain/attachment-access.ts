import type { AttachmentPolicyAction, FileFamily } from "./attachment-types.ts";
import { AppError } from "./errors.ts";
import type { AttachmentExposureMode } from "./mailbox-policy.ts";
import type { KeyRole } from "./principal.ts";

// Who may read what of an inbound attachment: its bytes (a signed download URL) or its extracted text (a preview).
// Admin keys are the mailbox's humans; agent keys follow the mailbox's attachment policy. No I/O.

/** The version of the image-risk text a mailbox must accept before agents may download images raw. */
export const IMAGE_RISK_VERSION = "2026-11-image-risk-v1";
/** The version of the outbound image disclaimer a mailbox must accept before it may send images. */
export const OUTBOUND_IMAGE_DISCLAIMER_VERSION = "2026-11-outbound-image-v1";

/**
 * An attachment as stored on its message (messages.attachments). Rows written before attachments were stored on
 * their own have the first three fields only: they read as not stored, metadata only.
 */
export interface StoredAttachment {
  filename: string | null;
  content_type: string;
  size: number;
  /** SHA-256 of the bytes: their key in the blob store. */
  hash?: string;
  sniffed_mime_type?: string;
  declared_mime_type?: string;
  mime_mismatch?: boolean;
  content_id?: string | null;
  content_disposition?: string | null;
  inline?: boolean;
  family?: FileFamily | null;
  /** Why it is dangerous (an executable, a script, a document with macros), or null. */
  dangerous?: string | null;
  policy_action?: AttachmentPolicyAction;
  preview_status?: "ready" | "blocked" | "failed" | null;
  preview_reason_code?: string | null;
  /** The extracted text's key in the blob store. */
  preview_hash?: string | null;
  preview_char_count?: number | null;
  preview_page_count?: number | null;
  preview_truncated?: boolean | null;
  preview_extractor?: string | null;
  preview_generated_at?: string | null;
  /** Outbound: the upload handle it was sent from. */
  upload_id?: string;
}

/** The mailbox settings that decide attachment access. */
export interface AttachmentSettings {
  mode: AttachmentExposureMode;
  families: readonly string[];
  /** The image-risk version the mailbox accepted (null: none). */
  imageAcceptedVersion: string | null;
}

export const imageRawConfirmed = (s: Pick<AttachmentSettings, "imageAcceptedVersion">) =>
  s.imageAcceptedVersion === IMAGE_RISK_VERSION;

/** Whether the attachment's bytes exist on their own (rows from before they were stored do not). */
export const isStored = (a: StoredAttachment) => typeof a.hash === "string" && a.policy_action !== undefined;

/** The policy action of a stored attachment; older rows are metadata only. */
export const actionOf = (a: StoredAttachment): AttachmentPolicyAction => a.policy_action ?? "metadata_only";

/** States whose attachments nobody may read yet: the message is still being processed or sent. */
const NOT_SETTLED = new Set(["received", "dispatching"]);
/** States whose attachments agent keys may read (quarantined, blocked and held mail is for humans). */
const AGENT_READABLE = new Set(["available", "delivered", "bounced"]);

/** Whether an agent key may download an attachment raw under the mailbox's policy ("*" never covers images). */
export function agentMayDownload(s: AttachmentSettings, a: StoredAttachment): boolean {
  if (s.mode !== "raw_download_selected_types" || actionOf(a) !== "deliver") return false;
  const family = a.family ?? null;
  if (family === null) return false;
  if (family === "image") return s.families.includes("image") && imageRawConfirmed(s);
  return s.families.includes("*") || s.families.includes(family);
}

function commonRefusal(a: StoredAttachment, state: string, role: KeyRole): AppError | null {
  if (NOT_SETTLED.has(state))
    return new AppError(
      "conflict",
      "MESSAGE_NOT_READY",
      `the message is ${state === "received" ? "still being processed" : "being sent"}; retry in a moment`,
    );
  if (role !== "admin" && !AGENT_READABLE.has(state))
    return new AppError(
      "forbidden",
      "ATTACHMENT_ACCESS_DISABLED",
      `the message is ${state}; its attachments are for an admin key`,
      { state },
    );
  if (actionOf(a) === "block")
    return new AppError(
      "forbidden",
      "ATTACHMENT_BLOCKED",
      `the attachment is ${a.dangerous ?? "of a blocked type"}; nobody may read it through the API`,
      { policy_action: "block", reason: a.dangerous ?? null },
    );
  return null;
}

/** Why a caller may not download an attachment, or null. Admin keys may download anything not blocked. */
export function downloadRefusal(
  role: KeyRole,
  s: AttachmentSettings,
  a: StoredAttachment,
  state: string,
): AppError | null {
  const common = commonRefusal(a, state, role);
  if (common) return common;
  if (!isStored(a))
    return new AppError(
      "not_found",
      "ATTACHMENT_NOT_STORED",
      "this attachment arrived before attachments were stored on their own; read the raw message (admin key)",
    );
  if (role === "admin" || agentMayDownload(s, a)) return null;
  const why =
    s.mode !== "raw_download_selected_types"
      ? `the mailbox shows its agents attachment ${s.mode === "metadata_only" ? "metadata" : "previews"} only`
      : actionOf(a) !== "deliver"
        ? `the attachment's policy action is ${actionOf(a)}${a.mime_mismatch ? " (its bytes are not what its type says)" : ""}`
        : a.family === "image" && s.families.includes("image")
          ? "raw image downloads need the mailbox's current image-risk acceptance"
          : `its family (${a.family ?? "unknown"}) is not among the mailbox's allowed families (${s.families.join(", ")})`;
  return new AppError(
    "forbidden",
    "ATTACHMENT_ACCESS_DISABLED",
    `agent keys may not download this attachment: ${why}. An admin decides (POST /v1/mailboxes/:id/attachment-access)`,
    { attachment_exposure_mode: s.mode, policy_action: actionOf(a), family: a.family ?? null },
  );
}

/** Why a caller may not read an attachment's extracted text, or null. */
export function previewRefusal(
  role: KeyRole,
  s: AttachmentSettings,
  a: StoredAttachment,
  state: string,
): AppError | null {
  const common = commonRefusal(a, state, role);
  if (common) return common;
  if (role !== "admin" && s.mode === "metadata_only")
    return new AppError(
      "forbidden",
      "ATTACHMENT_PREVIEW_DISABLED",
      "the mailbox shows its agents attachment metadata only (attachment_exposure_mode metadata_only); an admin " +
        "may allow previews with derived_content",
      { attachment_exposure_mode: s.mode },
    );
  if (a.preview_status !== "ready" || !a.preview_hash)
    return new AppError(
      "not_found",
      "ATTACHMENT_PREVIEW_NOT_AVAILABLE",
      a.preview_status === "failed"
        ? "the attachment's text could not be extracted"
        : "this attachment has no text preview (previews cover plain text, CSV, HTML and PDF)",
      { preview_status: a.preview_status ?? null, preview_reason_code: a.preview_reason_code ?? null },
    );
  return null;
}
