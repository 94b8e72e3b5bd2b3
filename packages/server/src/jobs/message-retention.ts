import { enforceRetention, type RetentionDeps } from "../governance/retention.ts";
import type { Logger } from "../platform/logger.ts";
import { startPeriodic } from "./periodic.ts";

/**
 * Runs message retention and the blob sweep at start and then every `intervalMs` (six hours by default: the sweep
 * walks the whole blob store); safe in several processes at once.
 */
export function startMessageRetention(
  deps: RetentionDeps,
  logger: Logger,
  intervalMs = 6 * 3_600_000,
): { stop(): Promise<void> } {
  return startPeriodic(
    "message retention",
    async () => {
      const r = await enforceRetention(deps);
      if (r.messages_deleted > 0 || r.blobs_swept > 0)
        logger.info("retention deleted expired mail", { ...r });
    },
    logger,
    intervalMs,
  );
}
