import { type FirewallRuling, firewallRuling } from "../domain/inbound-firewall.ts";
import { lookupKeys } from "../domain/recipient-controls.ts";
import { blockedSenders } from "../store/blocklist.ts";
import type { Sql } from "../store/db.ts";
import { countEntries, listedAmong } from "../store/mailbox-lists.ts";

/**
 * Whether the mailbox's sender allowlist is in force. For now a non-empty list is (allowlist mode); an empty one
 * lets everyone through, as the mailbox setting it replaced did.
 */
export async function senderAllowlistInForce(sql: Sql, mailboxId: string): Promise<boolean> {
  return (await countEntries(sql, "senders", mailboxId)) > 0;
}

/** The firewall's rulings for one mailbox's messages: message id → why it is blocked (absent: let through). */
export async function firewallFor(
  sql: Sql,
  accountId: string,
  mailboxId: string,
  messages: { id: string; sender: string | null; envelopeFrom: string | null }[],
): Promise<Map<string, FirewallRuling>> {
  const out = new Map<string, FirewallRuling>();
  if (messages.length === 0) return out;
  const addresses = messages
    .flatMap((m) => [m.sender, m.envelopeFrom])
    .filter((a): a is string => Boolean(a));
  const keys = lookupKeys(addresses);
  const blocked = await blockedSenders(sql, accountId, keys);
  const senderAllowlist = (await senderAllowlistInForce(sql, mailboxId))
    ? await listedAmong(sql, "senders", mailboxId, keys)
    : null;
  for (const m of messages) {
    const why = firewallRuling(m, { blocked, senderAllowlist });
    if (why) out.set(m.id, why);
  }
  return out;
}
