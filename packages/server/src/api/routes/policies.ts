import { Type } from "typebox";
import { dryRunMailPolicy, reportTokenUsage, setMailPolicy } from "../../inbound/mail-policy.ts";
import { previewSend } from "../../outbound/send-preview.ts";
import { mailboxPolicyOf } from "../../tenancy/agent-policy.ts";
import {
  errors,
  ITEM_ACCESS,
  MAIL_POLICY_EXAMPLE,
  MAILBOX_ACCESS,
  PolicyPreviewRef,
  PolicyReadModelRef,
  PolicyTestResult,
  RawMimeBody,
  TokenUsage,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { policyReadModel } from "../wire.ts";
import { MailboxParam } from "./mailboxes.ts";

const DryRunQuery = Type.Object(
  {
    mail_from: Type.Optional(Type.String({ maxLength: 320 })),
    client_ip: Type.Optional(Type.String({ maxLength: 64 })),
    helo: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

/**
 * A mailbox's policy: the seed's agent policy read model with Postbox's MailPolicy document (camelCase on the wire
 * exactly as in the spec), the send preview, and the MailPolicy dry run.
 */
export function policyRoutes(app: Api, ctx: RouteContext) {
  const tags = ["policy"];
  const previewDeps = { db: ctx.db, clock: ctx.clock, defaultDailyCap: ctx.config.accountDailySendCap };

  const readModelDoc =
    "One answer for both kinds of client (docs/decisions/0015-one-policy-read-for-both-clients.md): the seed's " +
    "policy read model — `policy_mode` (read_only | draft_only | supervised | trusted | custom), `enforcement`, " +
    "`last_applied_policy_mode`, `agent_authoring_mode`, `agent_send_policy`, `restricted_by`, `hitl_mode`, " +
    "`approval_expiry`, `send_window`, `allow_thread_replies`, `recipient_policy_mode`, `sender_policy_mode`, " +
    "`latest_revision_id`, `binding {scope, permitted_verbs}` (what binds the calling key) — and Postbox's " +
    "MailPolicy document in `policy` with its `updated_at` (both null when the mailbox has none: it accepts " +
    "everything). The agent policy is changed with PATCH /v1/mailboxes/:id; the MailPolicy with PUT.";

  app.get(
    "/v1/mailboxes/:id/policy",
    {
      schema: {
        tags,
        operationId: "getMailPolicy",
        summary: "The mailbox's policy: the agent policy read model and the MailPolicy document",
        description: `${readModelDoc} Agent keys may read their mailboxes' policy.`,
        params: MailboxParam,
        response: { 200: PolicyReadModelRef, ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { mailbox, mailPolicy } = await mailboxPolicyOf(ctx, p, req.params.id);
      return policyReadModel(mailbox, mailPolicy, p.role);
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
          '`errors`, e.g. "auditLog.retentionDays must be >= 1". Unknown capability strings are accepted with `warnings`. ' +
          "Answers what GET answers, with `warnings`.",
        params: MailboxParam,
        body: withExamples(
          Type.Unknown({
            description: "A MailPolicy document (components.schemas.MailPolicy), checked in full.",
          }),
          MAIL_POLICY_EXAMPLE,
        ),
        response: { 200: PolicyReadModelRef, ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR") },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { warnings } = await setMailPolicy(ctx, p, req.params.id, req.body);
      const { mailbox, mailPolicy } = await mailboxPolicyOf(ctx, p, req.params.id);
      return { ...policyReadModel(mailbox, mailPolicy, p.role), warnings };
    },
  );

  app.post(
    "/v1/mailboxes/:id/policy/preview",
    {
      schema: {
        tags,
        operationId: "previewMailboxSend",
        summary: "Dry run: what the send gates would do to an agent's send (admin)",
        description:
          "Runs the send path's own gates in its order — `authoring` (agent_authoring_mode, a paused mailbox), " +
          "`recipient_authority` (suppressions, then the allowlist), `send_window` (at `at_time`, default now), " +
          "`content_scan` (only with `run_content_scan: true`), `human_review` (hitl_mode), `send_budget` (the daily " +
          "cap and the mailbox's quotas) — and records nothing: no blocked attempt, no event, no counter. Each gate " +
          "answers pass | would_hold | would_block | not_run | skipped (after a gate that would block) with its " +
          "reason. `result` is passes_all_checks_run | would_hold | would_block, with the `email_effect` a send would " +
          "have and the daily `budget`.",
        params: MailboxParam,
        body: withExamples(
          Type.Object(
            {
              to: Type.String({ minLength: 1, maxLength: 320 }),
              subject: Type.Optional(Type.String({ maxLength: 998 })),
              body: Type.Optional(Type.String({ maxLength: 1_000_000 })),
              at_time: Type.Optional(Type.String({ maxLength: 64 })),
              run_content_scan: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          {
            to: "customer@example.com",
            subject: "Your invoice",
            body: "Hello, here it is.",
            run_content_scan: true,
          },
        ),
        response: {
          200: PolicyPreviewRef,
          ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "INVALID_DATE"),
        },
      },
    },
    async (req) => {
      const b = req.body;
      const r = await previewSend(previewDeps, principalOf(req), req.params.id, {
        to: b.to,
        subject: b.subject,
        body: b.body,
        atTime: b.at_time,
        runContentScan: b.run_content_scan,
      });
      return {
        mailbox_id: r.mailbox.id,
        result: r.result,
        result_summary: r.resultSummary,
        content_scan_run: r.contentScanRun,
        email_effect: r.emailEffect,
        trace: r.trace,
        budget: r.budget,
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
