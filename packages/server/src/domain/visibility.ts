/**
 * Who may see which mail: the one place that says it. Admin keys see everything of their account. Agent keys see
 * the inbound mail that was released to them (state `available`) and their mailboxes' own outbound mail; mail that
 * was kept from them — quarantined, blocked, failed, still being processed, deleted — does not exist for them:
 * every route answers as if it were missing.
 */
export type Role = "admin" | "agent" | "ingest";

/** Inbound states an agent may see. */
export const AGENT_INBOUND_STATES = ["available"] as const;

/** Outbound states an agent may see: everything its mailboxes sent, held or not, except what was deleted. */
export const AGENT_OUTBOUND_STATES = [
  "dispatching",
  "delivered",
  "bounced",
  "cancelled",
  "pending_review",
  "quarantined",
  "blocked",
] as const;

export interface Visible {
  direction: string;
  state: string;
}

export function maySee(role: Role, m: Visible): boolean {
  if (role === "admin") return true;
  if (role !== "agent") return false;
  const states: readonly string[] = m.direction === "inbound" ? AGENT_INBOUND_STATES : AGENT_OUTBOUND_STATES;
  return states.includes(m.state);
}

/** An event about an inbound message in this state is for admins only (the agent must not learn of it). */
export function inboundEventIsAdminOnly(state: string): boolean {
  return !maySee("agent", { direction: "inbound", state });
}
