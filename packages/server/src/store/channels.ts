import type { Sql } from "./db.ts";

/** Channels used with LISTEN/NOTIFY; a NOTIFY inside a transaction is delivered only at commit. */
export const Channel = {
  /** A message was accepted and waits to be processed; payload: message id. */
  received: "postbox_received",
  /** An inbound message became available; payload: mailbox id. */
  inbound: "postbox_inbound",
  /** A delivery was queued; payload: empty. */
  delivery: "postbox_delivery",
  /** A draft was scheduled; payload: empty. */
  drafts: "postbox_drafts",
  /** Events were committed; payload: account id (wakes event streams). */
  events: "postbox_events",
  /** Webhook deliveries were queued; payload: empty. */
  webhooks: "postbox_webhooks",
  /** Inbound rules were queued for new mail; payload: empty. */
  rules: "postbox_rules",
  /** An outbound attachment was uploaded and waits for its content scan; payload: empty. */
  attachmentScans: "postbox_attachment_scans",
  /** An API key was revoked or its mailboxes changed; payload: the key's id (every API process drops it). */
  keys: "postbox_keys",
} as const;

export async function notify(sql: Sql, channel: string, payload = ""): Promise<void> {
  await sql.query("select pg_notify($1, $2)", [channel, payload]);
}
