import type { Sql } from "./db.ts";

export type RuleSendKind = "auto_reply" | "forward";

/**
 * Takes one of a mailbox's automatic sends of this kind for the last hour (a sliding window); false when the
 * hour's allowance is used up. Call it inside a transaction: the advisory lock serialises takers per mailbox and
 * kind until commit, and a rollback gives the send back.
 */
export async function takeRuleSend(
  sql: Sql,
  mailboxId: string,
  kind: RuleSendKind,
  perHour: number,
): Promise<boolean> {
  await sql.query("select pg_advisory_xact_lock(hashtext($1))", [`rule_send:${mailboxId}:${kind}`]);
  await sql.query(
    "delete from rule_send_log where mailbox_id = $1 and kind = $2 and sent_at <= now() - interval '1 hour'",
    [mailboxId, kind],
  );
  const [row] = await sql.query<{ n: number }>(
    "select count(*)::int as n from rule_send_log where mailbox_id = $1 and kind = $2",
    [mailboxId, kind],
  );
  if ((row?.n ?? 0) >= perHour) return false;
  await sql.query("insert into rule_send_log (mailbox_id, kind) values ($1, $2)", [mailboxId, kind]);
  return true;
}
