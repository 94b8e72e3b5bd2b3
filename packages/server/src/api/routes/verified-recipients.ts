import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import { recipientStatus } from "../../domain/recipient-verification.ts";
import {
  addVerifiedRecipient,
  confirmationLink,
  confirmRecipient,
  type LinkState,
  removeVerifiedRecipient,
  requireWorkingLink,
  resendConfirmation,
  verifiedRecipientsOf,
} from "../../outbound/verified-recipients.ts";
import type { VerifiedRecipientRow } from "../../store/verified-recipients.ts";
import { confirmationPage, PAGE_HEADERS } from "../confirmation-page.ts";
import { PageQuery, page } from "../pagination.ts";
import {
  ConfirmationResent,
  errors,
  VerifiedRecipientAdded,
  VerifiedRecipientDeleted,
  VerifiedRecipientList,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });
const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) });

/** The page (HTML for a browser) or the JSON state of a confirmation link. */
const ConfirmationAnswer = {
  description:
    "A browser (`Accept: text/html`) gets a page that says what the link does, whatever its state; other clients " +
    "get the recipient's state as JSON, and `400 CONFIRMATION_LINK_INVALID` / `410 CONFIRMATION_LINK_EXPIRED`.",
  content: {
    "text/html": { schema: { type: "string", contentMediaType: "text/html" } },
    "application/json": {
      schema: Type.Object({
        email: Type.String(),
        status: Type.Union([Type.Literal("pending"), Type.Literal("confirmed")]),
        account_name: Type.String(),
        link_expires_at: Type.String({ format: "date-time" }),
      }),
    },
  },
};

/**
 * Verified recipients (decision 0019): the addresses mailboxes in sandbox mode may send to. An admin adds one,
 * Postbox mails it a signed link, its owner confirms on the page the link opens. Not to be confused with the
 * outbound recipient controls of routes/recipients.ts (suppressions, allowlists).
 */
