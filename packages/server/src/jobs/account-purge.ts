import type { Logger } from "../platform/logger.ts";
import type { Db } from "../store/db.ts";
import { purgeDeletedAccounts } from "../tenancy/account-deletion.ts";
import { startPeriodic } from "./periodic.ts";

/**
 * Purges the data of deleted accounts at start and then every `intervalMs` (a minute: when nothing is pending it
 * is one indexed lookup); safe in several processes at once (rows are taken with skip locked).
 */
export function startAccountPurge(db: Db, logger: Logger, intervalMs = 60_000): { stop(): Promise<void> } {
  return startPeriodic(
    "account purge",
    async () => {
      await purgeDeletedAccounts({ db, logger });
    },
    logger,
    intervalMs,
  );
}
