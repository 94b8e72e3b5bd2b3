import { createHash } from "node:crypto";
import { Type } from "typebox";
import { isEmailAddress } from "../../domain/address.ts";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { AppError, validation } from "../../domain/errors.ts";
import { requireRole } from "../../domain/principal.ts";
import { MAX_RECIPIENTS } from "../../domain/recipient-controls.ts";
import { waitForInbound } from "../../events/wait.ts";
import type { Idempotency } from "../../outbound/send.ts";
import { deliveriesFor } from "../../store/deliveries.ts";
import { LISTED_STATES, listMessages, type MessageRow, markRead, spooledRaw } from "../../store/messages.ts";
import { mailboxFor, messageFor } from "../../tenancy/access.ts";
import { PageQuery, page } from "../pagination.ts";
import { type Present, presenterFor, presenterForMailboxId } from "../present.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

const Address = Type.String({ maxLength: 320 });
export const Recipients = Type.Union([Address, Type.Array(Address, { maxItems: MAX_RECIPIENTS })]);
export const Subject = Type.String({ maxLength: 998, pattern: "^[^\\r\\n]*$" });
export const Text = Type.String({ maxLength: 5 * 1024 * 1024 });

const SendBody = Type.Object(
  {
    from_mailbox: Type.String({ minLength: 1, maxLength: 100 }),
    to: Recipients,
    cc: Type.Optional(Recipients),
    bcc: Type.Optional(Recipients),
    subject: Subject,
    body: Text,
    html: Type.Optional(Type.Union([Text, Type.Null()])),
  },
  { additionalProperties: false },
);

const ReplyBody = Type.Object(
  {
    body: Text,
    html: Type.Optional(Type.Union([Text, Type.Null()])),
    reply_all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    ...PageQuery,
    direction: Type.Optional(Type.Union([Type.Literal("inbound"), Type.Literal("outbound")])),
    since: Type.Optional(Type.String({ format: "date-time", maxLength: 40 })),
    unread: Type.Optional(Type.Boolean()),
    state: Type.Optional(Type.String({ maxLength: 40 })),
    thread_id: Type.Optional(Type.String({ format: "uuid" })),
    label: Type.Optional(
      Type.String({ maxLength: 64, description: "Only messages with this label (set by rules)." }),
    ),
  },
  { additionalProperties: false },
);

