import { createHmac, timingSafeEqual } from "node:crypto";
import { PostboxError } from "./errors.ts";
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
  const macs: Buffer[] = [];
  for (const part of opts.signature.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === "v1" && v && /^[0-9a-f]{64}$/i.test(v)) macs.push(Buffer.from(v, "hex"));
  }
  if (t === null || macs.length === 0) throw fail("X-Postbox-Signature must look like t=<unix>,v1=<hex>");
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.tolerance ?? 300)) throw fail("signature timestamp is outside the tolerance");
  const body = typeof opts.payload === "string" ? opts.payload : Buffer.from(opts.payload).toString("utf8");
  const expected = createHmac("sha256", opts.secret).update(`${t}.${body}`).digest();
  // Every candidate is compared, so the time taken does not tell which one matched.
  let ok = false;
  for (const mac of macs) if (timingSafeEqual(mac, expected)) ok = true;
  if (!ok) throw fail("signature does not match; check the signing secret and pass the raw body");
  return JSON.parse(body) as WebhookEnvelope;
}
