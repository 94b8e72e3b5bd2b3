import { Type } from "typebox";
import { mailboxAddress } from "../../domain/address.ts";
import { encodeCursor } from "../../domain/cursor.ts";
import { type UploadRow, uploadsById } from "../../outbound/attachments.ts";
import {
  createDraft,
  type DraftInput,
  type DraftRow,
  deleteDraft,
  editDraft,
  getDraftOf,
  listMailboxDrafts,
  mailboxNames,
  queueDraftSend,
  sendDraft,
} from "../../outbound/drafts.ts";
import { PageQuery, page } from "../pagination.ts";
import {
  ATTACHMENT_IDS_REFUSALS,
  DRAFT_AUTHORING,
  DraftDeleted,
  DraftList,
  DraftQueued,
  DraftRef,
  described,
  errors,
  MAILBOX_ACCESS,
  SEND_REFUSALS,
  SendResultRef,
  THREAD_SEND,
  withExamples,
} from "../schemas/index.ts";
import { prefers, sendOutcome } from "../send-outcome.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { scanToWire } from "../wire.ts";
import { MailboxParam } from "./mailboxes.ts";
import { AttachmentIds, Recipients, SubaddressFields, Subject, Text, ThreadKey } from "./messages.ts";

const SendAt = Type.Union([Type.String({ format: "date-time", maxLength: 40 }), Type.Null()]);
const DraftFields = {
  to: Type.Optional(Recipients),
  cc: Type.Optional(Recipients),
  bcc: Type.Optional(Recipients),
  subject: Type.Optional(Subject),
  body: Type.Optional(Text),
  html: Type.Optional(Type.Union([Text, Type.Null()])),
  send_at: Type.Optional(SendAt),
  subaddress_instance_id: Type.Optional(Type.Union([SubaddressFields.subaddress_instance_id, Type.Null()])),
  subaddress_mode: Type.Optional(Type.Union([SubaddressFields.subaddress_mode, Type.Null()])),
  attachment_ids: Type.Optional(Type.Union([AttachmentIds, Type.Null()])),
};
const CreateDraft = Type.Object(
  {
    // The mailbox writing it: `from_mailbox`, or `mailbox_id` as the seed's clients send it (UUID or name).
    from_mailbox: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    mailbox_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    ...DraftFields,
    thread_id: Type.Optional(ThreadKey),
    in_reply_to_message_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "The id of the message the draft answers." }),
    ),
  },
  { additionalProperties: false },
);
const PatchDraft = Type.Object(DraftFields, { additionalProperties: false });
const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

/** A draft as the wire shows it; `mailbox` names the writing mailbox (the seed's `sender` and `mailbox_name`). */
export function draftToWire(
  d: DraftRow,
  mailbox?: { name: string; address: string },
  uploads?: Map<string, UploadRow>,
) {
  return {
    id: d.id,
    mailbox_id: d.mailbox_id,
    mailbox_name: mailbox?.name ?? null,
    state: d.state,
    sender: mailbox?.address ?? null,
    to: d.to_addrs,
    cc: d.cc_addrs,
    bcc: d.bcc_addrs,
    recipient: d.to_addrs.join(", "),
    subject: d.subject,
    // The seed's body object (the text part, else the HTML), with both parts as Postbox writes them.
    body: {
      format: d.body_text !== null || d.body_html === null ? "text" : "html",
      content: d.body_text ?? d.body_html,
      char_count: (d.body_text ?? d.body_html ?? "").length,
      returned_char_count: (d.body_text ?? d.body_html ?? "").length,
      truncated: false,
      text: d.body_text,
      html: d.body_html,
    },
    thread_id: d.thread_id,
    // The Message-ID the send answers (as on messages), and the answered message's id.
    in_reply_to: d.in_reply_to,
    in_reply_to_message_id: d.in_reply_to_message_id,
    subaddress_instance_id: d.subaddress_instance_id,
    subaddress_mode: d.subaddress_mode,
    send_at: d.send_at ? new Date(d.send_at).toISOString() : null,
    scan: scanToWire(d.scan),
    worst_decision: d.worst_decision,
    message_id: d.message_id,
    attachment_ids: d.attachment_ids,
    attachments: d.attachment_ids.flatMap((id) => {
      const u = uploads?.get(id);
      return u
        ? [
            {
              upload_id: u.id,
              filename: u.filename,
              content_type: u.declared_mime_type,
              size: u.size,
              content_scan_status: u.content_scan_status,
            },
          ]
        : [];
    }),
    created_at: new Date(d.created_at).toISOString(),
    updated_at: new Date(d.updated_at).toISOString(),
  };
}

