import { createHmac, timingSafeEqual } from "node:crypto";

// A signed download URL's token: which account's message and attachment it opens, the bytes' hash, and until when.
// HMAC-SHA256 with the service's download secret; nothing is stored per URL. No I/O.

/** How long a download URL works. */
export const DOWNLOAD_URL_SECONDS = 300;

export interface DownloadGrant {
  accountId: string;
  messageId: string;
  index: number;
  /** The attachment's SHA-256: a URL opens those bytes only. */
  hash: string;
  expiresAt: Date;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export function signDownload(secret: Buffer, g: DownloadGrant): string {
  const payload = b64(
    JSON.stringify({
      a: g.accountId,
      m: g.messageId,
      i: g.index,
      h: g.hash,
      e: Math.floor(g.expiresAt.getTime() / 1000),
    }),
  );
  return `${payload}.${b64(createHmac("sha256", secret).update(payload).digest())}`;
}

/** The grant of a token signed with `secret` and not expired at `now`, or null. */
export function verifyDownload(secret: Buffer, token: string, now: Date): DownloadGrant | null {
  const [payload, sig, extra] = token.split(".");
  if (!payload || !sig || extra !== undefined) return null;
  const want = createHmac("sha256", secret).update(payload).digest();
  const got = Buffer.from(sig, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
  let o: { a?: unknown; m?: unknown; i?: unknown; h?: unknown; e?: unknown };
  try {
    o = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (
    typeof o.a !== "string" ||
    typeof o.m !== "string" ||
    typeof o.i !== "number" ||
    typeof o.h !== "string" ||
    typeof o.e !== "number"
  )
    return null;
  if (o.e * 1000 <= now.getTime()) return null;
  return { accountId: o.a, messageId: o.m, index: o.i, hash: o.h, expiresAt: new Date(o.e * 1000) };
}
