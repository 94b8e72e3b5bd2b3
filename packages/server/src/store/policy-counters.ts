import type { PolicyCounters } from "../domain/policy/evaluate.ts";
import type { Sql } from "./db.ts";

const key = (sender: string | null) => (sender ?? "").toLowerCase();

/**
 * Counters for a mailbox and sender. `live` counts the message (one atomic upsert for both windows, so several
 * processes agree); a dry run reads the current totals and adds the message it would be, moving nothing.
 */
export function policyCounters(
  sql: Sql,
  where: { mailboxId: string; sender: string | null; threadId: string | null },
  mode: "live" | "dry-run",
): PolicyCounters {
  return {
    async countInbound(ruleIndex) {
      const rows =
        mode === "live"
          ? await sql.query<{ window_kind: string; count: number }>(
              `insert into policy_rate_counters (mailbox_id, rule_index, sender, window_kind, window_start, count)
               values ($1, $2, $3, 'hour', date_trunc('hour', now(), 'UTC'), 1), ($1, $2, $3, 'day', date_trunc('day', now(), 'UTC'), 1)
               on conflict (mailbox_id, rule_index, sender, window_kind, window_start)
               do update set count = policy_rate_counters.count + 1
               returning window_kind, count`,
              [where.mailboxId, ruleIndex, key(where.sender)],
            )
          : await sql.query<{ window_kind: string; count: number }>(
              `select window_kind, count + 1 as count from policy_rate_counters
               where mailbox_id = $1 and rule_index = $2 and sender = $3
                 and ((window_kind = 'hour' and window_start = date_trunc('hour', now(), 'UTC'))
                   or (window_kind = 'day' and window_start = date_trunc('day', now(), 'UTC')))`,
              [where.mailboxId, ruleIndex, key(where.sender)],
            );
      const of = (kind: string) => rows.find((r) => r.window_kind === kind)?.count ?? 1;
      return { hour: of("hour"), day: of("day") };
    },
    async tokensUsed() {
      const [row] = await sql.query<{ thread: number; day: number }>(
        `select coalesce(sum(tokens) filter (where $3::uuid is not null and thread_id = $3::uuid), 0)::int as thread,
                coalesce(sum(tokens) filter (where created_at >= date_trunc('day', now(), 'UTC')), 0)::int as day
         from token_usage where mailbox_id = $1 and sender = $2`,
        [where.mailboxId, key(where.sender), where.threadId],
      );
      return { thread: row?.thread ?? 0, day: row?.day ?? 0 };
    },
  };
}

export async function recordTokenUsage(
  sql: Sql,
  u: {
    accountId: string;
    mailboxId: string;
    messageId: string;
    sender: string | null;
    threadId: string | null;
    tokens: number;
  },
): Promise<void> {
  await sql.query(
    `insert into token_usage (account_id, mailbox_id, message_id, sender, thread_id, tokens) values ($1, $2, $3, $4, $5, $6)`,
    [u.accountId, u.mailboxId, u.messageId, key(u.sender), u.threadId, u.tokens],
  );
}
