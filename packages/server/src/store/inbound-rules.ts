import type { InboundRule, RuleSet } from "../domain/inbound-rules.ts";
import { safeJson } from "../domain/safe-text.ts";
import type { Sql } from "./db.ts";

export async function getRuleSet(sql: Sql, mailboxId: string): Promise<RuleSet | null> {
  const [row] = await sql.query<{ rules: InboundRule[]; auto_reply_period_hours: number }>(
    "select rules, auto_reply_period_hours from mailbox_rules where mailbox_id = $1",
    [mailboxId],
  );
  return row ? { rules: row.rules, auto_reply_period_hours: row.auto_reply_period_hours } : null;
}

export async function putRuleSet(sql: Sql, mailboxId: string, set: RuleSet): Promise<void> {
  await sql.query(
    `insert into mailbox_rules (mailbox_id, rules, auto_reply_period_hours) values ($1, $2::jsonb, $3)
     on conflict (mailbox_id) do update set rules = excluded.rules,
       auto_reply_period_hours = excluded.auto_reply_period_hours, updated_at = now()`,
    [mailboxId, safeJson(set.rules), set.auto_reply_period_hours],
  );
}

export interface RuleJob {
  message_id: string;
  mailbox_id: string;
  attempts: number;
}

/** Leases up to `batch` due rule jobs for `leaseSeconds`, counting the attempt. */
export async function leaseRuleJobs(sql: Sql, leaseSeconds: number, batch: number): Promise<RuleJob[]> {
  return sql.query<RuleJob>(
    `update rule_jobs set locked_until = now() + make_interval(secs => $1), attempts = attempts + 1
     where message_id in (select message_id from rule_jobs
       where locked_until is null or locked_until < now() order by created_at limit $2 for update skip locked)
     returning message_id, mailbox_id, attempts`,
    [leaseSeconds, batch],
  );
}

export async function deleteRuleJob(sql: Sql, messageId: string): Promise<void> {
  await sql.query("delete from rule_jobs where message_id = $1", [messageId]);
}

/** Seconds until the next rule job is due (negative when overdue), or null when there are none. */
export async function secondsUntilNextRuleJob(sql: Sql): Promise<number | null> {
  const [row] = await sql.query<{ s: number | null }>(
    "select extract(epoch from min(coalesce(locked_until, created_at)) - now())::float8 as s from rule_jobs",
  );
  return row?.s ?? null;
}

/** Records what the rules did to a message. */
export async function setRulesApplied(sql: Sql, messageId: string, outcomes: unknown[]): Promise<void> {
  await sql.query("update messages set rules_applied = $2::jsonb where id = $1", [
    messageId,
    safeJson(outcomes),
  ]);
}
