import {
  type AttachmentSettings,
  downloadRefusal,
  previewRefusal,
  type StoredAttachment,
} from "../domain/attachment-access.ts";
import type { Clock } from "../domain/clock.ts";
import { DOWNLOAD_URL_SECONDS, signDownload, verifyDownload } from "../domain/download-token.ts";
import { AppError } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Sql } from "../store/db.ts";
import { getMailboxById, type MailboxRow } from "../store/mailboxes.ts";
import { getMessage, type MessageRow } from "../store/messages.ts";
import { serviceSecret } from "../store/service-secrets.ts";
import { messageFor } from "./access.ts";
import { piiViewOf, redactorOf } from "./pii-settings.ts";

/** What reading an attachment needs: the database, the blobs, the time, and the download URLs' signing key. */
export interface AttachmentReadDeps {
  db: Sql;
  blobs: Pick<BlobStore, "get">;
  clock: Clock;
  downloadSecret: () => Promise<Buffer>;
}

const secrets = new WeakMap<object, Promise<Buffer>>();

/** The signing key of download URLs: made once for the database, shared by every process on it. */
export function downloadSecretOf(db: Sql): () => Promise<Buffer> {
  return () => {
    let secret = secrets.get(db);
    if (!secret) {
      secret = serviceSecret(db, "attachment_downloads").then((s) => Buffer.from(s, "base64url"));
      secrets.set(db, secret);
      secret.catch(() => secrets.delete(db));
    }
    return secret;
  };
}

export const settingsOf = (mb: MailboxRow): AttachmentSettings => ({
  mode: mb.attachment_exposure_mode,
  families: mb.attachment_allowed_file_families,
  imageAcceptedVersion: mb.attachment_image_accepted_version,
});

const noAttachment = (index: number) =>
  new AppError("not_found", "ATTACHMENT_NOT_FOUND", `the message has no attachment at index ${index}`);

/** An attachment of a message the caller may see, with its message and mailbox. */
async function attachmentFor(
  db: Sql,
  p: Principal,
  messageId: string,
  index: number,
): Promise<{ msg: MessageRow; a: StoredAttachment; mb: MailboxRow }> {
  const msg = await messageFor(db, p, messageId);
  const a = msg.attachments[index];
  if (!a) throw noAttachment(index);
  return { msg, a, mb: (await getMailboxById(db, msg.mailbox_id))! };
}

/**
 * A signed URL that downloads one attachment's bytes from this service for five minutes, for the caller the
 * mailbox's policy lets download it. `baseUrl` is where the caller reached the API.
 */
export async function attachmentDownloadUrl(
  deps: AttachmentReadDeps,
  p: Principal,
  messageId: string,
  index: number,
  baseUrl: string,
) {
  const { msg, a, mb } = await attachmentFor(deps.db, p, messageId, index);
  const refusal = downloadRefusal(p.role, settingsOf(mb), a, msg.state);
  if (refusal) throw refusal;
  if (p.role !== "admin" && msg.direction === "inbound" && mb.pii_mode === "redacted")
    throw new AppError(
      "forbidden",
      "PII_REDACTED",
      "this mailbox shows its agents redacted messages only; attachment bytes need an admin key (previews are redacted)",
    );
  const expiresAt = new Date(deps.clock.now().getTime() + DOWNLOAD_URL_SECONDS * 1000);
  const token = signDownload(await deps.downloadSecret(), {
    accountId: msg.account_id,
    messageId: msg.id,
    index,
    hash: a.hash!,
    expiresAt,
  });
  return {
    url: `${baseUrl}/v1/attachment-downloads?token=${token}`,
    expires_at: expiresAt.toISOString(),
    filename: a.filename,
    content_type: a.content_type,
    size: a.size,
    hash: a.hash!,
    av_verdict: "skipped" as const,
  };
}

/** The bytes a signed URL names, exactly as they arrived; an altered, expired or stale URL opens nothing. */
export async function downloadByToken(
  deps: AttachmentReadDeps,
  token: string,
): Promise<{ bytes: Buffer; filename: string; contentType: string }> {
  const invalid = new AppError(
    "forbidden",
    "DOWNLOAD_URL_INVALID",
    "the download URL is not valid or has expired; ask for a new one (GET /v1/messages/:id/attachments/:index)",
  );
  const grant = verifyDownload(await deps.downloadSecret(), token, deps.clock.now());
  if (!grant) throw invalid;
  const msg = await getMessage(deps.db, grant.accountId, grant.messageId);
  const a = msg?.attachments[grant.index];
  // The URL opens the bytes it was made for, of mail that still exists.
  if (!msg || !a || a.hash !== grant.hash || msg.state === "deleted") throw invalid;
  return {
    bytes: await deps.blobs.get(grant.hash),
    filename: a.filename ?? `attachment-${grant.index + 1}`,
    contentType: a.content_type,
  };
}

/** The extracted text of an attachment (never its bytes), as the mailbox shows its messages (PII redaction). */
export async function attachmentPreview(
  deps: AttachmentReadDeps,
  p: Principal,
  messageId: string,
  index: number,
) {
  const { msg, a, mb } = await attachmentFor(deps.db, p, messageId, index);
  const refusal = previewRefusal(p.role, settingsOf(mb), a, msg.state);
  if (refusal) throw refusal;
  let content = (await deps.blobs.get(a.preview_hash!)).toString("utf8");
  const redact = msg.direction === "inbound" ? redactorOf(await piiViewOf(deps.db, mb)) : null;
  if (redact) content = redact(content);
  return {
    attachment: {
      index,
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
      hash: a.hash ?? null,
    },
    preview: {
      kind: "text" as const,
      content,
      truncated: a.preview_truncated ?? false,
      char_count: a.preview_char_count ?? null,
      returned_char_count: content.length,
      page_count: a.preview_page_count ?? null,
      extractor: a.preview_extractor ?? "text",
      generated_at: a.preview_generated_at ?? null,
    },
  };
}
