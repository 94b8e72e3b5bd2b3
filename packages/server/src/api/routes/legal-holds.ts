import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import {
  applyLegalHold,
  type LegalHoldRow,
  legalHold,
  legalHolds,
  releaseLegalHold,
} from "../../governance/legal-holds.ts";
import { page } from "../pagination.ts";
import { described, errors, LegalHoldList, LegalHoldRef, withExamples } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function legalHoldToWire(h: LegalHoldRow) {
  return {
    id: h.id,
    scope: h.scope,
    mailbox_id: h.mailbox_id,
    case_reference: h.case_reference,
    reason: h.reason,
    status: h.released_at ? "released" : "active",
    applied_at: h.applied_at.toISOString(),
    applied_by_type: h.applied_by_type,
    applied_by_id: h.applied_by_id,
    released_at: iso(h.released_at),
    released_by_type: h.released_by_type,
    released_by_id: h.released_by_id,
    release_reason: h.release_reason,
  };
}

const Text = Type.String({ minLength: 1, maxLength: 2000 });

const ApplyHold = Type.Object(
  {
    scope: Type.Union([Type.Literal("account"), Type.Literal("mailbox")]),
    reason: Text,
    mailbox_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    case_reference: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const IdParam = Type.Object({ id: Type.String() });

/** The seed's legal holds (admin keys): apply, list, read, release. */
export function legalHoldRoutes(app: Api, ctx: RouteContext) {
  const tags = ["legal-holds"];

  app.post(
    "/v1/legal-holds",
    {
      schema: {
        tags,
        operationId: "applyLegalHold",
        summary: "Apply a legal hold to the account or one mailbox (admin)",
        description:
          "While the hold is active the mail it covers is never deleted: the retention job skips it, and message " +
          "deletes, mailbox deletes and account deletion answer `409 LEGAL_HOLD_ACTIVE`. `scope: mailbox` needs " +
          "`mailbox_id` (UUID or name); `scope: account` covers every mailbox, present and future. The hold is " +
          "written to the audit log of each mailbox it covers now and announced as a `legal_hold.applied` event.",
        body: withExamples(ApplyHold, {
          scope: "mailbox",
          mailbox_id: "support",
          reason: "Litigation hold",
          case_reference: "MATTER-2026-001",
        }),
        response: {
          201: described(LegalHoldRef, "The hold, active."),
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND"),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const hold = await applyLegalHold(ctx, principalOf(req), {
        scope: b.scope,
        reason: b.reason,
        mailboxId: b.mailbox_id,
        caseReference: b.case_reference,
      });
      return reply.status(201).send(legalHoldToWire(hold));
    },
  );

  app.get(
    "/v1/legal-holds",
    {
      schema: {
        tags,
        operationId: "listLegalHolds",
        summary: "The account's legal holds, newest first (admin)",
        querystring: Type.Object({
          include_released: Type.Optional(Type.Boolean({ default: false })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: { 200: LegalHoldList, ...errors("INSUFFICIENT_SCOPE", "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await legalHolds(ctx, principalOf(req), {
        includeReleased: req.query.include_released ?? false,
        limit,
        cursor: req.query.cursor,
      });
      return page("legal_holds", rows, limit, legalHoldToWire, (h) =>
        encodeCursor({ t: h.applied_at.toISOString(), i: h.id }),
      );
    },
  );

  app.get(
    "/v1/legal-holds/:id",
    {
      schema: {
        tags,
        operationId: "getLegalHold",
        summary: "A legal hold (admin)",
        params: IdParam,
        response: { 200: LegalHoldRef, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
      },
    },
    async (req) => legalHoldToWire(await legalHold(ctx, principalOf(req), req.params.id)),
  );

  app.post(
    "/v1/legal-holds/:id/release",
    {
      schema: {
        tags,
        operationId: "releaseLegalHold",
        summary: "Release a legal hold (admin)",
        description:
          "The hold stays on record with who released it, when and why; its mail is subject to retention and " +
          "deletion again unless another hold covers it. Audited in each covered mailbox's log and announced as a " +
          "`legal_hold.released` event.",
        params: IdParam,
        body: withExamples(Type.Object({ release_reason: Text }, { additionalProperties: false }), {
          release_reason: "Matter closed",
        }),
        response: {
          200: described(LegalHoldRef, "The hold, released."),
          ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "LEGAL_HOLD_ALREADY_RELEASED"),
        },
      },
    },
    async (req) =>
      legalHoldToWire(await releaseLegalHold(ctx, principalOf(req), req.params.id, req.body.release_reason)),
  );
}
