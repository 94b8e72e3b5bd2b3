import { Type } from "typebox";
import { ingestRaw } from "../../inbound/ingest.ts";
import { described, errors, errorsAt, IngestResultRef, RawMimeBody } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

/** The SMTP envelope of raw mail handed over by an MTA, in the query string (shared with the bridge's /ingest). */
export const RcptTo = Type.Union([
  Type.String({ maxLength: 32_000 }),
  Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100 }),
]);
export const EnvelopeQueryFields = {
  mail_from: Type.Optional(Type.String({ maxLength: 320 })),
  client_ip: Type.Optional(Type.String({ maxLength: 64 })),
  helo: Type.Optional(Type.String({ maxLength: 255 })),
};

const IngestQuery = Type.Object({ rcpt_to: RcptTo, ...EnvelopeQueryFields }, { additionalProperties: false });

export function ingestRoutes(app: Api, ctx: RouteContext) {
  app.post(
    "/v1/ingest",
    {
      bodyLimit: ctx.config.maxMessageBytes,
      schema: {
        tags: ["ingest"],
        operationId: "ingestMessage",
        summary: "Accept raw MIME from an external MTA",
        description:
          "Body: the raw message with Content-Type message/rfc822. The SMTP envelope goes in the query string: " +
          "rcpt_to (repeat it or separate with commas), mail_from, client_ip, helo. The message is durably stored " +
          "before the 202 answer and then runs through the same pipeline as SMTP mail. Needs an ingest or admin key.",
        querystring: IngestQuery,
        body: { content: { "message/rfc822": { schema: RawMimeBody } } },
        response: {
          202: described(
            IngestResultRef,
            "Stored for every accepted recipient; `rejected` says why for the others.",
          ),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "UNSUPPORTED_MEDIA_TYPE",
            "HEADER_TOO_LARGE",
            "NO_VALID_RECIPIENTS",
          ),
          ...errorsAt(503, "MAILBOX_PAUSED"),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const { accepted, rejected } = await ingestRaw(ctx, principalOf(req), req.body, {
        rcptTo: q.rcpt_to,
        mailFrom: q.mail_from,
        clientIp: q.client_ip,
        helo: q.helo,
      });
      return reply.status(202).send({
        accepted: accepted.map((c) => ({
          recipient: c.recipient,
          message_id: c.messageId,
          mailbox_id: c.mailboxId,
        })),
        rejected,
      });
    },
  );
}
