import { randomUUID } from "node:crypto";
import { Type } from "typebox";
import { isUuid } from "../../domain/address.ts";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { AppError, validation } from "../../domain/errors.ts";
import { type Principal, requireRole } from "../../domain/principal.ts";
import { MAX_RECIPIENTS } from "../../domain/recipient-controls.ts";
import { scanDraft, sendClaimedDraft } from "../../outbound/drafts.ts";
import { Channel, notify } from "../../store/channels.ts";
import {
  claimDraft,
  type DraftContent,
  type DraftRow,
  deleteDraft,
  getDraft,
  insertDraft,
  listDrafts,
  updateDraft,
} from "../../store/drafts.ts";
import { mailboxFor } from "../../tenancy/access.ts";
import { PageQuery, page } from "../pagination.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";
import { addressList, Recipients, Subject, Text } from "./messages.ts";

const SendAt = Type.Union([Type.String({ format: "date-time", maxLength: 40 }), Type.Null()]);
const DraftFields = {
  to: Type.Optional(Recipients),
  cc: Type.Optional(Recipients),
  bcc: Type.Optional(Recipients),
  subject: Type.Optional(Subject),
  body: Type.Optional(Text),
  html: Type.Optional(Type.Union([Text, Type.Null()])),
  send_at: Type.Optional(SendAt),
};
const CreateDraft = Type.Object(
  { from_mailbox: Type.String({ minLength: 1, maxLength: 100 }), ...DraftFields },
  { additionalProperties: false },
);
const PatchDraft = Type.Object(DraftFields, { additionalProperties: false });
const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

export function draftToWire(d: DraftRow) {
  return {
    id: d.id,
    mailbox_id: d.mailbox_id,
    state: d.state,
    to: d.to_addrs,
    cc: d.cc_addrs,
    bcc: d.bcc_addrs,
    subject: d.subject,
    body: { text: d.body_text, html: d.body_html },
    send_at: d.send_at ? new Date(d.send_at).toISOString() : null,
    scan: d.scan,
    worst_decision: d.worst_decision,
    message_id: d.message_id,
    created_at: new Date(d.created_at).toISOString(),
    updated_at: new Date(d.updated_at).toISOString(),
  };
}

