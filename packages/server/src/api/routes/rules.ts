import { Type } from "typebox";
import { replaceRuleSet, ruleSetOf } from "../../inbound/rule-set.ts";
import {
  described,
  errors,
  MAILBOX_ACCESS,
  RULE_SET_EXAMPLE,
  RuleSetRef,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

/** A mailbox's inbound rules: admins write them, agents may read them. */
export function ruleRoutes(app: Api, ctx: RouteContext) {
  const tags = ["rules"];

  app.get(
    "/v1/mailboxes/:id/rules",
    {
      schema: {
        tags,
        operationId: "getRules",
        summary: "A mailbox's inbound rules",
        params: MailboxParam,
        response: { 200: described(RuleSetRef, "The mailbox's rules."), ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => ruleSetOf(ctx, principalOf(req), req.params.id),
  );

  app.put(
    "/v1/mailboxes/:id/rules",
    {
      schema: {
        tags,
        operationId: "replaceRules",
        summary: "Replace a mailbox's inbound rules (admin)",
        description:
          "`{rules: [{name?, when: {from?, subject_contains?, header?: {name, contains}, auth?}, action: {type: label, " +
          "label} | {type: forward, to} | {type: auto_reply, subject?, body}, stop?}], auto_reply_period_hours?}`. " +
          "Conditions are ANDed; `from` is a glob (`*@acme.com`). Rules run in order on every message that becomes " +
          "available; `stop` ends the run at a matching rule. Forwards and auto-replies go through the outbound gates " +
          "and never answer automated mail; an auto-reply goes at most once per sender per period (default 24 h). " +
          "Auto-reply templates may use `{{sender}}` and `{{subject}}`.",
        params: MailboxParam,
        body: withExamples(
          Type.Unknown({ description: "A rule set (components.schemas.RuleSet), checked in full." }),
          RULE_SET_EXAMPLE,
        ),
        response: {
          200: described(RuleSetRef, "The rules as stored."),
          ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR"),
        },
      },
    },
    async (req) => replaceRuleSet(ctx, principalOf(req), req.params.id, req.body),
  );
}
