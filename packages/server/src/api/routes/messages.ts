import { Type } from "typebox";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { MAX_RECIPIENTS } from "../../domain/recipient-controls.ts";
import { parseDateTime } from "../../domain/safe-text.ts";
import { MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS } from "../../domain/search-query.ts";
import { INSTANCE_ID_PATTERN } from "../../domain/subaddress.ts";
import { waitInMailbox } from "../../events/wait.ts";
import { replayOfKey, replyToMessage, sendFromMailbox } from "../../outbound/send-request.ts";
import {
  deleteMessage,
  getMessageWithDeliveries,
  listMailboxMessages,
  type MessagesWithDeliveries,
  markMessageRead,
  rawMessage,
  STATE_FILTER_NAMES,
  starMessage,
} from "../../tenancy/mailbox-messages.ts";
import { piiViewOf } from "../../tenancy/pii-settings.ts";
import { presenterIn, summaryPresenterOf } from "../message-view.ts";
import { list, PageQuery, page } from "../pagination.ts";
import {
  DeletedMessage,
  described,
  errors,
  IdempotencyKeyHeader,
  ITEM_ACCESS,
  listOf,
  MAILBOX_ACCESS,
  MessageMarkedRead,
  MessageRef,
  MessageStarred,
  MessageSummaryRef,
  PreferStrictHeader,
  RawMessage,
  SEND_REFUSALS,
  SendResultRef,
  THREAD_SEND,
  WaitResult,
  withExamples,
} from "../schemas/index.ts";
import { sendOutcome } from "../send-outcome.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

const Address = Type.String({ maxLength: 320 });
export const Recipients = Type.Union([Address, Type.Array(Address, { maxItems: MAX_RECIPIENTS })]);
export const Subject = Type.String({ maxLength: 998, pattern: "^[^\\r\\n]*$" });
export const Text = Type.String({ maxLength: 5 * 1024 * 1024 });

/** Upload handles (POST /v1/attachments) a message carries; at most 10 (TOO_MANY_ATTACHMENTS past that). */
export const AttachmentIds = Type.Array(Type.String({ maxLength: 100 }), {
  maxItems: 50,
  description:
    "Upload handles (POST /v1/attachments) of this mailbox, scanned, consumed by the send. At most 10 files and " +
    "15 MB together.",
});

/** A thread's id (or the id of a message in it, as the seed's clients also name a thread). */
export const ThreadKey = Type.String({ minLength: 1, maxLength: 100 });

/** The seed's sub-address fields of sends, replies and drafts (domain/subaddress.ts). */
export const SubaddressFields = {
  subaddress_instance_id: Type.Optional(
    Type.String({
      pattern: INSTANCE_ID_PATTERN,
      description:
        "An instance to name in the plus-address (`name+<instance>.<tag>@domain`, the tag an HMAC under the " +
        "account's key): a reply to it arrives with this `subaddress_instance_id`.",
    }),
  ),
  subaddress_mode: Type.Optional(
    Type.Union([Type.Literal("reply_to"), Type.Literal("from"), Type.Literal("none")], {
      description:
        "Where the plus-address goes for this send, overriding the mailbox's default_subaddress_mode.",
    }),
  ),
};

const SendBody = Type.Object(
  {
    from_mailbox: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: "The sending mailbox (id or name); with thread_id, optional (the thread's must match).",
      }),
    ),
    to: Type.Optional(Recipients),
    cc: Type.Optional(Recipients),
    bcc: Type.Optional(Recipients),
    subject: Type.Optional(Subject),
    body: Text,
    html: Type.Optional(Type.Union([Text, Type.Null()])),
    thread_id: Type.Optional(ThreadKey),
    ...SubaddressFields,
    attachment_ids: Type.Optional(AttachmentIds),
  },
  { additionalProperties: false },
);

const ReplyBody = Type.Object(
  {
    body: Text,
    html: Type.Optional(Type.Union([Text, Type.Null()])),
    reply_all: Type.Optional(Type.Boolean()),
    ...SubaddressFields,
    attachment_ids: Type.Optional(AttachmentIds),
  },
  { additionalProperties: false },
);

export const View = Type.Union([Type.Literal("summary"), Type.Literal("verbose")], {
  description:
    "summary: the light MessageSummary with a body_preview; verbose: full messages with their bodies.",
});

