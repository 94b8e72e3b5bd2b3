import { PostboxError } from "./errors.ts";
import { constantTimeEqual, hmacSha256 } from "./hmac-sha256.ts";
import type { WebhookEnvelope } from "./types.ts";

/** A webhook request that is not from Postbox, or too old: answer it 400 and do not act on it. */
export class WebhookSignatureError extends PostboxError {}

/**
 * Checks `X-Postbox-Signature` (`t=<unix>,v1=<hex>[,v1=<hex>]`) against the raw request body and the webhook's
 * signing secret, in constant time, and that `t` is within `tolerance` seconds of now (default 300). Returns the
 * parsed envelope; throws WebhookSignatureError otherwise. Pass the body exactly as received (before any JSON
 * parsing). During a secret rotation either secret verifies.
 */
export function verifyWebhookSignature(opts: {
  payload: string | Uint8Array;
  signature: string | null | undefined;
  secret: string;
  tolerance?: number;
  /** For tests: the current time in unix seconds. */
  now?: number;
}): WebhookEnvelope {
  const fail = (message: string) =>
    new WebhookSignatureError(message, { status: null, code: "WEBHOOK_SIGNATURE_INVALID" });
  if (!opts.signature) throw fail("missing X-Postbox-Signature header");
  let t: number | null = null;
  const macs: Uint8Array[] = [];
  for (const part of opts.signature.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === "v1" && v && /^[0-9a-f]{64}$/i.test(v)) macs.push(fromHex(v));
  }
  if (t === null || macs.length === 0) throw fail("X-Postbox-Signature must look like t=<unix>,v1=<hex>");
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.tolerance ?? 300)) throw fail("signature timestamp is outside the tolerance");
  const body = typeof opts.payload === "string" ? opts.payload : new TextDecoder().decode(opts.payload);
  const utf8 = new TextEncoder();
  const expected = hmacSha256(utf8.encode(opts.secret), utf8.encode(`${t}.${body}`));
  // Every candidate is compared, so the time taken does not tell which one matched.
  let ok = false;
  for (const mac of macs) if (constantTimeEqual(mac, expected)) ok = true;
  if (!ok) throw fail("signature does not match; check the signing secret and pass the raw body");
  return JSON.parse(body) as WebhookEnvelope;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
