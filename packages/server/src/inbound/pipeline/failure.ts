import { sourcesOf } from "../../domain/message-state.ts";
import { appendEvents } from "../../store/events.ts";
import { deferReceived, failReceived, type PendingInbound } from "../../store/messages.ts";
import type { PipelineDeps } from "./types.ts";

/** A failed attempt is retried after 1 s, 2 s, 4 s … up to this. */
const MAX_RETRY_DELAY_SECONDS = 300;

/**
 * A message whose processing failed: tried again after a growing delay, or — when the failure cannot pass (the
 * database refused its data) or its attempts are spent — ended `failed`, announced to admins. Returns which.
 */
export async function settleFailure(
  deps: Pick<PipelineDeps, "db" | "logger" | "maxAttempts">,
  p: PendingInbound,
  err: Error,
): Promise<"retry" | "failed" | null> {
  const { db, logger } = deps;
  const permanent = isPermanentDataError(err);
  try {
    if (!permanent && p.process_attempts < deps.maxAttempts) {
      const delay = Math.min(2 ** (p.process_attempts - 1), MAX_RETRY_DELAY_SECONDS);
      logger.warn("inbound processing failed; will retry", {
        message_id: p.id,
        attempt: p.process_attempts,
        retry_in_s: delay,
        err: err.message,
      });
      await deferReceived(db, p.id, delay);
      return "retry";
    }
    logger.error("inbound message could not be processed; it is marked failed", {
      message_id: p.id,
      attempts: p.process_attempts,
      err: err.message,
    });
    return await db.tx(async (sql) => {
      if (!(await failReceived(sql, p.id, err.message, sourcesOf("inbound", "failed", "processor"))))
        return null;
      await appendEvents(sql, [
        {
          accountId: p.account_id,
          mailboxId: p.mailbox_id,
          type: "message.failed",
          data: { message_id: p.id, error: err.message.slice(0, 500), attempts: p.process_attempts },
          adminOnly: true,
        },
      ]);
      return "failed" as const;
    });
  } catch (e) {
    // The lease runs out and the message is claimed again: nothing is lost.
    logger.error("could not record an inbound failure", { message_id: p.id, err: String(e) });
    return null;
  }
}

export const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/**
 * Whether the database refused the data itself (SQLSTATE classes 22 data exception, 23 integrity constraint, 54
 * program limit): trying the same message again cannot succeed.
 */
function isPermanentDataError(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
}
