import { validation } from "../domain/errors.ts";
import { type RuleSet, validateRuleSet } from "../domain/inbound-rules.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { Db } from "../store/db.ts";
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