const WaitQuery = Type.Object(
  {
    timeout: Type.Optional(Type.Number({ minimum: 1, maximum: 60, default: 30 })),
    since: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

const ALL_STATES = [
  "received",
  ...LISTED_STATES,
  "quarantined",
  "pending_review",
  "blocked",
  "failed",
  "deleted",
];

export function addressList(field: string, value: string | string[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: string[] = [];
  const errors: string[] = [];
  list.forEach((a, i) => {
    const t = a.trim();
    if (!isEmailAddress(t))
      errors.push(`body.${field}${Array.isArray(value) ? `[${i}]` : ""} is not a valid email address`);
    else out.push(t.toLowerCase());
  });
  if (errors.length > 0) throw validation(errors[0]!, errors);
  return out;
}

function idempotencyOf(
  header: string | string[] | undefined,
  route: string,
  body: unknown,
): Idempotency | null {
  if (header === undefined) return null;
  const key = Array.isArray(header) ? header[0]! : header;
  if (key.length === 0 || key.length > 255) {
    throw validation("Idempotency-Key must be 1 to 255 characters", [
      "headers.idempotency-key must be 1 to 255 characters",
    ]);
  }
  const requestHash = createHash("sha256")
    .update(route)
    .update("\n")
    .update(JSON.stringify(body))
    .digest("hex");
  return { key, requestHash };
}

export function messageRoutes(app: Api, ctx: RouteContext) {
  const tags = ["messages"];

  /** Shows rows of one mailbox as the mailbox's PII mode says, with the deliveries of outbound ones. */
  async function withDeliveries(rows: MessageRow[], present: Present) {
    const outbound = rows.filter((r) => r.direction === "outbound").map((r) => r.id);
    const deliveries = await deliveriesFor(ctx.db, outbound);
    return (r: MessageRow) =>
      present(
        r,
        deliveries.filter((d) => d.message_id === r.id),
      );
  }

  app.get(
    "/v1/mailboxes/:id/messages",
    {
      schema: {
        tags,
        summary: "List a mailbox's messages, newest first",
        params: MailboxParam,
        querystring: ListQuery,
      },
    },
    async (req) => {
      const p = principalOf(req);
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      const q = req.query;
      const limit = q.limit ?? 50;
      if (q.state && !ALL_STATES.includes(q.state)) {
        throw validation(`state must be one of ${ALL_STATES.join(", ")}`, [
          `querystring.state must be one of ${ALL_STATES.join(", ")}`,
        ]);
      }
      const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
      const rows = await listMessages(ctx.db, mb.id, {
        limit: limit + 1,
        direction: q.direction,
        since: q.since ? new Date(q.since) : undefined,
        unread: q.unread,
        states: q.state ? [q.state] : LISTED_STATES,
        threadId: q.thread_id,
        label: q.label,
        before: before ? { createdAt: before.t, id: before.i } : undefined,
        agentView: p.role !== "admin",
      });
      const toWire = await withDeliveries(rows.slice(0, limit), await presenterFor(ctx.db, mb));
      return page(rows, limit, toWire, (r) => encodeCursor({ t: r.created_at.toISOString(), i: r.id }));
    },
  );

  app.get(
    "/v1/mailboxes/:id/messages/wait",
    {
      schema: {
        tags,
        summary: "Long-poll for the next inbound message",
        description:
          "Returns the next inbound message after `since`. Without `since`, returns the oldest unread inbound message, " +
          "or waits for the next arrival. At the timeout returns `{message: null, cursor}`; pass the cursor back. " +
          "A server shutting down answers pending waits the same way at once. Pending waits are capped per API key " +
          "and per account (`429 WAIT_LIMIT_REACHED`).",
        params: MailboxParam,
        querystring: WaitQuery,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      const since = req.query.since ? decodeCursor(req.query.since, { s: "seq" }).s : null;
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
      let result: Awaited<ReturnType<typeof waitForInbound>>;
      try {
        result = await waitForInbound(
          { db: ctx.db, wakeups: ctx.wakeups },
          { mailboxId: mb.id, since, timeoutMs: (req.query.timeout ?? 30) * 1000, signal: abort.signal },
        );
      } finally {
        release();
        unwatch();
        ctx.live.closing.removeEventListener("abort", stop);
      }
      // The key was revoked or lost this mailbox while waiting: check it again before showing anything.
      if (keyChanged)
        await mailboxFor(
          ctx.db,
          await ctx.auth.authenticate(req.headers.authorization, { fresh: true }),
          mb.id,
        );
      if (ctx.live.closing.aborted) void reply.header("connection", "close");
      const present = await presenterFor(ctx.db, mb);
      return {
        message: result.message ? present(result.message) : null,
        cursor: encodeCursor({ s: result.cursor }),
      };
    },
  );

  app.get(
    "/v1/messages/:id",
    { schema: { tags, summary: "Get a message", params: IdParam } },
    async (req) => {
      const msg = await messageFor(ctx.db, principalOf(req), req.params.id);
      return (await withDeliveries([msg], await presenterForMailboxId(ctx.db, msg.mailbox_id)))(msg);
    },
  );

  app.get(
    "/v1/messages/:id/raw",
    { schema: { tags, summary: "The exact stored bytes of a message (message/rfc822)", params: IdParam } },
    async (req, reply) => {
      const p = principalOf(req);
      const msg = await messageFor(ctx.db, p, req.params.id);
      if (p.role !== "admin" && msg.direction === "inbound") {
        const [mb] = await ctx.db.query<{ pii_mode: string }>(
          "select pii_mode from mailboxes where id = $1",
          [msg.mailbox_id],
        );
        // The raw bytes would undo the redaction the mailbox promises its agents.
        if (mb?.pii_mode === "redacted") {
          throw new AppError(
            403,
            "PII_REDACTED",
            "this mailbox shows its agents redacted messages only; the raw message needs an admin key",
          );
        }
      }
      const raw = (await spooledRaw(ctx.db, msg.id)) ?? (await ctx.blobs.get(msg.raw_sha256));
      return reply.type("message/rfc822").header("content-length", raw.length).send(raw);
    },
  );

  app.post(
    "/v1/messages/:id/read",
    { schema: { tags, summary: "Mark a message read", params: IdParam } },
    async (req) => {
      const msg = await messageFor(ctx.db, principalOf(req), req.params.id);
      const row = await markRead(ctx.db, msg.id);
      return (await withDeliveries([row], await presenterForMailboxId(ctx.db, row.mailbox_id)))(row);
    },
  );

  app.post(
    "/v1/messages/send",
    {
      schema: {
        tags,
        summary: "Send a new message",
        description:
          `At most ${MAX_RECIPIENTS} recipients (to, cc and bcc together), else \`400 TOO_MANY_RECIPIENTS\`. Quotas count ` +
          "recipients: a send to ten people uses ten; `sends_remaining` is what is left in the tightest window.",
        body: SendBody,
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const b = req.body;
      const mailbox = await mailboxFor(ctx.db, p, b.from_mailbox);
      const to = addressList("to", b.to);
      const cc = addressList("cc", b.cc);
      const bcc = addressList("bcc", b.bcc);
      if (to.length + cc.length + bcc.length === 0)
        throw validation("name at least one recipient in to, cc or bcc", [
          "body.to must name at least one recipient",
        ]);
      return ctx.send.send(
        {
          mailbox,
          to,
          cc,
          bcc,
          subject: b.subject,
          text: b.body,
          html: b.html ?? null,
          apiKeyId: p.apiKeyId,
        },
        idempotencyOf(req.headers["idempotency-key"], "send", b),
      );
    },
  );

  app.post(
    "/v1/messages/:id/reply",
    {
      schema: {
        tags,
        summary: "Reply to a message in its thread",
        description:
          "Goes to the message's Reply-To (or sender); `reply_all` adds its To and Cc. The same recipient cap as a " +
          `send applies: over ${MAX_RECIPIENTS} recipients answers \`400 TOO_MANY_RECIPIENTS\`.`,
        params: IdParam,
        body: ReplyBody,
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const parent = await messageFor(ctx.db, p, req.params.id);
      if (parent.state === "received") {
        throw new AppError(
          409,
          "MESSAGE_NOT_READY",
          "the message is still being processed; retry in a moment",
        );
      }
      const mailbox = await mailboxFor(ctx.db, p, parent.mailbox_id);
      const b = req.body;
      return ctx.send.reply(
        parent,
        mailbox,
        { text: b.body, html: b.html ?? null, replyAll: b.reply_all ?? false, apiKeyId: p.apiKeyId },
        idempotencyOf(req.headers["idempotency-key"], `reply:${parent.id}`, b),
      );
    },
  );
}
