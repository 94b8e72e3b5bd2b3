import { createHmac } from "node:crypto";

/**
 * `X-Postbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`; during a rotation's grace
 * window one v1 per secret, the new one first.
 */
export function signatureHeader(body: string, secrets: string[], nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return [`t=${t}`, ...signatures(body, secrets, t)].join(",");
}

/** `v1=<hex HMAC-SHA256(secret, "<t>." + body)>` for each secret, in order. */
function signatures(body: string, secrets: string[], t: number): string[] {
  return secrets.map((s) => `v1=${createHmac("sha256", s).update(`${t}.${body}`).digest("hex")}`);
}

/**
 * The bridge's webhook headers (docs/bridge.md): `x-agentpack-webhook-timestamp: <t>` and
 * `x-agentpack-webhook-signature: v1=<hex>[,v1=<hex>]` — the same MACs as X-Postbox-Signature, one per valid secret.
 */
export function agentpackSignatureHeaders(
  body: string,
  secrets: string[],
  nowSeconds: number,
): Record<string, string> {
  const t = Math.floor(nowSeconds);
  return {
    "x-agentpack-webhook-timestamp": String(t),
    "x-agentpack-webhook-signature": signatures(body, secrets, t).join(","),
  };
}

/** A new signing secret: shown once at creation or rotation. */
export function newWebhookSecret(random: Buffer): string {
  return `whsec_${random.toString("base64url")}`;
}
