import { Type } from "typebox";
import {
  dryRunMailPolicy,
  mailPolicyOf,
  reportTokenUsage,
  setMailPolicy,
} from "../../inbound/mail-policy.ts";
import {
  errors,
  ITEM_ACCESS,
  MAIL_POLICY_EXAMPLE,
  MAILBOX_ACCESS,
  PolicyResponse,
  PolicyTestResult,
  RawMimeBody,
  TokenUsage,
  withExamples,
} from "../schemas/index.ts";
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
        operationId: "getMailPolicy",
        summary: "The mailbox's MailPolicy (null: the mailbox accepts everything)",
        params: MailboxParam,
        response: { 200: PolicyResponse, ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => {
      const { mailboxId, row } = await mailPolicyOf(ctx, principalOf(req), req.params.id);
      return {
        mailbox_id: mailboxId,
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
        operationId: "setMailPolicy",
        summary: "Set the mailbox's MailPolicy",
        description:
          "Body: a MailPolicy document (defaultAction, senders, contentGuards, auditLog). Invalid documents get 400 with " +
          '`errors`, e.g. "auditLog.retentionDays must be >= 1". Unknown capability strings are accepted with `warnings`.',
        params: MailboxParam,
        body: withExamples(
          Type.Unknown({
            description: "A MailPolicy document (components.schemas.MailPolicy), checked in full.",
          }),
          MAIL_POLICY_EXAMPLE,
        ),
        response: { 200: PolicyResponse, ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR") },
      },
    },
    async (req) => {
      const { row, warnings } = await setMailPolicy(ctx, principalOf(req), req.params.id, req.body);
      return {
        mailbox_id: row.mailbox_id,
        policy: row.document,
        updated_at: row.updated_at.toISOString(),
        warnings,
      };
    },
  );

  app.post(
    "/v1/mailboxes/:id/policy/test",
    {
      schema: {
        tags,
        operationId: "testMailPolicy",
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
        body: {
          content: {
            "application/json": {
              schema: withExamples(
                Type.Unknown({
                  description:
                    "`{from, body, dkim?, spf?, thread_id?}`: dkim and spf say whether they passed.",
                }),
                {
                  from: "alice@partner.example",
                  body: "Hello, can you send the report?",
                  dkim: true,
                  spf: true,
                },
              ),
            },
            "message/rfc822": { schema: RawMimeBody },
          },
        },
        response: { 200: PolicyTestResult, ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR") },
      },
    },
    async (req) => {
      const run = await dryRunMailPolicy(ctx, principalOf(req), req.params.id, req.body, req.query);
      const d = run.decision;
      return {
        outcome: d.outcome,
        disposition: d.disposition,
        rule_index: d.ruleIndex,
        capabilities: d.capabilities,
        reason: d.reason,
        trace: d.trace,
        input: {
          sender: run.input.sender,
          dkim_pass: run.input.dkimPass,
          spf_pass: run.input.spfPass,
          thread_id: run.input.threadId,
        },
        ...(run.senderAuthentication ? { sender_authentication: run.senderAuthentication } : {}),
      };
    },
  );

  app.post(
    "/v1/messages/:id/token-usage",
    {
      schema: {
        tags,
        operationId: "reportTokenUsage",
        summary: "Report LLM tokens spent on a message (feeds the sender's token budget)",
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        body: withExamples(
          Type.Object(
            { tokens: Type.Integer({ minimum: 1, maximum: 100_000_000 }) },
            { additionalProperties: false },
          ),
          { tokens: 1500 },
        ),
        response: { 201: TokenUsage, ...errors(...ITEM_ACCESS, "NOT_INBOUND") },
      },
    },
    async (req, reply) => {
      const r = await reportTokenUsage(ctx, principalOf(req), req.params.id, req.body.tokens);
      return reply
        .status(201)
        .send({ message_id: r.messageId, sender: r.sender, thread_id: r.threadId, tokens: req.body.tokens });
    },
  );
}
