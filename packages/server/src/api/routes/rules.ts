import { Type } from "typebox";
import { validation } from "../../domain/errors.ts";
import { validateRuleSet } from "../../domain/inbound-rules.ts";
import { requireRole } from "../../domain/principal.ts";
import { getRuleSet, putRuleSet } from "../../inbound/rules.ts";
import { mailboxFor } from "../../tenancy/access.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

/** A mailbox's inbound rules: admins write them, agents may read them. */
export function ruleRoutes(app: Api, ctx: RouteContext) {
  const tags = ["rules"];

  app.get(
    "/v1/mailboxes/:id/rules",
    { schema: { tags, summary: "A mailbox's inbound rules", params: MailboxParam } },
    async (req) => {
      const mb = await mailboxFor(ctx.db, principalOf(req), req.params.id);
      return (await getRuleSet(ctx.db, mb.id)) ?? { rules: [], auto_reply_period_hours: 24 };
    },
  );

  app.put(
    "/v1/mailboxes/:id/rules",
    {
      schema: {
        tags,
        summary: "Replace a mailbox's inbound rules (admin)",
        description:
          "`{rules: [{name?, when: {from?, subject_contains?, header?: {name, contains}, auth?}, action: {type: label, " +
          "label} | {type: forward, to} | {type: auto_reply, subject?, body}, stop?}], auto_reply_period_hours?}`. " +
          "Conditions are ANDed; `from` is a glob (`*@acme.com`). Rules run in order on every message that becomes " +
          "available; `stop` ends the run at a matching rule. Forwards and auto-replies go through the outbound gates " +
          "and never answer automated mail; an auto-reply goes at most once per sender per period (default 24 h). " +
          "Auto-reply templates may use `{{sender}}` and `{{subject}}`.",
        params: MailboxParam,
        body: Type.Unknown(),
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      const v = validateRuleSet(req.body);
      if (!v.ok) throw validation(v.errors[0]!, v.errors);
      await putRuleSet(ctx.db, mb.id, v.value);
      return v.value;
    },
  );
}
