import { type Actor, sourcesOf } from "../../domain/message-state.ts";
import type { Sql } from "../../store/db.ts";
import { type SettledState, settledState } from "../../store/deliveries.ts";
import { moveMessage } from "../../store/messages.ts";

/**
 * Moves a message to the state its deliveries come to, through the state machine: `by` says who changed the
 * deliveries (the worker, a late bounce, a mailbox deletion). Returns the new state, or null when the machine
 * does not let `by` move the message there from where it is (it is left as it was).
 */
export async function settleMessage(sql: Sql, messageId: string, by: Actor): Promise<SettledState | null> {
  const to = await settledState(sql, messageId);
  const row = await moveMessage(sql, {
    id: messageId,
    direction: "outbound",
    from: sourcesOf("outbound", to, by),
    to,
  });
  return row ? to : null;
}
