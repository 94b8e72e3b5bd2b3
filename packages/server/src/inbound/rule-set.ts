import { notFound, validation } from "../domain/errors.ts";
import { type InboundRule, type RuleSet, validateRuleSet } from "../domain/inbound-rules.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { Db } from "../store/db.ts";
import { lockLiveMailbox } from "../store/mailboxes.ts";
import { mailboxFor } from "../tenancy/access.ts";
import { getRuleSet, putRuleSet } from "./rules.ts";

// A mailbox's inbound rules: admins write them, agents may read them.

/** The mailbox's rules; a mailbox without any has none and the default auto-reply period. */
export async function ruleSetOf(deps: { db: Db }, p: Principal, mailboxRef: string): Promise<RuleSet> {
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  return (await getRuleSet(deps.db, mb.id)) ?? { rules: [], auto_reply_period_hours: 24 };
}

/** Replaces the mailbox's rules with a checked set; returns it as stored. */
export async function replaceRuleSet(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  body: unknown,
): Promise<RuleSet> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const v = validateRuleSet(body);
  if (!v.ok) throw validation(v.errors[0]!, v.errors);
  await putRuleSet(deps.db, mb.id, v.value);
  return v.value;
}

/**
 * Creates or replaces one rule by its name (the bridge's rule/put): a rule of that name is replaced where it
 * stands, a new one goes last. The whole set is checked as PUT checks it, under the mailbox's row lock so two
 * writers of one mailbox's rules cannot lose each other's rule.
 */
export async function putRule(
  deps: { db: Db },
  p: Principal,
  mailboxRef: string,
  rule: unknown,
): Promise<{ rules: RuleSet; replaced: boolean; index: number }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, mailboxRef);
  const name = (rule as InboundRule | null)?.name;
  if (typeof rule !== "object" || rule === null || typeof name !== "string" || name.length === 0)
    throw validation("rule.name is required: rules are created and replaced by name", [
      "body.rule.name must be a non-empty string",
    ]);
  return deps.db.tx(async (sql) => {
    if (!(await lockLiveMailbox(sql, mb.id))) throw notFound("mailbox", mailboxRef);
    const set = (await getRuleSet(sql, mb.id)) ?? { rules: [], auto_reply_period_hours: 24 };
    const at = set.rules.findIndex((r) => r.name === name);
    const rules =
      at === -1
        ? [...set.rules, rule as InboundRule]
        : set.rules.map((r, i) => (i === at ? (rule as InboundRule) : r));
    const v = validateRuleSet({ rules, auto_reply_period_hours: set.auto_reply_period_hours });
    if (!v.ok) throw validation(v.errors[0]!, v.errors);
    await putRuleSet(sql, mb.id, v.value);
    return { rules: v.value, replaced: at !== -1, index: at === -1 ? rules.length - 1 : at };
  });
}
