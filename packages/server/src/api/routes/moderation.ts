import { Type } from "typebox";
import { AppError, validation } from "../../domain/errors.ts";
import type { EventType } from "../../domain/event-catalog.ts";
import { requireRole } from "../../domain/principal.ts";
import { parseEntry } from "../../domain/recipient-controls.ts";
import { inboundEventIsAdminOnly } from "../../domain/visibility.ts";
import { addToBlocklist, listBlocklist, removeFromBlocklist } from "../../store/blocklist.ts";
import { Channel, notify } from "../../store/channels.ts";
import type { Sql } from "../../store/db.ts";
import { appendEvent } from "../../store/events.ts";
import { type MessageRow, moveInbound, queueRuleJobs } from "../../store/messages.ts";
import { messageFor } from "../../tenancy/access.ts";
import { presenterForMailboxId } from "../present.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

const IdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });
const NoteBody = Type.Optional(
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
);

const blocklistToWire = (r: { address: string; reason: string | null; created_at: Date }) => ({
  address: r.address,
  reason: r.reason,
  created_at: new Date(r.created_at).toISOString(),
});

/**
 * What a human does with held inbound mail: release it to the agent, block it, or report it (block and stop its
 * sender). Admin keys only: an agent cannot release mail that was kept from it.
 */
export function moderationRoutes(app: Api, ctx: RouteContext) {
  const tags = ["moderation"];

  async function move(
    req: { params: { id: string }; body?: { note?: string } },
    principal: ReturnType<typeof principalOf>,
    from: string[],
    to: "available" | "blocked",
    event: EventType,
    then?: (sql: Sql, msg: MessageRow) => Promise<Record<string, unknown>>,
  ) {
    requireRole(principal, "admin");
    const msg = await messageFor(ctx.db, principal, req.params.id);
    const moved = await ctx.db.tx(async (sql) => {
      const row = await moveInbound(sql, msg.id, from, to);
      if (!row) return null;
      const extra = then ? await then(sql, row) : {};
      // Released mail is new to the agent, so the mailbox's inbound rules run on it now.
      if (to === "available") await queueRuleJobs(sql, row.mailbox_id, [row.id]);
      await appendEvent(sql, {
        accountId: row.account_id,
        mailboxId: row.mailbox_id,
        type: event,
        data: { message_id: row.id, note: req.body?.note ?? null, ...extra },
        adminOnly: inboundEventIsAdminOnly(row.state),
      });
      if (to === "available") await notify(sql, Channel.inbound, row.mailbox_id);
      return row;
    });
    if (!moved) {
      throw new AppError(
        409,
        "MESSAGE_NOT_HELD",
        `the message is ${msg.state}; only ${from.join(" or ")} inbound messages can be ${event.split(".")[1]}`,
      );
    }
    return (await presenterForMailboxId(ctx.db, moved.mailbox_id))(moved);
  }

  app.post(
    "/v1/messages/:id/release",
    {
      schema: {
        tags,
        summary: "Release a quarantined or blocked inbound message to the agent (admin)",
        description: "The message becomes available as a new arrival (wait returns it). Body: `{note?}`.",
        params: IdParam,
        body: NoteBody,
      },
    },
    async (req) => move(req, principalOf(req), ["quarantined", "blocked"], "available", "message.released"),
  );

  app.post(
    "/v1/messages/:id/block",
    {
      schema: {
        tags,
        summary: "Block an inbound message: the agent never sees it (admin)",
        params: IdParam,
        body: NoteBody,
      },
    },
    async (req) => move(req, principalOf(req), ["quarantined", "available"], "blocked", "message.blocked"),
  );

  app.post(
    "/v1/messages/:id/report",
    {
      schema: {
        tags,
        summary:
          "Report an inbound message: block it and add its sender to the account's inbound blocklist (admin)",
        params: IdParam,
        body: NoteBody,
      },
    },
    async (req) => {
      const p = principalOf(req);
      return move(req, p, ["quarantined", "available"], "blocked", "message.reported", async (sql, row) => {
        const sender = row.sender ?? row.envelope.mail_from;
        if (!sender) return { blocked_sender: null };
        await addToBlocklist(sql, row.account_id, sender, req.body?.note ?? `reported message ${row.id}`);
        return { blocked_sender: sender.toLowerCase() };
      });
    },
  );

  // /v1/inbound-blocklist is the name; /v1/blocklist (issue 4) stays as an alias, kept out of the docs.
  for (const [base, alias] of [
    ["/v1/inbound-blocklist", false],
    ["/v1/blocklist", true],
  ] as const) {
    app.get(
      `${base}`,
      {
        schema: {
          tags,
          summary: "The account's inbound blocklist (admin)",
          ...(alias ? { hide: true } : {}),
        },
      },
      async (req) => {
        const p = principalOf(req);
        requireRole(p, "admin");
        return { data: (await listBlocklist(ctx.db, p.accountId)).map(blocklistToWire) };
      },
    );

    app.post(
      `${base}`,
      {
        schema: {
          tags,
          summary:
            "Block a sender address or a bare domain (@corp.com) for every mailbox of the account (admin)",
          description:
            "Mail from it (From or envelope sender) is stopped by the inbound firewall before the MailPolicy runs, " +
            "stored as `blocked`, recorded in the mailbox's audit log, and never reaches an agent.",
          ...(alias ? { hide: true } : {}),
          body: Type.Object(
            {
              address: Type.String({ maxLength: 320 }),
              reason: Type.Optional(Type.String({ maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        requireRole(p, "admin");
        const v = parseEntry(req.body.address);
        if (!v.ok)
          throw validation(`address ${JSON.stringify(req.body.address)} is ${v.reason}`, [
            `body.address: ${v.reason}`,
          ]);
        const address = v.entry;
        const row = await addToBlocklist(ctx.db, p.accountId, address, req.body.reason ?? null);
        return reply.status(201).send(blocklistToWire(row));
      },
    );

    app.delete(
      `${base}/:address`,
      {
        schema: {
          tags,
          summary: "Unblock a sender address or domain (admin)",
          ...(alias ? { hide: true } : {}),
          params: Type.Object({ address: Type.String({ maxLength: 320 }) }),
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        requireRole(p, "admin");
        if (!(await removeFromBlocklist(ctx.db, p.accountId, req.params.address)))
          throw new AppError(404, "NOT_FOUND", `${req.params.address} is not on the blocklist`);
        return reply.status(204).send();
      },
    );
  }
}
