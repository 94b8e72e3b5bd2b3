import { type BulkAdd, patternTypeOf } from "../domain/recipient-controls.ts";
import type {
  BlocklistRow,
  InboundBlockedAttemptGroup,
  InboundBlockedAttemptRow,
} from "../store/blocklist.ts";
import type { ListEntryRow } from "../store/mailbox-lists.ts";
import type { BlockedAttemptGroup, BlockedAttemptRow, SuppressionRow } from "../store/recipient-controls.ts";

// The wire shapes of the address lists (suppressions, the two mailbox allowlists, the inbound blocklist), their
// bulk-add results and their blocked-attempt logs, as the seed's clients read them.

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export const suppressionToWire = (r: SuppressionRow) => ({
  email: r.email,
  pattern_type: patternTypeOf(r.email),
  reason: r.reason,
  source: r.source,
  detail: r.detail,
  expires_at: iso(r.expires_at),
  added_by_actor_type: r.added_by_actor_type,
  added_by_actor_id: r.added_by_actor_id,
  created_at: iso(r.created_at),
});

/** An entry of a mailbox's allowlist (outbound recipients or inbound senders). */
export const listEntryToWire = (r: ListEntryRow) => ({
  email: r.email,
  mailbox_id: r.mailbox_id,
  pattern_type: patternTypeOf(r.email),
  source: r.source,
  added_by_actor_type: r.added_by_actor_type,
  added_by_actor_id: r.added_by_actor_id,
  created_at: iso(r.created_at),
});

export const blocklistToWire = (r: BlocklistRow) => ({
  email: r.address,
  /** The older name of `email`. */
  address: r.address,
  pattern_type: patternTypeOf(r.address),
  reason: r.reason,
  source: r.source,
  added_by_actor_type: r.added_by_actor_type,
  added_by_actor_id: r.added_by_actor_id,
  created_at: iso(r.created_at),
});

/** A bulk add: the new rows as the list shows them, the entries already there, the invalid ones, and counts. */
export function bulkToWire<Row, Out>(b: BulkAdd<Row>, toWire: (r: Row) => Out) {
  return {
    added: b.added.map(toWire),
    already_existed: b.already_existed,
    invalid: b.invalid.map((i) => ({ email: i.email, reason: i.reason, detail: i.detail })),
    counts: {
      added: b.added.length,
      already_existed: b.already_existed.length,
      invalid: b.invalid.length,
      total: b.added.length + b.already_existed.length + b.invalid.length,
    },
  };
}

const actorOfKey = (apiKeyId: string | null) => ({
  actor_type: apiKeyId ? "api_key" : "system",
  actor_id: apiKeyId,
});

/** One recipient and key the outbound allowlist kept refusing. */
export const blockedAttemptGroupToWire = (g: BlockedAttemptGroup) => ({
  recipient: g.email,
  ...actorOfKey(g.api_key_id),
  count: g.count,
  first_attempted_at: iso(g.first_attempted_at),
  last_attempted_at: iso(g.last_attempted_at),
});

/** One send the outbound allowlist refused. */
export const blockedAttemptToWire = (r: BlockedAttemptRow) => ({
  id: r.id,
  recipient: r.email,
  ...actorOfKey(r.api_key_id),
  origin: r.origin,
  attempted_at: iso(r.created_at),
});

/** One sender (and rule) the inbound firewall kept stopping. */
export const inboundBlockedAttemptGroupToWire = (g: InboundBlockedAttemptGroup) => ({
  sender: g.sender,
  matched_field: g.matched_field,
  matched_list: g.matched_list,
  mode: g.mode,
  reason_code: g.reason_code,
  count: g.count,
  first_attempted_at: iso(g.first_attempted_at),
  last_attempted_at: iso(g.last_attempted_at),
});

/** One message the inbound firewall stopped. */
export const inboundBlockedAttemptToWire = (r: InboundBlockedAttemptRow) => ({
  id: r.id,
  message_id: r.message_id,
  envelope_sender: r.envelope_sender,
  from_address: r.from_address,
  matched_field: r.matched_field,
  matched_pattern: r.matched_pattern,
  matched_list: r.matched_list,
  mode: r.mode,
  reason_code: r.reason_code,
  attempted_at: iso(r.created_at),
});
