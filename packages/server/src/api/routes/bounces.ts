import { receiveProviderBounce } from "../../outbound/feedback/provider-bounces.ts";
import { BounceReceived, BounceRecordBody, errors } from "../schemas/index.ts";
import type { Api, RouteContext } from "../server.ts";

/**
 * The provider bounce webhook: operators who relay through a provider (Postmark and the like) point its bounce
 * and spam-complaint webhook here. Authenticated by an HMAC of the raw body with POSTBOX_BOUNCE_SECRET — not by an
 * API key — and a wrong or missing signature gets a bare 401.
 */
export function bounceRoutes(app: Api, ctx: RouteContext) {
  const hook = { bounceSecret: ctx.config.bounceSecret, bounces: ctx.bounces };
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
        operationId: "receiveProviderBounce",
        summary: "Provider bounce and spam-complaint webhook (HMAC-signed)",
        description:
          "Body: a Postmark-style record `{RecordType, Type, Email, MessageID, Description, Details, BouncedAt}`. Header " +
          "`X-Postbox-Bounce-Signature: <hex HMAC-SHA256(POSTBOX_BOUNCE_SECRET, raw body)>`. `HardBounce` and " +
          "`SpamComplaint` suppress the address for 30 days; every record is kept and written to the audit log of the " +
          "message's mailbox when it names one of our messages. 404 while POSTBOX_BOUNCE_SECRET is unset.",
        security: [],
        body: { content: { "application/json": { schema: BounceRecordBody } } },
        response: {
          200: BounceReceived,
          ...errors("UNAUTHENTICATED", "VALIDATION_ERROR", "BOUNCE_WEBHOOK_DISABLED"),
        },
      },
    },
    async (req) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers["x-postbox-bounce-signature"] as string | undefined;
      const outcome = await receiveProviderBounce(hook, raw, signature);
      return { received: true, ...outcome };
    },
  );
}