export function verifiedRecipientRoutes(app: Api, ctx: RouteContext) {
  const tags = ["recipients"];
  const deps = { db: ctx.db, clock: ctx.clock, blobs: ctx.blobs, domain: ctx.config.domain, dkim: ctx.dkim };
  // Where confirmation links point: the operator's public URL, else the address this admin reached us at.
  const linkBase = (req: FastifyRequest) => ctx.config.publicUrl ?? `${req.protocol}://${req.host}`;
  const toWire = (r: VerifiedRecipientRow) => ({
    id: r.id,
    email: r.email,
    status: recipientStatus(r, ctx.clock.now()),
    created_at: r.created_at.toISOString(),
    confirmed_at: r.confirmed_at?.toISOString() ?? null,
    link_sent_at: r.link_sent_at.toISOString(),
    link_expires_at: r.link_expires_at.toISOString(),
    links_sent: r.links_sent,
  });

  // A confirmation link is a page for people and a state for machines (the sink test, a support script).
  const answerLink = async (
    req: FastifyRequest<{ Querystring: { token?: string } }>,
    reply: { headers(h: Record<string, string>): unknown; send(b: unknown): unknown },
    link: LinkState,
    pressed: boolean,
  ) => {
    if ((req.headers.accept ?? "").includes("text/html")) {
      reply.headers(PAGE_HEADERS);
      return reply.send(confirmationPage(link, req.query.token ?? "", pressed));
    }
    const good = requireWorkingLink(link);
    return {
      email: good.row.email,
      status: good.row.status,
      account_name: good.accountName,
      link_expires_at: good.row.link_expires_at.toISOString(),
    };
  };

  app.post(
    "/v1/recipients",
    {
      schema: {
        tags,
        operationId: "addVerifiedRecipient",
        summary: "Add a verified recipient: mails it a confirmation link (admin)",
        description:
          "Mailboxes in sandbox mode (the mailbox's `sandbox`, or the account's in `/v1/account/policy`) may send only " +
          "to confirmed recipients; anyone else gets `403 RECIPIENT_NOT_VERIFIED`. This adds an address as `pending` " +
          "and queues a mail to it, from `postbox-verify@` the default domain, with a signed link (72 hours) to a " +
          "page where its owner confirms. Links point at POSTBOX_PUBLIC_URL, or at the address this request came " +
          "to. An address the account has already is answered as it is (200, nothing mailed; resend mails again). " +
          "At most 50 confirmation mails per account in 24 hours (`429 RATE_LIMITED`).",
        body: withExamples(
          Type.Object({ email: Type.String({ maxLength: 320 }) }, { additionalProperties: false }),
          { email: "jane@example.com" },
        ),
        response: {
          200: VerifiedRecipientAdded,
          201: VerifiedRecipientAdded,
          ...errors("INSUFFICIENT_SCOPE", "VALIDATION_ERROR", "INVALID_EMAIL", "RATE_LIMITED"),
        },
      },
    },
    async (req, reply) => {
      const { row, created } = await addVerifiedRecipient(
        deps,
        principalOf(req),
        req.body.email,
        linkBase(req),
      );
      return reply.status(created ? 201 : 200).send({ ...toWire(row), already_existed: !created });
    },
  );

  app.get(
    "/v1/recipients",
    {
      schema: {
        tags,
        operationId: "listVerifiedRecipients",
        summary: "The account's verified recipients",
        description:
          "Newest first, with `status` pending | confirmed | expired (the latest link expired unconfirmed). Agent keys " +
          "may read the list: it says whom a sandboxed mailbox may mail.",
        querystring: Type.Object(PageQuery),
        response: { 200: VerifiedRecipientList, ...errors("INSUFFICIENT_SCOPE", "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await verifiedRecipientsOf(ctx, principalOf(req), { limit, cursor: req.query.cursor });
      return page("recipients", rows, limit, toWire, (r) =>
        encodeCursor({ t: r.created_at.toISOString(), i: r.id }),
      );
    },
  );

  app.delete(
    "/v1/recipients/:id",
    {
      schema: {
        tags,
        operationId: "deleteVerifiedRecipient",
        summary: "Remove a verified recipient (admin)",
        description: "Sandboxed mailboxes may no longer mail it; a pending link stops working.",
        params: IdParam,
        response: { 200: VerifiedRecipientDeleted, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
      },
    },
    async (req) => {
      const row = await removeVerifiedRecipient(ctx, principalOf(req), req.params.id);
      return { status: "deleted", deleted: true, id: row.id, email: row.email };
    },
  );

  app.post(
    "/v1/recipients/:id/resend",
    {
      schema: {
        tags,
        operationId: "resendRecipientConfirmation",
        summary: "Mail a pending or expired recipient a new confirmation link (admin)",
        description:
          "The new link replaces the older ones (they stop working) and runs 72 hours. `status` already_confirmed: " +
          "nothing was sent. At most one mail per address a minute and 50 per account in 24 hours " +
          "(`429 RATE_LIMITED` with `Retry-After`).",
        params: IdParam,
        response: {
          200: ConfirmationResent,
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "RATE_LIMITED"),
        },
      },
    },
    async (req) => {
      const r = await resendConfirmation(deps, principalOf(req), req.params.id, linkBase(req));
      return { status: r.status, recipient: toWire(r.row) };
    },
  );

  // The pages of the link: no API key (the signed token is the credential).
  const publicRoute = { config: { public: true } };
  // The confirm button's form posts an empty urlencoded body; the token is in the query.
  app.addContentTypeParser("application/x-www-form-urlencoded", { bodyLimit: 4096 }, (_req, _body, done) =>
    done(null, undefined),
  );

  app.get(
    "/v1/recipients/confirm",
    {
      ...publicRoute,
      schema: {
        tags,
        operationId: "showRecipientConfirmation",
        summary: "The page a confirmation link opens (no API key)",
        description:
          "Shows whose agents ask to mail the address, and a button that confirms (`POST` to the same URL). Opening " +
          "the link confirms nothing, so a mail scanner that follows links cannot confirm for the person.",
        security: [],
        querystring: TokenQuery,
        response: {
          200: ConfirmationAnswer,
          ...errors("CONFIRMATION_LINK_INVALID", "CONFIRMATION_LINK_EXPIRED"),
        },
      },
    },
    async (req, reply) => answerLink(req, reply, await confirmationLink(ctx, req.query.token ?? ""), false),
  );

  app.post(
    "/v1/recipients/confirm",
    {
      ...publicRoute,
      schema: {
        tags,
        operationId: "confirmRecipient",
        summary: "Confirm a verified recipient: the page's button (no API key)",
        description:
          "The token is the link's `token`, in the query. Confirms a pending recipient whose latest link has not " +
          "expired; a second press changes nothing.",
        security: [],
        querystring: TokenQuery,
        response: {
          200: ConfirmationAnswer,
          ...errors("CONFIRMATION_LINK_INVALID", "CONFIRMATION_LINK_EXPIRED"),
        },
      },
    },
    async (req, reply) => answerLink(req, reply, await confirmRecipient(ctx, req.query.token ?? ""), true),
  );
}
