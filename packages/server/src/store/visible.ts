import { AGENT_INBOUND_STATES, AGENT_OUTBOUND_STATES } from "../domain/visibility.ts";

// SQL conditions for the messages a caller sees, shared by the message and thread repositories. Each appends its
// parameters to `params` and names the columns of `messages` unqualified.

/** States a plain list shows: everything the pipeline has finished with. */
export const LISTED_STATES = ["available", "dispatching", "delivered", "bounced", "cancelled"];

/** The condition for rows an agent may see (domain/visibility.ts). */
export function agentVisible(params: unknown[]): string {
  params.push(AGENT_INBOUND_STATES, AGENT_OUTBOUND_STATES);
  const n = params.length;
  return `((direction = 'inbound' and state = any($${n - 1}::text[])) or (direction = 'outbound' and state = any($${n}::text[])))`;
}

/** The condition for the messages of a thread the caller sees (what thread reads list). */
export function threadVisible(params: unknown[], agentView: boolean): string {
  params.push(LISTED_STATES);
  const listed = `state = any($${params.length}::text[])`;
  return agentView ? `${listed} and ${agentVisible(params)}` : listed;
}
