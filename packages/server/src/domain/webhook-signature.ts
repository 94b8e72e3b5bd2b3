import { createHmac } from "node:crypto";

/**
 * `X-Postbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`; during a rotation's grace
 * window one v1 per secret, the new one first.
 */
export function signatureHeader(body: string, secrets: string[], nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  const macs = secrets.map((s) => `v1=${createHmac("sha256", s).update(`${t}.${body}`).digest("hex")}`);
  return [`t=${t}`, ...macs].join(",");
}

/** A new signing secret: shown once at creation or rotation. */
export function newWebhookSecret(random: Buffer): string {
  return `whsec_${random.toString("base64url")}`;
}
