/**
 * The closed catalogue of events: every change Postbox records, what it means and what its data looks like.
 * Webhook subscriptions are validated against it; the examples are what `POST /v1/webhooks/:id/test` sends.
 */
export interface EventSpec {
  description: string;
  /** Events about a mailbox's mail carry the mailbox; account-level events have none. */
  scope: "mailbox" | "account";
  example: Record<string, unknown>;
}

const MSG = "0b7d7c1e-6a7e-4c55-9a43-2f1b8e3c9d10";
const THREAD = "5a3c2b1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0";

export const EVENT_CATALOG = {
  "message.received": {
    description: "An inbound message passed every gate and is available to the agent.",
    scope: "mailbox",
    example: { message_id: MSG, thread_id: THREAD, sender: "sam@example.com", subject: "Thursday" },
  },
  "message.quarantined": {
    description:
      "A message was held: inbound for a likely prompt injection, or outbound by the scanner (see scan and hold_context).",
    scope: "mailbox",
    example: {
      message_id: MSG,
      thread_id: THREAD,
      sender: "mallory@evil.example",
      subject: "Invoice",
      injection_score: 0.97,
      reasons: [
        {
          code: "instruction_override",
          description: "tells the reader to ignore or replace its instructions",
        },
      ],
    },
  },
  "message.blocked": {
    description:
      "A message will never reach an agent or a recipient: a blocked sender, an admin's block, or an outbound block.",
    scope: "mailbox",
    example: { message_id: MSG, note: "phishing" },
  },
  "message.dispatch_failed": {
    description:
      "A scheduled (or asynchronously sent) draft could not be sent: a rescan refused it, a gate or quota refused " +
      "it (it is a draft again), or its mailbox was deleted (cancelled).",
    scope: "mailbox",
    example: {
      draft_id: "9c2e4f60-3b1a-4d8e-a7f5-6e0d1c2b3a49",
      code: "DRAFT_REJECTED_BY_RESCAN",
      error: "the draft would be blocked by the mailbox's current policy; edit it and send again",
    },
  },
  "message.deleted": {
    description:
      "An admin deleted a message: it leaves every list, its thread and the agents' view; the row and its raw bytes " +
      "are kept for admins.",
    scope: "mailbox",
    example: { message_id: MSG, previous_state: "available" },
  },
  "message.failed": {
    description:
      "An inbound message could not be processed after its attempts (or the database refused its data): it is kept " +
      "with its raw bytes in state failed, for admins; agents never see it.",
    scope: "mailbox",
    example: { message_id: MSG, error: "could not store the message: invalid byte sequence", attempts: 5 },
  },
  "message.firewall_released": {
    description:
      "An admin released a message the inbound firewall blocked: it is being processed again (the firewall " +
      "excepted), and message.received or message.quarantined follows with the outcome. Admins only.",
    scope: "mailbox",
    example: {
      message_id: MSG,
      note: "a new supplier",
      firewall_block: {
        envelope_sender: "billing@supplier.example",
        from_address: "billing@supplier.example",
        matched_field: null,
        matched_pattern: null,
        reason_code: "SENDER_NOT_ON_ALLOWLIST",
        matched_list: "mailbox_allowlist",
        mode: "allowlist",
      },
    },
  },
  "message.released": {
    description: "An admin released a held inbound message; it is available as a new arrival.",
    scope: "mailbox",
    example: { message_id: MSG, note: "known vendor" },
  },
  "message.reported": {
    description:
      "An admin reported an inbound message: it is blocked and its sender is on the inbound blocklist.",
    scope: "mailbox",
    example: { message_id: MSG, note: null, blocked_sender: "mallory@evil.example" },
  },
  "message.sent": {
    description: "An outbound message passed every gate and is queued for delivery.",
    scope: "mailbox",
    example: { message_id: MSG, thread_id: THREAD, to: ["ann@example.com"], cc: [], subject: "Re: Thursday" },
  },
  "message.pending_review": {
    description: "An outbound message waits for a human's approval (hold_context says why).",
    scope: "mailbox",
    example: {
      message_id: MSG,
      thread_id: THREAD,
      to: ["ann@example.com"],
      cc: [],
      subject: "Card on file",
      hold_context: { trigger_source: "scanner", summary_reasons: ["credit_card: quarantine"] },
    },
  },
  "message.approved": {
    description: "A human approved a held outbound message; it goes to the delivery queue.",
    scope: "mailbox",
    example: { message_id: MSG, note: "ok to send" },
  },
  "message.denied": {
    description: "A human denied a held outbound message; it is blocked.",
    scope: "mailbox",
    example: { message_id: MSG, note: "do not share card numbers" },
  },
  "message.revised": {
    description:
      "A human edited a held outbound message; it was rescanned and still waits for approval (see its scan and hold_context).",
    scope: "mailbox",
    example: { message_id: MSG, note: "removed the customer's SSN" },
  },
  "message.review_expired": {
    description:
      "A held outbound message was not decided within the mailbox's approval expiry; it is blocked.",
    scope: "mailbox",
    example: { message_id: MSG },
  },
  "message.delivered": {
    description: "The receiving server accepted an outbound message for one recipient.",
    scope: "mailbox",
    example: {
      message_id: MSG,
      recipient: "ann@example.com",
      attempts: 1,
      code: 250,
      response: "250 2.0.0 OK",
      next_attempt_at: null,
    },
  },
  "message.delivery_deferred": {
    description: "A delivery attempt failed temporarily; it will be retried at next_attempt_at.",
    scope: "mailbox",
    example: {
      message_id: MSG,
      recipient: "ann@example.com",
      attempts: 2,
      code: 451,
      response: "451 4.7.1 try again later",
      next_attempt_at: "2026-11-22T10:15:00.000Z",
    },
  },
  "message.bounced": {
    description:
      "An outbound message could not be delivered to one recipient, permanently: refused during delivery, or later by a bounce report (then `source` is `dsn` or `provider` and `hard` says whether the address was suppressed).",
    scope: "mailbox",
    example: {
      message_id: MSG,
      recipient: "nobody@example.com",
      attempts: 1,
      code: 550,
      response: "550 5.1.1 no such user",
      next_attempt_at: null,
    },
  },
  "recipient_allowlist.added": {
    description: "An admin added entries to a mailbox's recipient allowlist.",
    scope: "mailbox",
    example: { emails: ["ann@example.com", "@partner.example"] },
  },
  "recipient_allowlist.removed": {
    description: "An admin removed an entry from a mailbox's recipient allowlist.",
    scope: "mailbox",
    example: { email: "ann@example.com" },
  },
  "recipient_allowlist.blocked_attempt": {
    description:
      "The allowlist refused a send to this recipient (at most one event a minute per mailbox and recipient; every attempt is recorded).",
    scope: "mailbox",
    example: { recipient: "stranger@example.org", api_key_id: "4b7e2c1a-9d3f-4e8b-a6c5-0f1e2d3c4b5a" },
  },
  "mailbox.recipient_policy_changed": {
    description:
      "A mailbox's recipient policy changed between blocklist (send anywhere not suppressed) and allowlist.",
    scope: "mailbox",
    example: { mode: "allowlist", previous_mode: "blocklist", allowlist_size: 3 },
  },
  "mailbox.sender_policy_changed": {
    description:
      "A mailbox's inbound sender policy changed between blocklist (anyone not on the account's inbound blocklist) " +
      "and allowlist (only the mailbox's sender allowlist).",
    scope: "mailbox",
    example: { mode: "allowlist", previous_mode: "blocklist", allowlist_size: 2 },
  },
  "legal_hold.applied": {
    description:
      "An admin applied a legal hold: the account's or the mailbox's mail is kept from retention and deletion until " +
      "the hold is released (admins only).",
    scope: "account",
    example: {
      legal_hold_id: "3e1f2a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
      scope: "mailbox",
      mailbox_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      case_reference: "MATTER-2026-001",
      reason: "Litigation hold",
    },
  },
  "legal_hold.released": {
    description:
      "An admin released a legal hold; retention and deletion apply again unless another hold remains.",
    scope: "account",
    example: {
      legal_hold_id: "3e1f2a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
      scope: "mailbox",
      mailbox_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      case_reference: "MATTER-2026-001",
      release_reason: "Matter closed",
    },
  },
  "recipient_blocklist.added": {
    description:
      "An address or domain was added to the account's suppression list (by hand, a bounce or a complaint). " +
      "Formerly `suppression.added`, still accepted as that name in subscriptions and filters.",
    scope: "account",
    example: { email: "nobody@example.com", reason: "hard_bounce", source: "dsn", expires_at: null },
  },
  "webhook.disabled": {
    description: "A webhook was disabled after too many deliveries in a row were abandoned.",
    scope: "account",
    example: {
      webhook_id: "8f14e45f-ceea-467f-a0e6-7d2b1c3a4e5f",
      url: "https://hooks.example.com/postbox",
      disabled_reason: "20 deliveries in a row were abandoned; the last: HTTP 410",
    },
  },
  "webhook.test": {
    description: "Sent by POST /v1/webhooks/:id/test to check an endpoint.",
    scope: "account",
    example: {
      webhook_id: "8f14e45f-ceea-467f-a0e6-7d2b1c3a4e5f",
      message: "This is a test event from Postbox.",
    },
  },
} as const satisfies Record<string, EventSpec>;

export type EventType = keyof typeof EVENT_CATALOG;
export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

export function isEventType(t: string): t is EventType {
  return Object.hasOwn(EVENT_CATALOG, t);
}

/** Former names still accepted where clients name event types (subscriptions, filters, tests). */
const EVENT_ALIASES: Record<string, EventType> = { "suppression.added": "recipient_blocklist.added" };

/** The catalogue's name for an event type a client gave (itself, or what a former name became); null: unknown. */
export function canonicalEventType(t: string): EventType | null {
  return isEventType(t) ? t : (EVENT_ALIASES[t] ?? null);
}
