import { type TSchema, Type } from "typebox";
import { component, listOf, Nullable, Strings, Timestamp, Uuid } from "./common.ts";
import { SenderAuthenticationRef } from "./messages.ts";

// routes/policies.ts (MailPolicy, camelCase as in its specification), routes/audit.ts, routes/rules.ts.

const Outcome = Type.String({
  description:
    "accepted, rejected_at_policy, rejected_at_verification, rejected_at_content_guard, rate_limited or budget_exhausted.",
});

export const MailPolicyRef: TSchema = component(
  "MailPolicy",
  Type.Object(
    {
      defaultAction: Type.Union([Type.Literal("bounce"), Type.Literal("drop")]),
      senders: Type.Array(
        Type.Object({
          match: Type.Object({
            address: Type.Optional(Type.String()),
            domain: Type.Optional(Type.String()),
            requireDkim: Type.Optional(Type.Boolean()),
            requireSpf: Type.Optional(Type.Boolean()),
          }),
          capabilities: Strings,
          rateLimit: Type.Optional(
            Type.Object({ perHour: Type.Optional(Type.Integer()), perDay: Type.Optional(Type.Integer()) }),
          ),
          tokenBudget: Type.Optional(
            Type.Object({ perThread: Type.Optional(Type.Integer()), perDay: Type.Optional(Type.Integer()) }),
          ),
        }),
      ),
      contentGuards: Type.Optional(Type.Array(Type.Object({ reject: Type.String(), reason: Type.String() }))),
      auditLog: Type.Object({
        retentionDays: Type.Integer(),
        includeBodyHash: Type.Optional(Type.Boolean()),
      }),
    },
    { description: "A mailbox's MailPolicy document (docs/policy.md)." },
  ),
);

export const PolicyTestResult: TSchema = Type.Object(
  {
    outcome: Outcome,
    disposition: Type.Union([Type.Literal("deliver"), Type.Literal("bounce"), Type.Literal("drop")]),
    rule_index: Nullable(Type.Integer()),
    capabilities: Strings,
    reason: Nullable(Type.String()),
    trace: Type.Array(
      Type.Object({
        step: Type.String(),
        result: Type.Union([Type.Literal("pass"), Type.Literal("fail"), Type.Literal("skipped")]),
        detail: Type.String(),
      }),
    ),
    input: Type.Object({
      sender: Nullable(Type.String()),
      dkim_pass: Type.Boolean(),
      spf_pass: Type.Boolean(),
      thread_id: Nullable(Type.String()),
    }),
    sender_authentication: Type.Optional(SenderAuthenticationRef),
  },
  { description: "What the policy would do, step by step (nothing recorded)." },
);

export const TokenUsage: TSchema = Type.Object(
  { message_id: Uuid, sender: Nullable(Type.String()), thread_id: Nullable(Uuid), tokens: Type.Integer() },
  { description: "The tokens were recorded against the sender's budget." },
);

export const AuditEntryRef: TSchema = component(
  "AuditEntry",
  Type.Object(
    {
      seq: Type.Integer(),
      created_at: Timestamp,
      mailbox_id: Uuid,
      transport: Type.String({ description: "smtp, http, api or local." }),
      envelope_sender: Nullable(Type.String()),
      header_sender: Nullable(Type.String()),
      rule_index: Nullable(Type.Integer()),
      outcome: Outcome,
      action: Type.String({
        description:
          "delivered, rejected_in_session, dropped, bounced or bounce_suppressed (and blocked by the firewall).",
      }),
      reason: Nullable(Type.String()),
      message_id: Nullable(Uuid),
      body_sha256: Nullable(Type.String()),
      capabilities: Strings,
      prev_hash: Type.String(),
      hash: Type.String(),
    },
    { description: "One inbound policy evaluation, chained to the one before by its hash." },
  ),
);

export const AuditList: TSchema = listOf("entries", AuditEntryRef, "Audit entries, newest first.");

const ChainPoint = Type.Object({ seq: Type.Integer(), hash: Type.String() });

export const AuditVerification: TSchema = Type.Object(
  {
    mailbox_id: Uuid,
    ok: Type.Boolean(),
    checked: Type.Integer(),
    anchor: ChainPoint,
    head: ChainPoint,
    first_broken: Nullable(
      Type.Object({
        seq: Type.Integer(),
        problem: Type.Union(
          ["entry_modified", "link_broken", "entry_missing", "head_mismatch"].map((p) => Type.Literal(p)),
        ),
        detail: Type.String(),
      }),
    ),
  },
  { description: "Whether the mailbox's audit hash chain is intact, and where it first breaks." },
);

export const InboundRuleRef: TSchema = component(
  "InboundRule",
  Type.Object(
    {
      name: Type.Optional(Type.String()),
      when: Type.Optional(
        Type.Object({
          from: Type.Optional(Type.String()),
          subject_contains: Type.Optional(Type.String()),
          header: Type.Optional(Type.Object({ name: Type.String(), contains: Type.String() })),
          auth: Type.Optional(Type.String()),
        }),
      ),
      action: Type.Object({
        type: Type.Union([Type.Literal("label"), Type.Literal("forward"), Type.Literal("auto_reply")]),
        label: Type.Optional(Type.String()),
        to: Type.Optional(Type.String()),
        subject: Type.Optional(Type.String()),
        body: Type.Optional(Type.String()),
      }),
      stop: Type.Optional(Type.Boolean()),
    },
    { description: "One inbound rule: conditions (ANDed) and an action." },
  ),
);

export const RuleSetRef: TSchema = component(
  "RuleSet",
  Type.Object(
    {
      rules: Type.Array(InboundRuleRef),
      auto_reply_period_hours: Type.Integer({
        description: "At most one auto-reply per sender in this many hours.",
      }),
    },
    { description: "A mailbox's inbound rules, run in order on every message that becomes available." },
  ),
);

export const MAIL_POLICY_EXAMPLE = {
  defaultAction: "bounce",
  senders: [
    {
      match: { domain: "partner.example", requireDkim: true },
      capabilities: ["reply"],
      rateLimit: { perHour: 20 },
    },
    { match: {}, capabilities: [] },
  ],
  contentGuards: [{ reject: "(?i)wire transfer", reason: "payment requests go to finance" }],
  auditLog: { retentionDays: 90, includeBodyHash: true },
};

export const RULE_SET_EXAMPLE = {
  rules: [
    { name: "invoices", when: { from: "*@billing.example" }, action: { type: "label", label: "invoice" } },
    {
      name: "out-of-office",
      when: { subject_contains: "urgent" },
      action: { type: "auto_reply", body: "Thanks {{sender}}, we will answer within a day." },
      stop: true,
    },
  ],
  auto_reply_period_hours: 24,
};
