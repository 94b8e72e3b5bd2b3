import { isIP } from "node:net";
import { Type } from "typebox";
import { AppError, validation } from "../../domain/errors.ts";
import { requireRole } from "../../domain/principal.ts";
import { headerBlockLength } from "../../inbound/parse.ts";
import { resolveRecipient } from "../../inbound/recipients.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const IngestQuery = Type.Object(
  {
    rcpt_to: Type.Union([
      Type.String({ maxLength: 32_000 }),
      Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100 }),
    ]),
    mail_from: Type.Optional(Type.String({ maxLength: 320 })),
    client_ip: Type.Optional(Type.String({ maxLength: 64 })),
    helo: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

export function ingestRoutes(app: Api, ctx: RouteContext) {
  app.post(
    "/v1/ingest",
    {
      bodyLimit: ctx.config.maxMessageBytes,
      schema: {
        tags: ["ingest"],
        summary: "Accept raw MIME from an external MTA",
        description:
          "Body: the raw message with Content-Type message/rfc822. The SMTP envelope goes in the query string: " +
          "rcpt_to (repeat it or separate with commas), mail_from, client_ip, helo. The message is durably stored " +
          "before the 202 answer and then runs through the same pipeline as SMTP mail. Needs an ingest or admin key.",
        querystring: IngestQuery,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "ingest", "admin");
      const raw = req.body;
      if (!Buffer.isBuffer(raw)) {
        throw new AppError(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "send the raw message with Content-Type: message/rfc822",
        );
      }
      if (raw.length === 0)
        throw validation("the message body is empty", ["body must be a non-empty RFC 5322 message"]);
      if (headerBlockLength(raw, ctx.config.maxHeaderBytes) === null) {
        throw new AppError(
          413,
          "HEADER_TOO_LARGE",
          `the message header block exceeds ${ctx.config.maxHeaderBytes} bytes`,
        );
      }
      const q = req.query;
      if (q.client_ip && isIP(q.client_ip) === 0) {
        throw validation("client_ip is not an IP address", [
          "querystring.client_ip must be an IPv4 or IPv6 address",
        ]);
      }
      const rcpts = (Array.isArray(q.rcpt_to) ? q.rcpt_to : [q.rcpt_to])
        .flatMap((r) => r.split(","))
        .map((r) => r.trim())
        .filter(Boolean);
      if (rcpts.length === 0)
        throw validation("rcpt_to names no recipient", [
          "querystring.rcpt_to must name at least one recipient",
        ]);
      if (rcpts.length > 100)
        throw validation("at most 100 recipients per message", [
          "querystring.rcpt_to has more than 100 recipients",
        ]);

      const accepted: { mailbox: MailboxRow; address: string }[] = [];
      const rejected: { recipient: string; code: string; reason: string }[] = [];
      for (const address of rcpts) {
        const v = await resolveRecipient(ctx.db, ctx.config.domain, address);
        // Ingest keys are account keys: mailboxes of other accounts look unknown.
        if (v.ok && v.mailbox.account_id === p.accountId) accepted.push({ mailbox: v.mailbox, address });
        else if (!v.ok && v.reason === "malformed")
          rejected.push({ recipient: address, code: "INVALID_ADDRESS", reason: "not an email address" });
        else if (!v.ok && v.reason === "foreign_domain") {
          rejected.push({
            recipient: address,
            code: "FOREIGN_DOMAIN",
            reason: `not an address at ${ctx.config.domain}`,
          });
        } else rejected.push({ recipient: address, code: "UNKNOWN_RECIPIENT", reason: "no such mailbox" });
      }
      if (accepted.length === 0) {
        throw new AppError(
          422,
          "NO_VALID_RECIPIENTS",
          "none of the recipients is a mailbox of this account",
          { rejected },
        );
      }
      const copies = await ctx.accept(
        raw,
        {
          transport: "http",
          client_ip: q.client_ip ?? null,
          helo: q.helo ?? null,
          mail_from: q.mail_from ?? null,
          rcpt_to: rcpts,
        },
        accepted,
      );
      return reply.status(202).send({
        accepted: copies.map((c) => ({
          recipient: c.recipient,
          message_id: c.messageId,
          mailbox_id: c.mailboxId,
        })),
        rejected,
      });
    },
  );
}