const ListQuery = Type.Object(
  {
    ...PageQuery,
    view: Type.Optional(View),
    direction: Type.Optional(Type.Union([Type.Literal("inbound"), Type.Literal("outbound")])),
    since: Type.Optional(
      Type.String({
        format: "date-time",
        maxLength: 40,
        description: "Only messages created at or after this.",
      }),
    ),
    unread: Type.Optional(
      Type.Boolean({ description: "true: only unread inbound messages; false: only messages read already." }),
    ),
    status: Type.Optional(
      Type.String({
        maxLength: 40,
        description:
          `Only messages in this state: ${STATE_FILTER_NAMES.join(", ")}. The seed's names work: \`scanning\` is ` +
          "mail still being processed, `firewall_blocked` blocked mail the inbound firewall stopped (`blocked` " +
          "includes it). Agent keys never see inbound mail held back from them, whatever the filter.",
      }),
    ),
    state: Type.Optional(Type.String({ maxLength: 40, description: "The same filter as `status`." })),
    search: Type.Optional(
      Type.String({
        maxLength: MAX_SEARCH_LENGTH,
        description:
          "Full-text search over the subject, the sender and the text body: words (all must match), " +
          '"quoted phrases", `-word` to exclude, `OR` between words, and the operators `from:` (text of the ' +
          "sender's address or name), `subject:`, `after:` and `before:` (a date or date-time; after is inclusive), " +
          '`is:starred`, `has:attachment`; values with spaces in quotes (`subject:"quarterly report"`). Any ' +
          "other `word:value` answers `400 SEARCH_OPERATOR_UNSUPPORTED` naming it (quote it to search the text); " +
          "URLs and `mailto:` are text. Free text under 3 characters answers `400 SEARCH_TERM_TOO_SHORT`; more " +
          `than ${MAX_SEARCH_TERMS} terms \`400 SEARCH_TOO_MANY_TERMS\`. Words match whole (no stemming), in ` +
          "any letter case; results stay newest first. In a mailbox that redacts PII a message is found only by " +
          "text it shows (redacted subject and body).",
      }),
    ),
    thread_id: Type.Optional(Type.String({ format: "uuid" })),
    label: Type.Optional(
      Type.String({ maxLength: 64, description: "Only messages with this label (set by rules)." }),
    ),
    starred: Type.Optional(
      Type.Boolean({ description: "Only starred (true) or unstarred (false) messages." }),
    ),
    has_attachment: Type.Optional(
      Type.Boolean({ description: "Only messages with (true) or without attachments." }),
    ),
    sender: Type.Optional(
      Type.String({
        maxLength: 320,
        description:
          "Only mail from this address (any case), from a domain given as `@example.com`, or — a value without " +
          "`@` — from senders whose address or display name contains it (`alice`).",
      }),
    ),
    until: Type.Optional(
      Type.String({
        format: "date-time",
        maxLength: 40,
        description: "Only messages created at or before this.",
      }),
    ),
    before: Type.Optional(
      Type.String({
        format: "date-time",
        maxLength: 40,
        description: "Only messages created strictly before this.",
      }),
    ),
  },
  { additionalProperties: false },
);

const WaitQuery = Type.Object(
  {
    timeout: Type.Optional(Type.Number({ minimum: 1, maximum: 60, default: 30 })),
    since: Type.Optional(Type.String({ maxLength: 500 })),
    from: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 320,
        pattern: "^[^@\\s]*@[^@\\s]+$",
        description:
          "Only mail whose From address is this one (any case), or — given as `@example.com` — any sender at " +
          "exactly that domain (not its subdomains).",
      }),
    ),
    subject_contains: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          "Only mail whose subject contains this, in any letter case. In a mailbox that redacts PII, the redacted " +
          "subject (what the caller is shown).",
      }),
    ),
    thread_id: Type.Optional(Type.String({ format: "uuid", description: "Only mail in this thread." })),
  },
  { additionalProperties: false },
);

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

const StarBody = Type.Object({ starred: Type.Boolean() }, { additionalProperties: false });

