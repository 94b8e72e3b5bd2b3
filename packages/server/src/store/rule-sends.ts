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

/**
 * Claims the right to auto-reply to a sender: true unless the mailbox already replied to it within the period.
 * Call it inside a transaction so a refused send later in it gives the claim back.
 */
export async function claimAutoReply(
  sql: Sql,
  mailboxId: string,
  sender: string,
  periodHours: number,
): Promise<boolean> {
  const [claimed] = await sql.query<{ sender: string }>(
    `insert into auto_reply_log (mailbox_id, sender, last_sent_at) values ($1, $2, now())
     on conflict (mailbox_id, sender) do update set last_sent_at = now()
       where auto_reply_log.last_sent_at < now() - make_interval(hours => $3)
     returning sender`,
    [mailboxId, sender, periodHours],
  );
  return Boolean(claimed);
}
