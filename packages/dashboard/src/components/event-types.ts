import type { EventType } from "@postbox/sdk";

// A record, not an array: a type the SDK adds fails the type-check until it is listed here.
const CATALOGUE: Record<EventType, true> = {
  "message.received": true,
  "message.quarantined": true,
  "message.blocked": true,
  "message.deleted": true,
  "message.failed": true,
  "message.dispatch_failed": true,
  "message.released": true,
  "message.revised": true,
  "message.firewall_released": true,
  "message.reported": true,
  "message.sent": true,
  "message.pending_review": true,
  "message.approved": true,
  "message.denied": true,
  "message.review_expired": true,
  "message.delivered": true,
  "message.delivery_deferred": true,
  "message.bounced": true,
  "recipient_allowlist.added": true,
  "recipient_allowlist.removed": true,
  "recipient_allowlist.blocked_attempt": true,
  "mailbox.recipient_policy_changed": true,
  "mailbox.sender_policy_changed": true,
  "recipient_blocklist.added": true,
  "legal_hold.applied": true,
  "legal_hold.released": true,
  "webhook.disabled": true,
  "webhook.test": true,
};

/** Every event type of the catalogue (docs/events.md), for filters and webhook subscriptions. */
export const EVENT_TYPES = Object.keys(CATALOGUE) as EventType[];