export function messageRoutes(app: Api, ctx: RouteContext) {
  const tags = ["messages"];

  /** Shows messages as their mailbox's PII mode says, each with its deliveries; full unless summaries are asked for. */
  const shown = (r: MessagesWithDeliveries, shape: "summary" | "verbose" = "verbose") => {
    const present = presenterIn(r.view, shape);
    return (m: MessagesWithDeliveries["rows"][number]) =>
      present(
        m,
        r.deliveries.filter((d) => d.message_id === m.id),
      );
  };

  app.get(
    "/v1/mailboxes/:id/messages",
    {
      schema: {
        tags,
        operationId: "listMessages",
        summary: "List a mailbox's messages, newest first",
        description:
          "Items are MessageSummary objects (a `body_preview` instead of the body) unless `view=verbose` asks for full " +
          "messages. Without `status`, the list shows mail that is settled and not held: available inbound mail and " +
          "sent mail. Filters add up (all must hold). A query parameter the route does not know answers " +
          "`400 VALIDATION_ERROR` naming it, as on every route that takes query parameters: a misspelt filter never " +
          "silently lists everything.",
        params: MailboxParam,
        querystring: ListQuery,
        response: {
          200: listOf(
            "messages",
            { anyOf: [MessageSummaryRef, MessageRef] },
            "MessageSummary items, or full messages with `view=verbose`.",
          ),
          ...errors(
            ...MAILBOX_ACCESS,
            "VALIDATION_ERROR",
            "INVALID_CURSOR",
            "SEARCH_OPERATOR_UNSUPPORTED",
            "SEARCH_TOO_MANY_TERMS",
            "SEARCH_TERM_TOO_SHORT",
          ),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const r = await listMailboxMessages(ctx, principalOf(req), req.params.id, {
        limit,
        cursor: q.cursor,
        direction: q.direction,
        since: q.since,
        unread: q.unread,
        state: q.state,
        status: q.status,
        search: q.search,
        threadId: q.thread_id,
        label: q.label,
        starred: q.starred,
        hasAttachment: q.has_attachment,
        sender: q.sender,
        until: q.until,
        beforeTime: q.before,
      });
      const cursorOf = (m: { created_at: Date; id: string }) =>
        encodeCursor({ t: m.created_at.toISOString(), i: m.id });
      // A search that examined its share of candidates without filling the page goes on from the last one.
      if (r.resumeAfter)
        return list("messages", r.rows.map(shown(r, q.view ?? "summary")), {
          has_more: true,
          next_cursor: cursorOf(r.resumeAfter),
        });
      return page("messages", r.rows, limit, shown(r, q.view ?? "summary"), cursorOf);
    },
  );

  app.get(
    "/v1/mailboxes/:id/messages/wait",
    {
      schema: {
        tags,
        operationId: "waitForMessage",
        summary: "Long-poll for the next inbound message",
        description:
          "Returns the next inbound message (a MessageSummary; fetch the body with GET /v1/messages/:id) after " +
          "`since` (a cursor from an earlier answer, or an ISO 8601 moment). Without `since`, returns the oldest unread inbound message, " +
          "or waits for the next arrival. At the timeout returns `{message: null, cursor}`; pass the cursor back. " +
          "A server shutting down answers pending waits the same way at once. Pending waits are capped per API key " +
          "and per account (`429 WAIT_LIMIT_REACHED`).\n\n" +
          "`from`, `subject_contains` and `thread_id` wait for the first message that matches all of them. The " +
          "messages a filtered wait passes over stay unread and listed, but its cursor is past them: pass it back " +
          "only to the same filtered wait, and keep a separate cursor for reading everything (docs/verification.md). " +
          "To wait for a mail you are about to cause, pass `since` as the moment before you cause it.",
        params: MailboxParam,
        querystring: WaitQuery,
        response: { 200: WaitResult, ...errors(...MAILBOX_ACCESS, "INVALID_CURSOR", "WAIT_LIMIT_REACHED") },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      // The seed's clients pass an ISO 8601 moment; Postbox's cursors are opaque.
      const since = req.query.since
        ? (parseDateTime(req.query.since) ?? decodeCursor(req.query.since, { s: "seq" }).s)
        : null;
      const release = ctx.live.take("wait", p);
      const abort = new AbortController();
      const stop = () => abort.abort();
      let keyChanged = false;
      const unwatch = ctx.auth.watch(p.apiKeyId, () => {
        keyChanged = true;
        stop();
      });
      // At shutdown a pending wait answers at once with what it has (usually nothing): the client asks again.
      ctx.live.closing.addEventListener("abort", stop);
      if (ctx.live.closing.aborted) stop();
      reply.raw.on("close", stop);
      ctx.live.track(reply.raw);
      try {
        const r = await waitInMailbox(ctx, p, req.params.id, {
          since,
          timeoutMs: (req.query.timeout ?? 30) * 1000,
          signal: abort.signal,
          keyChanged: () => keyChanged,
          current: () => ctx.authenticateRequest(req, { fresh: true }),
          filter: {
            from: req.query.from,
            subjectContains: req.query.subject_contains,
            threadId: req.query.thread_id,
          },
        });
        if (ctx.live.closing.aborted) void reply.header("connection", "close");
        const present = summaryPresenterOf(await piiViewOf(ctx.db, r.mailbox), { verification: true });
        return { message: r.message ? present(r.message) : null, cursor: encodeCursor({ s: r.cursor }) };
      } finally {
        release();
        unwatch();
        ctx.live.closing.removeEventListener("abort", stop);
      }
    },
  );

  app.get(
    "/v1/messages/idempotency",
    {
      schema: {
        tags,
        operationId: "getSendByIdempotencyKey",
        summary: "What a send with this Idempotency-Key answered (the key in the Idempotency-Key header)",
        description:
          "200 with the stored send result; `404 IDEMPOTENCY_KEY_NOT_FOUND` when no send was made with the key (send " +
          "it); agent keys see only sends from their mailboxes. Lets a client that lost an answer learn it " +
          "without sending again.",
        headers: Type.Object({ "idempotency-key": IdempotencyKeyHeader, prefer: PreferStrictHeader }),
        response: {
          200: described(SendResultRef, "The stored send result."),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "IDEMPOTENCY_KEY_NOT_FOUND",
            "NOT_FOUND",
            "IDEMPOTENT_REQUEST_IN_FLIGHT",
            "EMAIL_EFFECT_HELD",
            "EMAIL_EFFECT_BLOCKED",
          ),
        },
      },
    },
    async (req) => sendOutcome(req, await replayOfKey(ctx, principalOf(req), req.headers["idempotency-key"])),
  );

  app.get(
    "/v1/messages/:id",
    {
      schema: {
        tags,
        operationId: "getMessage",
        summary: "Get a message",
        description:
          "The full message; `view=summary` gives its MessageSummary instead. Reading does not mark it read.",
        params: IdParam,
        querystring: Type.Object({ view: Type.Optional(View) }, { additionalProperties: false }),
        response: {
          200: {
            anyOf: [MessageRef, MessageSummaryRef],
            description: "The message (its MessageSummary with `view=summary`).",
          },
          ...errors(...ITEM_ACCESS),
        },
      },
    },
    async (req) => {
      const r = await getMessageWithDeliveries(ctx, principalOf(req), req.params.id);
      return shown(r, req.query.view ?? "verbose")(r.rows[0]!);
    },
  );

  app.patch(
    "/v1/messages/:id/star",
    {
      schema: {
        tags,
        operationId: "starMessage",
        summary: "Star or unstar a message",
        description: "Answers `{message_id, starred}`. Setting the star it already has changes nothing.",
        params: IdParam,
        body: withExamples(StarBody, { starred: true }),
        response: { 200: MessageStarred, ...errors(...ITEM_ACCESS) },
      },
    },
    async (req) => {
      const row = await starMessage(ctx, principalOf(req), req.params.id, req.body.starred);
      return { message_id: row.id, starred: row.starred };
    },
  );

  app.delete(
    "/v1/messages/:id",
    {
      schema: {
        tags,
        operationId: "deleteMessage",
        summary: "Delete a message (admin)",
        description:
          "Moves settled mail to state `deleted`: it leaves every list, its thread and the agents' view; the row and " +
          "its raw bytes are kept for admins. Agent keys get `403 MESSAGE_DELETE_NOT_PERMITTED`; held sends, mail in " +
          "flight and mail still being processed `409 MESSAGE_NOT_DELETABLE`; mail under a legal hold (of its mailbox " +
          "or account) `409 LEGAL_HOLD_ACTIVE`. Deleting again answers the same.",
        params: IdParam,
        response: {
          200: DeletedMessage,
          ...errors(
            ...ITEM_ACCESS,
            "MESSAGE_DELETE_NOT_PERMITTED",
            "MESSAGE_NOT_DELETABLE",
            "LEGAL_HOLD_ACTIVE",
          ),
        },
      },
    },
    async (req) => {
      const row = await deleteMessage(ctx, principalOf(req), req.params.id);
      return {
        id: row.id,
        message_id: row.id,
        status: "deleted",
        deleted: true,
        state: row.state,
        // The raw bytes are kept (for admins); nothing purges deleted mail yet.
        raw_mime_deleted: false,
        deleted_at: row.deleted_at ? row.deleted_at.toISOString() : null,
      };
    },
  );

  app.get(
    "/v1/messages/:id/raw",
    {
      schema: {
        tags,
        operationId: "getRawMessage",
        summary: "The exact stored bytes of a message (message/rfc822)",
        params: IdParam,
        response: {
          200: RawMessage,
          ...errors(...ITEM_ACCESS, "PII_REDACTED", "ATTACHMENT_ACCESS_DISABLED"),
        },
      },
    },
    async (req, reply) => {
      const raw = await rawMessage(ctx, principalOf(req), req.params.id);
      return reply.type("message/rfc822").header("content-length", raw.length).send(raw);
    },
  );

  app.post(
    "/v1/messages/:id/read",
    {
      schema: {
        tags,
        operationId: "markMessageRead",
        summary: "Mark a message read",
        params: IdParam,
        response: { 200: MessageMarkedRead, ...errors(...ITEM_ACCESS) },
      },
    },
    async (req) => {
      const r = await markMessageRead(ctx, principalOf(req), req.params.id);
      // The seed's clients read {message_id, read_at}; the message comes with them.
      const m = shown(r)(r.rows[0]!) as { id: string; read_at: string | null };
      return { ...m, message_id: m.id };
    },
  );

  app.post(
    "/v1/messages/send",
    {
      schema: {
        tags,
        operationId: "sendMessage",
        summary: "Send a new message, or continue a thread",
        description:
          "A new message names `from_mailbox`, its recipients and a `subject`. With `thread_id` it continues that " +
          "thread instead: from the thread's mailbox, `Re:` the thread's subject unless `subject` is given, " +
          "In-Reply-To and References continuing the latest inbound message, and to the thread's inbound " +
          "counterpart unless `to` names one — every recipient named must have written into the thread. " +
          "Refusals: `404 THREAD_NOT_FOUND` (also when `from_mailbox` names another mailbox), " +
          "`400 AMBIGUOUS_THREAD_RECIPIENT` (several people wrote in: name one in `to`; `details.participants`), " +
          "`422 RECIPIENT_NOT_IN_THREAD`, `422 THREAD_HAS_NO_INBOUND_RECIPIENT` (nobody wrote in). " +
          `At most ${MAX_RECIPIENTS} recipients (to, cc and bcc together), else \`400 TOO_MANY_RECIPIENTS\`. Quotas count ` +
          "recipients: a send to ten people uses ten; `sends_remaining` is what is left in the tightest window, " +
          "`daily_limit` the account's daily cap. Every decided send answers 200 with `email_effect` " +
          "(`effect_status`: sent, held_for_review or blocked); with `Prefer: outcome=strict` a blocked send answers " +
          "`422 EMAIL_EFFECT_BLOCKED` and a held one `409 EMAIL_EFFECT_HELD`, the result in `details`.",
        headers: Type.Object({ "idempotency-key": IdempotencyKeyHeader, prefer: PreferStrictHeader }),
        body: withExamples(SendBody, {
          from_mailbox: "support",
          to: "customer@example.com",
          subject: "Your order has shipped",
          body: "Hello! Your order 1042 left our warehouse today.",
        }),
        response: {
          200: described(SendResultRef, "The send's outcome."),
          ...errors(...MAILBOX_ACCESS, ...SEND_REFUSALS, ...THREAD_SEND),
        },
      },
    },
    async (req) =>
      sendOutcome(
        req,
        await sendFromMailbox(ctx, principalOf(req), req.body, req.headers["idempotency-key"]),
      ),
  );

  app.post(
    "/v1/messages/:id/reply",
    {
      schema: {
        tags,
        operationId: "replyToMessage",
        summary: "Reply to a message in its thread",
        description:
          "Goes to the message's Reply-To (or sender); `reply_all` adds its To and Cc. The same recipient cap as a " +
          `send applies: over ${MAX_RECIPIENTS} recipients answers \`400 TOO_MANY_RECIPIENTS\`.`,
        params: IdParam,
        headers: Type.Object({ "idempotency-key": IdempotencyKeyHeader, prefer: PreferStrictHeader }),
        body: withExamples(ReplyBody, { body: "Thanks, that fixed it.", reply_all: false }),
        response: {
          200: described(SendResultRef, "The reply's outcome."),
          ...errors(
            ...MAILBOX_ACCESS,
            ...SEND_REFUSALS,
            "MESSAGE_NOT_READY",
            "NO_REPLY_RECIPIENT",
            "REPLY_LOOP_DETECTED",
          ),
        },
      },
    },
    async (req) =>
      sendOutcome(
        req,
        await replyToMessage(ctx, principalOf(req), req.params.id, req.body, req.headers["idempotency-key"]),
      ),
  );
}
