import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "../../domain/errors.ts";
import type { BounceHandler, ProviderRecord } from "./bounces.ts";

const unauthorized = () => new AppError("unauthenticated", "UNAUTHENTICATED", "unauthorized");

/** Constant-time check of `X-Postbox-Bounce-Signature: <hex HMAC-SHA256(secret, raw body)>` (or `sha256=<hex>`). */
export function bounceSignatureValid(raw: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const hex = header.trim().replace(/^sha256=/i, "");
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(raw).digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}

/**
 * A provider's bounce or spam-complaint record, authenticated by an HMAC of the raw body (not by an API key):
 * off while no secret is set, a bare 401 for a wrong or missing signature.
 */
export async function receiveProviderBounce(
  deps: { bounceSecret: string | null | undefined; bounces: Pick<BounceHandler, "handleProvider"> },
  raw: Buffer,
  signature: string | undefined,
) {
  const secret = deps.bounceSecret;
  if (!secret)
    throw new AppError(
      "not_found",
      "BOUNCE_WEBHOOK_DISABLED",
      "the provider bounce webhook is off: set POSTBOX_BOUNCE_SECRET",
    );
  if (!bounceSignatureValid(raw, signature, secret)) throw unauthorized();
  let record: ProviderRecord;
  try {
    record = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new AppError("invalid", "VALIDATION_ERROR", "body is not JSON", { errors: ["body is not JSON"] });
  }
  if (
    typeof record !== "object" ||
    record === null ||
    typeof record.Email !== "string" ||
    !record.Email.includes("@")
  )
    throw new AppError("invalid", "VALIDATION_ERROR", "Email must be the bounced address", {
      errors: ["body.Email must be an email address"],
    });
  return deps.bounces.handleProvider(record);
}
