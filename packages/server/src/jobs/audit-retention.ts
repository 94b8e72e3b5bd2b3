import { type Clock, systemClock } from "../domain/clock.ts";
import type { Logger } from "../platform/logger.ts";
import { expireAudit } from "../store/audit.ts";
import type { Db } from "../store/db.ts";
import { allPolicies } from "../store/policies.ts";
import { startPeriodic } from "./periodic.ts";

const DAY_MS = 86_400_000;

/**
 * Deletes audit entries older than each mailbox policy's `auditLog.retentionDays` and re-anchors the chains.
 * A mailbox without a policy keeps its entries (nothing says how long; deleting would be the surprise).
 */
export async function enforceAuditRetention(
  db: Db,
  now: Date = systemClock.now(),
): Promise<{ deleted: number }> {
  const policies = await allPolicies(db);
  let deleted = 0;
  for (const p of policies) {
    const cutoff = new Date(now.getTime() - p.document.auditLog.retentionDays * DAY_MS);
    deleted += await db.tx((sql) => expireAudit(sql, p.mailbox_id, cutoff));
  }
  return { deleted };
}

/** Runs retention at start and then every `intervalMs` (an hour by default); safe in several processes at once. */
export function startAuditRetention(
  db: Db,
  logger: Logger,
  intervalMs = 3_600_000,
  clock: Clock = systemClock,
): { stop(): Promise<void> } {
  return startPeriodic(
    "audit retention",
    async () => {
      const { deleted } = await enforceAuditRetention(db, clock.now());
      if (deleted > 0) logger.info("audit retention removed expired entries", { deleted });
    },
    logger,
    intervalMs,
  );
}
