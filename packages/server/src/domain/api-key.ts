import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** pbx_live_<16 lowercase letters or digits>.<43 base64url characters> */
export const API_KEY_RE = /^pbx_live_([a-z0-9]{16})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  keyId: string;
  secret: string;
}

export function parseApiKey(key: string): ParsedKey | null {
  const m = API_KEY_RE.exec(key);
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export function generateApiKey(): { key: string; keyId: string; secretHash: string } {
  // 36^16 ≈ 2^82 ids; rejection-free because 256 % 36 bias is irrelevant for an identifier, not a secret.
  const idBytes = randomBytes(16);
  let keyId = "";
  for (const b of idBytes) keyId += ID_ALPHABET[b % 36];
  const secret = randomBytes(32).toString("base64url");
  return { key: `pbx_live_${keyId}.${secret}`, keyId, secretHash: hashSecret(secret) };
}

/** The secret carries 256 random bits, so one SHA-256 is enough; a slow KDF would only slow every request. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
