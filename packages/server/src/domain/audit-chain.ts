import { createHash } from "node:crypto";

/** What happened to the message after the policy decided. */
export type AuditAction =
  /** Accepted and stored for the agent. */
  | "delivered"
  /** Refused with a 5xx before the SMTP session's final reply: the sending MTA informs its user. */
  | "rejected_in_session"
  /** Discarded after a 250 (defaultAction "drop"). */
  | "dropped"
  /** Discarded; a notification was queued to the envelope sender (defaultAction "bounce"). */
  | "bounced"
  /** Discarded; no notification because the envelope sender's domain did not authenticate (no backscatter). */
  | "bounce_suppressed"
  /** Stopped by the inbound firewall (blocklist or the mailbox's sender allowlist) before the MailPolicy. */
  | "firewall_blocked"
  /** A bounce or complaint report about an outbound message: its recipient is suppressed. */
  | "recipient_suppressed"
  /** A bounce report about an outbound message, recorded without suppressing anyone. */
  | "report_recorded"
  /** A legal hold now preserves the mailbox's mail (outcome `legal_hold`; the reason names the hold). */
  | "legal_hold_applied"
  /** A legal hold on the mailbox (or its account) was released. */
  | "legal_hold_released";

export interface AuditEntry {
  mailbox_id: string;
  seq: number;
  created_at: Date;
  transport: string;
  envelope_sender: string | null;
  header_sender: string | null;
  rule_index: number | null;
  outcome: string;
  action: AuditAction;
  reason: string | null;
  message_id: string | null;
  body_sha256: string | null;
  capabilities: string[];
}

export const GENESIS_HASH = "0".repeat(64);

/** The hash of an entry: SHA-256 over the previous hash and the entry's fields in a fixed order. */
export function entryHash(prevHash: string, e: AuditEntry): string {
  const fields = [
    e.mailbox_id,
    e.seq,
    new Date(e.created_at).toISOString(),
    e.transport,
    e.envelope_sender,
    e.header_sender,
    e.rule_index,
    e.outcome,
    e.action,
    e.reason,
    e.message_id,
    e.body_sha256,
    e.capabilities,
  ];
  return createHash("sha256")
    .update(`${prevHash}\n${JSON.stringify(fields)}`)
    .digest("hex");
}

export interface ChainBreak {
  seq: number;
  problem: "entry_modified" | "link_broken" | "entry_missing" | "head_mismatch";
  detail: string;
}

/** Checks stored entries in seq order against their hashes; streaming-friendly (feed pages in order). */
export function createChainVerifier(anchor: { seq: number; hash: string }) {
  let expectedSeq = anchor.seq + 1;
  let prev = anchor.hash;
  let checked = 0;
  let broken: ChainBreak | null = null;
  return {
    feed(rows: (AuditEntry & { prev_hash: string; hash: string })[]): ChainBreak | null {
      for (const r of rows) {
        if (broken) return broken;
        if (r.seq !== expectedSeq) {
          broken = {
            seq: expectedSeq,
            problem: "entry_missing",
            detail: `expected entry ${expectedSeq}, found ${r.seq}`,
          };
        } else if (r.prev_hash !== prev) {
          broken = {
            seq: r.seq,
            problem: "link_broken",
            detail: "the entry does not point at the previous entry's hash",
          };
        } else if (entryHash(r.prev_hash, r) !== r.hash) {
          broken = {
            seq: r.seq,
            problem: "entry_modified",
            detail: "the entry's fields do not match its hash",
          };
        } else {
          prev = r.hash;
          expectedSeq++;
          checked++;
        }
      }
      return broken;
    },
    /** After the last page: the newest entry must be the head the mailbox recorded (catches a cut-off tail). */
    finish(head: { seq: number; hash: string }): { checked: number; broken: ChainBreak | null } {
      if (!broken && (head.seq !== expectedSeq - 1 || head.hash !== prev)) {
        broken = {
          seq: Math.min(expectedSeq, head.seq),
          problem: head.seq > expectedSeq - 1 ? "entry_missing" : "head_mismatch",
          detail: `the chain ends at entry ${expectedSeq - 1} but the recorded head is entry ${head.seq}`,
        };
      }
      return { checked, broken };
    },
  };
}