/** The wire's draft fields as the use-case takes them. */
function draftInput(b: {
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  subject?: string;
  body?: string;
  html?: string | null;
  send_at?: string | null;
  subaddress_instance_id?: string | null;
  subaddress_mode?: DraftInput["subaddressMode"];
  attachment_ids?: string[] | null;
}): DraftInput {
  return {
    to: b.to,
    cc: b.cc,
    bcc: b.bcc,
    subject: b.subject,
    text: b.body,
    html: b.html,
    sendAt: b.send_at,
    subaddressInstanceId: b.subaddress_instance_id,
    subaddressMode: b.subaddress_mode,
    attachmentIds: b.attachment_ids,
  };
}

/** Drafts: written by agents, scanned at every write, rescanned authoritatively when sent. */
export function draftRoutes(app: Api, ctx: RouteContext) {
  /** The wire form of drafts, with their mailbox's name and address (looked up once per mailbox). */
  const wireAll = async (rows: DraftRow[]) => {
    const names = await mailboxNames(ctx, [...new Set(rows.map((r) => r.mailbox_id))]);
    const uploads = await uploadsById(
      ctx,
      rows[0]?.account_id ?? "",
      rows.flatMap((r) => r.attachment_ids),
    );
    return rows.map((r) => {
      const mb = names.get(r.mailbox_id);
      return draftToWire(
        r,
        mb ? { name: mb.name, address: mailboxAddress(mb, ctx.config.domain) } : undefined,
        uploads,
      );
    });
  };
  const wire = async (row: DraftRow) => (await wireAll([row]))[0]!;
  const tags = ["drafts"];

  app.post(
    "/v1/drafts",
    {
      schema: {
        tags,
        operationId: "createDraft",
        summary: "Create a draft (scanned now; returns scan and worst_decision)",
        description:
          "`send_at` (ISO 8601) schedules the send for later when the draft is sent. `in_reply_to_message_id` " +
          "makes the draft an answer to that message: in its mailbox and thread, to its Reply-To or sender and " +
          "`Re:` its subject unless given. `thread_id` continues a thread as `POST /v1/messages/send` does (its " +
          "inbound counterpart unless `to` names one who wrote in; the same refusals). Either way the mailbox may " +
          "be left out, and sending the draft carries In-Reply-To and References and joins the thread.",
        body: withExamples(CreateDraft, {
          mailbox_id: "support",
          to: "customer@example.com",
          subject: "Follow-up on your request",
          body: "Hello, here is the summary you asked for.",
        }),
        response: {
          201: described(DraftRef, "The new draft, with its scan."),
          ...errors(
            ...MAILBOX_ACCESS,
            ...DRAFT_AUTHORING,
            ...ATTACHMENT_IDS_REFUSALS,
            ...THREAD_SEND,
            "VALIDATION_ERROR",
            "TOO_MANY_RECIPIENTS",
          ),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const row = await createDraft(ctx, principalOf(req), b.from_mailbox ?? b.mailbox_id, draftInput(b), {
        threadId: b.thread_id,
        inReplyToMessageId: b.in_reply_to_message_id,
      });
      return reply.status(201).send(await wire(row));
    },
  );

  app.get(
    "/v1/drafts/:id",
    {
      schema: {
        tags,
        operationId: "getDraft",
        summary: "Get a draft",
        params: IdParam,
        response: { 200: described(DraftRef, "The draft."), ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND") },
      },
    },
    async (req) => wire(await getDraftOf(ctx, principalOf(req), req.params.id)),
  );

  app.get(
    "/v1/mailboxes/:id/drafts",
    {
      schema: {
        tags,
        operationId: "listDrafts",
        summary: "A mailbox's unsent drafts, newest first",
        params: MailboxParam,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: DraftList, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const rows = await listMailboxDrafts(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: req.query.cursor,
      });
      const wired = new Map((await wireAll(rows)).map((w) => [w.id, w]));
      return page(
        "drafts",
        rows,
        limit,
        (r) => wired.get(r.id)!,
        (r) => encodeCursor({ t: r.created_at.toISOString(), i: r.id }),
      );
    },
  );

  app.patch(
    "/v1/drafts/:id",
    {
      schema: {
        tags,
        operationId: "updateDraft",
        summary: "Edit a draft (rescanned)",
        params: IdParam,
        body: withExamples(PatchDraft, { subject: "Follow-up (revised)", send_at: "2026-12-01T09:00:00Z" }),
        response: {
          200: described(DraftRef, "The draft as changed, rescanned."),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "NOT_FOUND",
            "VALIDATION_ERROR",
            "TOO_MANY_RECIPIENTS",
            "DRAFT_ALREADY_SENT",
            "MAILBOX_FORBIDDEN",
            ...DRAFT_AUTHORING,
            ...ATTACHMENT_IDS_REFUSALS,
          ),
        },
      },
    },
    async (req) => wire(await editDraft(ctx, principalOf(req), req.params.id, draftInput(req.body))),
  );

  app.delete(
    "/v1/drafts/:id",
    {
      schema: {
        tags,
        operationId: "deleteDraft",
        summary: "Delete a draft (a scheduled one is unscheduled)",
        params: IdParam,
        response: { 200: DraftDeleted, ...errors("INSUFFICIENT_SCOPE", "NOT_FOUND", "DRAFT_ALREADY_SENT") },
      },
    },
    async (req) => ({
      ...(await wire(await deleteDraft(ctx, principalOf(req), req.params.id))),
      status: "deleted",
      deleted: true,
    }),
  );

  app.post(
    "/v1/drafts/:id/send",
    {
      schema: {
        tags,
        operationId: "sendDraft",
        summary: "Send a draft (authoritative rescan against the current policy)",
        description:
          "Returns the send result (`status: sent | pending_review | quarantined | blocked`). A rescan that would " +
          "quarantine or block answers 409 DRAFT_REJECTED_BY_RESCAN with `details.scan` and the draft stays a draft. " +
          "A second send answers 409 DRAFT_ALREADY_SENT. A draft with a future `send_at` is scheduled instead: " +
          '`{status: "scheduled", send_at}`. With `Prefer: respond-async` the draft is handed to the scheduler at ' +
          'once and the answer is `202 {status: "queued_for_dispatch"}`; a failure then arrives as the ' +
          "`message.dispatch_failed` event. `Prefer: outcome=strict` works as on `POST /v1/messages/send`.",
        params: IdParam,
        headers: Type.Object({
          prefer: Type.Optional(
            Type.String({ description: "`respond-async` (answer 202 at once), `outcome=strict`, or both." }),
          ),
        }),
        response: {
          200: described(SendResultRef, "The send's outcome."),
          202: DraftQueued,
          ...errors(
            ...MAILBOX_ACCESS,
            ...SEND_REFUSALS,
            ...DRAFT_AUTHORING,
            "DRAFT_ALREADY_SENT",
            "DRAFT_REJECTED_BY_RESCAN",
          ),
        },
      },
    },
    async (req, reply) => {
      if (prefers(req, "respond-async")) {
        const queued = await queueDraftSend(ctx, principalOf(req), req.params.id);
        return reply.status(202).send({ draft_id: queued.draftId, status: "queued_for_dispatch" });
      }
      const out = await sendDraft(ctx, principalOf(req), req.params.id);
      if (!out.scheduled) return sendOutcome(req, out.result);
      return reply
        .status(202)
        .send({ draft_id: out.draftId, status: "scheduled", send_at: out.sendAt.toISOString() });
    },
  );
}
