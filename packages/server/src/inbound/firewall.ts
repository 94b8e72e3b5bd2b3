import { type FirewallRuling, firewallRuling } from "../domain/inbound-firewall.ts";
import { lookupKeys } from "../domain/recipient-controls.ts";
import { blockedSenders } from "../store/blocklist.ts";
import type { Sql } from "../store/db.ts";
import { inboundSenderAllowlist } from "../store/mailboxes.ts";

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
  const blocked = await blockedSenders(sql, accountId, lookupKeys(addresses));
  const senderAllowlist = await inboundSenderAllowlist(sql, mailboxId);
  for (const m of messages) {
    const why = firewallRuling(m, { blocked, senderAllowlist });
    if (why) out.set(m.id, why);
  }
  return out;
}
