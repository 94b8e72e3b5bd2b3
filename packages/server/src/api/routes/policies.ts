import { isIP } from "node:net";
import { Type } from "typebox";
import { AppError, validation } from "../../domain/errors.ts";
import { evaluatePolicy } from "../../domain/policy/evaluate.ts";
import { validatePolicy } from "../../domain/policy/validate.ts";
import { requireRole } from "../../domain/principal.ts";
import type { SenderAuthentication } from "../../domain/sender-auth.ts";
import { parseMessage } from "../../inbound/parse.ts";
import { getPolicy, putPolicy } from "../../store/policies.ts";
import { policyCounters, recordTokenUsage } from "../../store/policy-counters.ts";
import { threadByReferences } from "../../store/threads.ts";
import { mailboxFor, messageFor } from "../../tenancy/access.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

const DryRunQuery = Type.Object(
  {
    mail_from: Type.Optional(Type.String({ maxLength: 320 })),
    client_ip: Type.Optional(Type.String({ maxLength: 64 })),
    helo: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

/** The per-mailbox MailPolicy, camelCase on the wire exactly as in the spec. */
export function policyRoutes(app: Api, ctx: RouteContext) {
  const tags = ["policy"];

  app.get(
    "/v1/mailboxes/:id/policy",
    {
      schema: {
        tags,
        summary: "The mailbox's MailPolicy (null: the mailbox accepts everything)",
        params: MailboxParam,
      },
    },
    async (req) => {
      const mb = await mailboxFor(ctx.db, principalOf(req), req.params.id);
      const row = await getPolicy(ctx.db, mb.id);
      return {
        mailbox_id: mb.id,
        policy: row?.document ?? null,
        updated_at: row?.updated_at.toISOString() ?? null,
      };
    },
  );

  app.put(
    "/v1/mailboxes/:id/policy",
    {
      schema: {
        tags,
        summary: "Set the mailbox's MailPolicy",
        description:
          "Body: a MailPolicy document (defaultAction, senders, contentGuards, auditLog). Invalid documents get 400 with " +
          '`errors`, e.g. "auditLog.retentionDays must be >= 1". Unknown capability strings are accepted with `warnings`.',
        params: MailboxParam,
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      const { errors, warnings, policy } = validatePolicy(req.body);
      if (!policy) {
        throw new AppError(400, "VALIDATION_ERROR", `the policy is not valid: ${errors[0]}`, { errors });
      }
      const row = await putPolicy(ctx.db, mb.account_id, mb.id, policy);
      return { mailbox_id: mb.id, policy: row.document, updated_at: row.updated_at.toISOString(), warnings };
    },
  );

  app.post(
    "/v1/mailboxes/:id/policy/test",
    {
      schema: {
        tags,
        summary: "Dry run: what the policy would do with a message, step by step",
        description:
          "Body: raw MIME (Content-Type: message/rfc822) with the SMTP envelope in the query (mail_from, client_ip, " +
          "helo), which runs the real SPF/DKIM/DMARC checks and finds the thread by In-Reply-To/References; or JSON " +
          "`{from, body, dkim?, spf?, thread_id?}` where dkim and spf are booleans (passed for the From domain or not). " +
          "Nothing is recorded and no counter moves; rate limits show the count this message would reach. Returns " +
          "`{outcome, disposition, rule_index, capabilities, reason, trace: [{step, result, detail}], input, " +
          "sender_authentication}` (the last only for raw MIME).",
        params: MailboxParam,
        querystring: DryRunQuery,
      },
    },
    async (req) => {
      const p = principalOf(req);
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      let input: {
        sender: string | null;
        body: string;
        dkimPass: boolean;
        spfPass: boolean;
        threadId: string | null;
      };
      let senderAuthentication: SenderAuthentication | undefined;
      if (Buffer.isBuffer(req.body)) {
        const q = req.query;
        if (q.client_ip && isIP(q.client_ip) === 0) {
          throw validation("client_ip is not an IP address", [
            "querystring.client_ip must be an IPv4 or IPv6 address",
          ]);
        }
        const m = await parseMessage(req.body);
        senderAuthentication = await ctx.authenticateSender(req.body, {
          transport: "http",
          client_ip: q.client_ip ?? null,
          helo: q.helo ?? null,
          mail_from: q.mail_from ?? null,
          rcpt_to: [],
        });
        input = {
          sender: m.from?.address ?? null,
          body: m.text ?? "",
          dkimPass: senderAuthentication.dkim.aligned,
          spfPass: senderAuthentication.spf.aligned,
          threadId: await threadByReferences(ctx.db, mb.id, m.inReplyTo, m.references),
        };
      } else {
        if (Object.keys(req.query).length > 0) {
          throw validation("the envelope query parameters apply to raw MIME only", [
            "querystring: mail_from, client_ip and helo apply to raw MIME (Content-Type: message/rfc822) only",
          ]);
        }
        const b = req.body as Record<string, unknown> | null;
        const errors: string[] = [];
        if (typeof b !== "object" || b === null || Array.isArray(b))
          throw validation("send a JSON object or raw MIME");
        if (b.from !== undefined && b.from !== null && typeof b.from !== "string")
          errors.push("body.from must be a string");
        if (b.body !== undefined && typeof b.body !== "string") errors.push("body.body must be a string");
        for (const k of ["dkim", "spf"])
          if (b[k] !== undefined && typeof b[k] !== "boolean") errors.push(`body.${k} must be a boolean`);
        if (b.thread_id !== undefined && b.thread_id !== null && typeof b.thread_id !== "string")
          errors.push("body.thread_id must be a string");
        for (const k of Object.keys(b))
          if (!["from", "body", "dkim", "spf", "thread_id"].includes(k))
            errors.push(`body.${k} is not a known field`);
        if (errors.length > 0) throw validation(errors[0]!, errors);
        input = {
          sender: typeof b.from === "string" ? b.from.toLowerCase() : null,
          body: (b.body as string | undefined) ?? "",
          dkimPass: b.dkim === true,
          spfPass: b.spf === true,
          threadId: (b.thread_id as string | undefined) ?? null,
        };
      }
      const row = await getPolicy(ctx.db, mb.id);
      const echo = {
        sender: input.sender,
        dkim_pass: input.dkimPass,
        spf_pass: input.spfPass,
        thread_id: input.threadId,
      };
      if (!row) {
        return {
          outcome: "accepted",
          disposition: "deliver",
          rule_index: null,
          capabilities: [],
          reason: null,
          trace: [
            {
              step: "sender_match",
              result: "skipped",
              detail: "the mailbox has no policy: everything is accepted",
            },
          ],
          input: echo,
          ...(senderAuthentication ? { sender_authentication: senderAuthentication } : {}),
        };
      }
      const counters = policyCounters(
        ctx.db,
        { mailboxId: mb.id, sender: input.sender, threadId: input.threadId },
        "dry-run",
      );
      const d = await evaluatePolicy(row.document, input, counters);
      return {
        outcome: d.outcome,
        disposition: d.disposition,
        rule_index: d.ruleIndex,
        capabilities: d.capabilities,
        reason: d.reason,
        trace: d.trace,
        input: echo,
        ...(senderAuthentication ? { sender_authentication: senderAuthentication } : {}),
      };
    },
  );

  app.post(
    "/v1/messages/:id/token-usage",
    {
      schema: {
        tags,
        summary: "Report LLM tokens spent on a message (feeds the sender's token budget)",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        body: Type.Object(
          { tokens: Type.Integer({ minimum: 1, maximum: 100_000_000 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      requireRole(p, "admin", "agent");
      const msg = await messageFor(ctx.db, p, req.params.id);
      if (msg.direction !== "inbound") {
        throw new AppError(
          409,
          "NOT_INBOUND",
          "token usage is attributed to the sender of an inbound message",
        );
      }
      await recordTokenUsage(ctx.db, {
        accountId: msg.account_id,
        mailboxId: msg.mailbox_id,
        messageId: msg.id,
        sender: msg.sender,
        threadId: msg.thread_id,
        tokens: req.body.tokens,
      });
      return reply
        .status(201)
        .send({ message_id: msg.id, sender: msg.sender, thread_id: msg.thread_id, tokens: req.body.tokens });
    },
  );
}
