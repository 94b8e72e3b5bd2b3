import { AppError } from "../../domain/errors.ts";
import { quotaVerdict } from "../../domain/recipient-controls.ts";
import { accountDailySendCap } from "../../store/accounts.ts";
import type { Sql } from "../../store/db.ts";
import { claimIdempotencyKey, findIdempotencyKey } from "../../store/idempotency.ts";
import { lockLiveMailbox, type MailboxRow } from "../../store/mailboxes.ts";
import { countSend } from "../../store/recipient-controls.ts";
import { mailboxPaused } from "./gates.ts";
import type { Idempotency, SendResult } from "./types.ts";

/** The stored result of an earlier request with this key; 409 (conflict) when the key was used for another request. */
export async function priorResult(
  sql: Sql,
  accountId: string,
  idem: Idempotency,
): Promise<SendResult | null> {
  const row = await findIdempotencyKey<SendResult>(sql, accountId, idem.key);
  if (!row) return null;
  if (row.request_hash !== idem.requestHash) {
    throw new AppError(
      "conflict",
      "IDEMPOTENCY_KEY_REUSED",
      "this Idempotency-Key was already used with a different request; use a new key for a new request",
    );
  }
  return row.response;
}

/**
 * Counts the send's recipients in every quota window (a message to ten people uses ten); a window it overflows
 * refuses it as rate_limited (the transaction rolls back).
 */
async function chargeQuota(
  sql: Sql,
  accountDailyCap: number | undefined,
  mailbox: MailboxRow,
  now: Date,
  recipients: number,
): Promise<{ remaining: number | null; dailyLimit: number | null }> {
  const cap = (await accountDailySendCap(sql, mailbox.account_id)) ?? accountDailyCap ?? null;
  const windows = [
    ...mailbox.send_quotas.map((w) => ({ scope: "mailbox" as const, key: mailbox.id, w })),
    ...(cap !== null
      ? [{ scope: "account" as const, key: mailbox.account_id, w: { window_seconds: 86400, limit: cap } }]
      : []),
  ];
  const verdict = quotaVerdict(await countSend(sql, windows, now, recipients), now, recipients);
  if (verdict.exceeded) {
    const e = verdict.exceeded;
    throw new AppError(
      "rate_limited",
      "RATE_LIMITED",
      `${e.scope === "account" ? "the account's daily send cap" : "this mailbox's send quota"} of ${e.limit} ` +
        `recipients per ${e.window_seconds} s ${e.remaining > 0 ? `has ${e.remaining} left, fewer than this send's ${recipients}` : "is used up"}; ` +
        `it resets at ${e.reset_at}`,
      {
        limit: e.limit,
        remaining: e.remaining,
        recipients,
        reset_at: e.reset_at,
        window_seconds: e.window_seconds,
        scope: e.scope,
      },
      e.retry_after_seconds,
    );
  }
  return { remaining: verdict.remaining, dailyLimit: cap };
}

/**
 * Claims the send inside its transaction, before anything is composed or stored: the Idempotency-Key (a request
 * already done returns its result), the live mailbox, and the quota. Refusals throw and roll the claim back.
 */
export async function claimSend(
  sql: Sql,
  deps: { accountDailyCap?: number },
  mailbox: MailboxRow,
  idem: Idempotency | null,
  now: Date,
  recipients: number,
): Promise<
  { prior: SendResult } | { prior: null; sendsRemaining: number | null; dailyLimit: number | null }
> {
  if (idem) {
    // The insert waits for a concurrent request with the same key to commit, then sees its row.
    if (!(await claimIdempotencyKey(sql, mailbox.account_id, idem.key, idem.requestHash))) {
      const prior = await priorResult(sql, mailbox.account_id, idem);
      if (prior) return { prior };
    }
  }
  // The lock orders this send against the mailbox's deletion and pausing: nothing is sent from either.
  const status = await lockLiveMailbox(sql, mailbox.id);
  if (!status)
    throw new AppError(
      "conflict",
      "MAILBOX_DELETED",
      `the mailbox ${mailbox.name} was deleted; nothing more is sent from it`,
    );
  if (status === "paused") throw mailboxPaused(mailbox);
  const quota = await chargeQuota(sql, deps.accountDailyCap, mailbox, now, recipients);
  return { prior: null, sendsRemaining: quota.remaining, dailyLimit: quota.dailyLimit };
}
