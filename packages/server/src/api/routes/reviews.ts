import { Type } from "typebox";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { AppError } from "../../domain/errors.ts";
import { type Principal, requireRole } from "../../domain/principal.ts";
import { Channel, notify } from "../../store/channels.ts";
import { queueDeliveries } from "../../store/deliveries.ts";
import { appendEvent } from "../../store/events.ts";
import type { MessageRow } from "../../store/messages.ts";
import { mailboxFor, messageFor } from "../../tenancy/access.ts";
import { PageQuery, page } from "../pagination.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { messageToWire } from "../wire.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });
const NoteBody = Type.Optional(
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
);
const HELD = ["pending_review", "quarantined"];

/**
 * Human review of held sends. Admin keys only — an agent key gets 403 INSUFFICIENT_SCOPE, so an agent can never
 * approve its own mail.
 */
export function reviewRoutes(app: Api, ctx: RouteContext) {
  const tags = ["review"];

  app.get(
    "/v1/reviews",
    {
      schema: {
        tags,
        summary: "Sends waiting for a human, oldest first (admin)",
        querystring: Type.Object(
          { ...PageQuery, mailbox: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const limit = req.query.limit ?? 50;
      const mailboxId = req.query.mailbox ? (await mailboxFor(ctx.db, p, req.query.mailbox)).id : null;
      const after = req.query.cursor ? decodeCursor(req.query.cursor, { t: "timestamp", i: "uuid" }) : null;
      const rows = await ctx.db.query<MessageRow>(
        `select * from messages where account_id = $1 and direction = 'outbound' and state = 'pending_review'
           and ($2::uuid is null or mailbox_id = $2)
           and ($3::timestamptz is null or (created_at, id) > ($3::timestamptz, $4::uuid))
         order by created_at, id limit $5`,
        [p.accountId, mailboxId, after?.t ?? null, after?.i ?? null, limit + 1],
      );
      return page(
        rows,
        limit,
        (r) => messageToWire(r),
        (r) => encodeCursor({ t: r.created_at.toISOString(), i: r.id }),
      );
    },
  );

  async function decide(
    p: Principal,
    req: { params: { id: string }; body?: { note?: string } },
    decision: "approved" | "denied",
  ) {
    requireRole(p, "admin");
    const msg = await messageFor(ctx.db, p, req.params.id);
    const note = req.body?.note?.trim() || null;
    if (decision === "approved" && !note) {
      const mb = await mailboxFor(ctx.db, p, msg.mailbox_id);
      const sensitive = ((msg.scan?.findings ?? []) as { pii_type?: string }[]).some(
        (f) => f.pii_type === "ssn" || f.pii_type === "credit_card",
      );
      if (
        sensitive &&
        mb.scanner_policy.outbound_review_policy?.approval_note === "required_for_sensitive_pii"
      ) {
        throw new AppError(
          400,
          "APPROVAL_NOTE_REQUIRED",
          'this send holds an SSN or card number and the mailbox requires a note to approve it: send {"note": "..."}',
        );
      }
    }
    const row = await ctx.db.tx(async (sql) => {
      const review = { decision, note, decided_at: new Date().toISOString(), api_key_id: p.apiKeyId };
      const [updated] = await sql.query<MessageRow>(
        `update messages set state = $3, review = $4::jsonb, updated_at = now()
         where id = $1 and direction = 'outbound' and state = any($2::text[]) returning *`,
        [msg.id, HELD, decision === "approved" ? "dispatching" : "blocked", JSON.stringify(review)],
      );
      if (!updated) return null;
      if (decision === "approved") {
        const recipients = [
          ...new Set(
            [...updated.to_addrs, ...updated.cc_addrs, ...updated.bcc_addrs].map((a) => a.toLowerCase()),
          ),
        ];
        await queueDeliveries(sql, updated.account_id, updated.id, recipients);
        await notify(sql, Channel.delivery);
      }
      await appendEvent(sql, {
        accountId: updated.account_id,
        mailboxId: updated.mailbox_id,
        type: `message.${decision}`,
        data: { message_id: updated.id, note },
      });
      return updated;
    });
    if (!row) {
      throw new AppError(
        409,
        "MESSAGE_NOT_HELD",
        `the message is ${msg.state}; only held outbound messages can be ${decision}`,
      );
    }
    return messageToWire(row, []);
  }

  app.post(
    "/v1/messages/:id/approve",
    {
      schema: {
        tags,
        summary: "Approve a held send: it goes to the delivery queue (admin)",
        description:
          "Body `{note?}`; a note is required when the mailbox sets outbound_review_policy.approval_note = " +
          "required_for_sensitive_pii and the hold involves an SSN or card number (400 APPROVAL_NOTE_REQUIRED).",
        params: IdParam,
        body: NoteBody,
      },
    },
    async (req) => decide(principalOf(req), req, "approved"),
  );

  app.post(
    "/v1/messages/:id/deny",
    {
      schema: {
        tags,
        summary: "Deny a held send: it is never delivered (admin)",
        params: IdParam,
        body: NoteBody,
      },
    },
    async (req) => decide(principalOf(req), req, "denied"),
  );
}
