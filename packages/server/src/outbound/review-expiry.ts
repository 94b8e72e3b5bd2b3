import { type Clock, systemClock } from "../domain/clock.ts";
import { sourcesOf } from "../domain/message-state.ts";
import { startPeriodic } from "../jobs/periodic.ts";
import type { Logger } from "../platform/logger.ts";
import type { Db } from "../store/db.ts";
import { appendEvents } from "../store/events.ts";
import { expireHeldSends } from "../store/messages.ts";

/**
 * Held sends nobody decided within their mailbox's `approval_expiry_hours` are blocked (never delivered), with a
 * `message.review_expired` event. Safe to run in several processes at once: each row changes state once.
 */
export async function expireHolds(db: Db, now: Date = systemClock.now()): Promise<number> {
  return db.tx(async (sql) => {
    const expired = await expireHeldSends(sql, now, sourcesOf("outbound", "blocked", "expiry"), "blocked");
    await appendEvents(
      sql,
      expired.map((r) => ({
        accountId: r.account_id,
        mailboxId: r.mailbox_id,
        type: "message.review_expired",
        data: { message_id: r.id },
      })),
    );
    return expired.length;
  });
}

export function startHoldExpiry(
  db: Db,
  logger: Logger,
  intervalMs = 60_000,
  clock: Clock = systemClock,
): { stop(): Promise<void> } {
  return startPeriodic(
    "hold expiry",
    async () => {
      const n = await expireHolds(db, clock.now());
      if (n > 0) logger.info("held sends expired without a decision", { count: n });
    },
    logger,
    intervalMs,
  );
}