/** Drafts: written by agents, scanned at every write, rescanned authoritatively when sent. */
export function draftRoutes(app: Api, ctx: RouteContext) {
  const tags = ["drafts"];

  async function draftFor(p: Principal, id: string): Promise<DraftRow> {
    if (!isUuid(id)) throw new AppError(404, "NOT_FOUND", `no draft ${id}`);
    const d = await getDraft(ctx.db, p.accountId, id.toLowerCase());
    if (!d || (p.role !== "admin" && !p.mailboxIds.includes(d.mailbox_id)))
      throw new AppError(404, "NOT_FOUND", `no draft ${id}`);
    return d;
  }

  function contentOf(b: Record<string, unknown>, base?: DraftRow): DraftContent {
    const to = b.to !== undefined ? addressList("to", b.to as string | string[]) : (base?.to_addrs ?? []);
    const cc = b.cc !== undefined ? addressList("cc", b.cc as string | string[]) : (base?.cc_addrs ?? []);
    const bcc =
      b.bcc !== undefined ? addressList("bcc", b.bcc as string | string[]) : (base?.bcc_addrs ?? []);
    if (new Set([...to, ...cc, ...bcc].map((a) => a.toLowerCase())).size > MAX_RECIPIENTS)
      throw new AppError(
        400,
        "TOO_MANY_RECIPIENTS",
        `a message may have at most ${MAX_RECIPIENTS} recipients (to, cc and bcc together)`,
        { limit: MAX_RECIPIENTS },
      );
    const sendAt =
      b.send_at !== undefined
        ? b.send_at === null
          ? null
          : new Date(b.send_at as string)
        : (base?.send_at ?? null);
    return {
      to,
      cc,
      bcc,
      subject: (b.subject as string | undefined) ?? base?.subject ?? "",
      text: (b.body as string | undefined) ?? base?.body_text ?? "",
      html: b.html !== undefined ? (b.html as string | null) : (base?.body_html ?? null),
      sendAt,
    };
  }

  app.post(
    "/v1/drafts",
    {
      schema: {
        tags,
        summary: "Create a draft (scanned now; returns scan and worst_decision)",
        description: "`send_at` (ISO 8601) schedules the send for later when the draft is sent.",
        body: CreateDraft,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const mailbox = await mailboxFor(ctx.db, p, req.body.from_mailbox);
      const content = contentOf(req.body);
      const { scan, worst } = scanDraft(mailbox, content);
      const row = await insertDraft(ctx.db, {
        id: randomUUID(),
        accountId: mailbox.account_id,
        mailboxId: mailbox.id,
        content,
        scan,
        worst,
      });
      return reply.status(201).send(draftToWire(row));
    },
  );

  app.get("/v1/drafts/:id", { schema: { tags, summary: "Get a draft", params: IdParam } }, async (req) =>
    draftToWire(await draftFor(principalOf(req), req.params.id)),
  );

  app.get(
    "/v1/mailboxes/:id/drafts",
    {
      schema: {
        tags,
        summary: "A mailbox's unsent drafts, newest first",
        params: MailboxParam,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const mb = await mailboxFor(ctx.db, principalOf(req), req.params.id);
      const limit = req.query.limit ?? 50;
      const before = req.query.cursor ? decodeCursor(req.query.cursor, { t: "timestamp", i: "uuid" }) : null;
      const rows = await listDrafts(ctx.db, mb.id, limit + 1, before);
      return page(rows, limit, draftToWire, (r) => encodeCursor({ t: r.created_at.toISOString(), i: r.id }));
    },
  );

  app.patch(
    "/v1/drafts/:id",
    { schema: { tags, summary: "Edit a draft (rescanned)", params: IdParam, body: PatchDraft } },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const d = await draftFor(p, req.params.id);
      const mailbox = await mailboxFor(ctx.db, p, d.mailbox_id);
      const content = contentOf(req.body, d);
      const { scan, worst } = scanDraft(mailbox, content);
      const row = await updateDraft(ctx.db, d.id, content, scan, worst);
      if (!row)
        throw new AppError(
          409,
          "DRAFT_ALREADY_SENT",
          "the draft was sent (or is being sent); it cannot change",
        );
      return draftToWire(row);
    },
  );

  app.delete(
    "/v1/drafts/:id",
    { schema: { tags, summary: "Delete a draft (a scheduled one is unscheduled)", params: IdParam } },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const d = await draftFor(p, req.params.id);
      if (!(await deleteDraft(ctx.db, d.id)))
        throw new AppError(409, "DRAFT_ALREADY_SENT", "the draft was sent (or is being sent)");
      return reply.status(204).send();
    },
  );

  app.post(
    "/v1/drafts/:id/send",
    {
      schema: {
        tags,
        summary: "Send a draft (authoritative rescan against the current policy)",
        description:
          "Returns the send result (`status: sent | pending_review | quarantined | blocked`). A rescan that would " +
          "quarantine or block answers 409 DRAFT_REJECTED_BY_RESCAN with `details.scan` and the draft stays a draft. " +
          "A second send answers 409 DRAFT_ALREADY_SENT. A draft with a future `send_at` is scheduled instead: " +
          '`{status: "scheduled", send_at}`.',
        params: IdParam,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const d = await draftFor(p, req.params.id);
      const mailbox = await mailboxFor(ctx.db, p, d.mailbox_id);
      if (d.to_addrs.length + d.cc_addrs.length + d.bcc_addrs.length === 0)
        throw validation("the draft has no recipients; add some with PATCH first", [
          "draft.to must name at least one recipient",
        ]);
      const later = d.send_at && new Date(d.send_at).getTime() > Date.now();
      const claimed = await claimDraft(ctx.db, d.id, later ? "scheduled" : "sending");
      if (!claimed)
        throw new AppError(409, "DRAFT_ALREADY_SENT", "the draft was already sent (or is being sent)");
      if (later) {
        await notify(ctx.db, Channel.drafts);
        return reply
          .status(202)
          .send({ draft_id: d.id, status: "scheduled", send_at: new Date(d.send_at!).toISOString() });
      }
      return sendClaimedDraft({ db: ctx.db, send: ctx.send }, claimed, mailbox);
    },
  );
}
