import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "../../domain/errors.ts";
import type { ProviderRecord } from "../../inbound/bounces.ts";
import type { Api, RouteContext } from "../server.ts";

const unauthorized = () => new AppError(401, "UNAUTHENTICATED", "unauthorized");

/** Constant-time check of `X-Postbox-Bounce-Signature: <hex HMAC-SHA256(secret, raw body)>` (or `sha256=<hex>`). */
export function bounceSignatureValid(raw: Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const hex = header.trim().replace(/^sha256=/i, "");
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const expected = createHmac("sha256", secret).update(raw).digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}

/**
 * The provider bounce webhook: operators who relay through a provider (Postmark and the like) point its bounce
 * and spam-complaint webhook here. Authenticated by an HMAC of the raw body with POSTBOX_BOUNCE_SECRET — not by an
 * API key — and a wrong or missing signature gets a bare 401.
 */
export function bounceRoutes(app: Api, ctx: RouteContext) {
  // The signature covers the exact bytes: keep them (this parser applies to this plugin's routes only).
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: 256 * 1024 },
    (_req, body, done) => done(null, body),
  );

  app.post(
    "/v1/bounces/provider",
    {
      config: { public: true },
      schema: {
        tags: ["bounces"],
        summary: "Provider bounce and spam-complaint webhook (HMAC-signed)",
        description:
          "Body: a Postmark-style record `{RecordType, Type, Email, MessageID, Description, Details, BouncedAt}`. Header " +
          "`X-Postbox-Bounce-Signature: <hex HMAC-SHA256(POSTBOX_BOUNCE_SECRET, raw body)>`. `HardBounce` and " +
          "`SpamComplaint` suppress the address for 30 days; every record is kept and written to the audit log of the " +
          "message's mailbox when it names one of our messages. 404 while POSTBOX_BOUNCE_SECRET is unset.",
        security: [],
      },
    },
    async (req) => {
      const secret = ctx.config.bounceSecret;
      if (!secret)
        throw new AppError(
          404,
          "BOUNCE_WEBHOOK_DISABLED",
          "the provider bounce webhook is off: set POSTBOX_BOUNCE_SECRET",
        );
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!bounceSignatureValid(raw, req.headers["x-postbox-bounce-signature"] as string | undefined, secret))
        throw unauthorized();
      let record: ProviderRecord;
      try {
        record = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new AppError(400, "VALIDATION_ERROR", "body is not JSON", { errors: ["body is not JSON"] });
      }
      if (
        typeof record !== "object" ||
        record === null ||
        typeof record.Email !== "string" ||
        !record.Email.includes("@")
      )
        throw new AppError(400, "VALIDATION_ERROR", "Email must be the bounced address", {
          errors: ["body.Email must be an email address"],
        });
      const outcome = await ctx.bounces.handleProvider(record);
      return { received: true, ...outcome };
    },
  );
}
