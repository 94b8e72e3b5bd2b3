/**
 * The life of a message: which state may follow which, and who may cause it. Every state change is checked here,
 * so a message can never skip review, leave `failed`, or come back from `blocked` by a path nobody designed.
 */
export type InboundState = "received" | "available" | "quarantined" | "blocked" | "failed" | "deleted";
export type OutboundState =
  | "pending_review"
  | "quarantined"
  | "blocked"
  | "dispatching"
  | "delivered"
  | "bounced"
  | "cancelled"
  | "deleted";
export type MessageState = InboundState | OutboundState;

/** Who causes a change: the pipeline, a person with an admin key, or one of the workers. */
export type Actor =
  | "processor" // inbound processing decides what arrived
  | "admin" // release, block, report, delete
  | "sender" // the send use-case decides a new outbound message
  | "reviewer" // approve, deny or revise a held send
  | "expiry" // a hold that nobody decided in time
  | "delivery" // the delivery worker settles what the recipients' servers answered
  | "deletion"; // the sending mailbox was deleted

interface Rule {
  to: MessageState;
  by: Actor[];
}

const INBOUND: Record<InboundState, Rule[]> = {
  received: [
    { to: "available", by: ["processor"] },
    { to: "quarantined", by: ["processor"] },
    { to: "blocked", by: ["processor"] },
    { to: "failed", by: ["processor"] },
  ],
  quarantined: [
    { to: "available", by: ["admin"] },
    { to: "blocked", by: ["admin"] },
    { to: "deleted", by: ["admin"] },
  ],
  blocked: [
    { to: "available", by: ["admin"] },
    // Released from the inbound firewall: processed again (the firewall excepted), as on arrival.
    { to: "received", by: ["admin"] },
    { to: "deleted", by: ["admin"] },
  ],
  available: [
    { to: "blocked", by: ["admin"] },
    { to: "deleted", by: ["admin"] },
  ],
  // Kept for admins with its raw bytes; nothing but deletion moves it on (a fix is a new delivery of the same bytes).
  failed: [{ to: "deleted", by: ["admin"] }],
  // Hidden from every list and from agents; the row and its bytes stay for admins.
  deleted: [],
};

const OUTBOUND: Record<OutboundState, Rule[]> = {
  pending_review: [
    // A reviewer's revision: new content, rescanned, still waiting for their approval.
    { to: "pending_review", by: ["reviewer"] },
    { to: "dispatching", by: ["reviewer"] },
    { to: "blocked", by: ["reviewer", "expiry"] },
  ],
  quarantined: [
    { to: "dispatching", by: ["reviewer"] },
    { to: "blocked", by: ["reviewer", "expiry"] },
  ],
  // Only settled mail can be deleted: a held send is decided by its reviewer, one in flight by its deliveries.
  blocked: [{ to: "deleted", by: ["admin"] }],
  dispatching: [
    // Deletion leaves the deliveries a worker holds right now to finish their attempt: still dispatching.
    { to: "dispatching", by: ["delivery", "deletion"] },
    { to: "delivered", by: ["delivery"] },
    // Deletion cancels the rest of a message one of whose recipients bounced already: it settles as bounced.
    { to: "bounced", by: ["delivery", "deletion"] },
    { to: "cancelled", by: ["delivery", "deletion"] },
  ],
  // A server that accepted the message can still bounce it later (a DSN after delivery).
  delivered: [
    { to: "bounced", by: ["delivery"] },
    { to: "deleted", by: ["admin"] },
  ],
  // A late report can bounce another recipient of a message that bounced already (it settles again).
  bounced: [
    { to: "bounced", by: ["delivery"] },
    { to: "deleted", by: ["admin"] },
  ],
  // A late report can bounce a recipient that was delivered before the mailbox's other deliveries were cancelled.
  cancelled: [
    { to: "bounced", by: ["delivery"] },
    { to: "deleted", by: ["admin"] },
  ],
  // A late bounce report for a deleted message changes nothing: the deletion stands.
  deleted: [],
};

/** The states a new outbound message may start in: decided by the send use-case alone. */
export const OUTBOUND_START = ["dispatching", "pending_review", "quarantined", "blocked"] as const;
export type OutboundStart = (typeof OUTBOUND_START)[number];

export type Transition = { ok: true } | { ok: false; reason: string };

export function transition(
  direction: "inbound" | "outbound",
  from: MessageState,
  to: MessageState,
  by: Actor,
): Transition {
  const table: Record<string, Rule[]> = direction === "inbound" ? INBOUND : OUTBOUND;
  const rules = table[from];
  if (!rules) return { ok: false, reason: `${from} is not a state of ${direction} mail` };
  const rule = rules.find((r) => r.to === to);
  if (!rule) return { ok: false, reason: `${direction} mail cannot go from ${from} to ${to}` };
  if (!rule.by.includes(by))
    return { ok: false, reason: `${by} cannot move ${direction} mail from ${from} to ${to}` };
  return { ok: true };
}

declare const fromTable: unique symbol;
/** From-states that came out of the table: the store's state updates take only these, so none are hard-coded. */
export type Sources<S extends MessageState = MessageState> = S[] & { readonly [fromTable]: true };

/** The states from which `by` may move a message to `to`: what a conditional update may match on. */
export function sourcesOf(direction: "inbound", to: InboundState, by: Actor): Sources<InboundState>;
export function sourcesOf(direction: "outbound", to: OutboundState, by: Actor): Sources<OutboundState>;
export function sourcesOf(direction: "inbound" | "outbound", to: MessageState, by: Actor): Sources;
export function sourcesOf(direction: "inbound" | "outbound", to: MessageState, by: Actor): Sources {
  const table: Record<string, Rule[]> = direction === "inbound" ? INBOUND : OUTBOUND;
  return Object.entries(table)
    .filter(([, rules]) => rules.some((r) => r.to === to && r.by.includes(by)))
    .map(([from]) => from as MessageState) as Sources;
}
