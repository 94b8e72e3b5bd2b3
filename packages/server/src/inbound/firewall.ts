import { AppError } from "../domain/errors.ts";
import { type FirewallRuling, firewallRuling } from "../domain/inbound-firewall.ts";
import { lookupKeys } from "../domain/recipient-controls.ts";
import { blockedSenders } from "../store/blocklist.ts";
import type { Sql } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import { countEntries, listedAmong } from "../store/mailbox-lists.ts";
import { lockSenderPolicy, senderPolicyIsAllowlist, setSenderPolicy } from "../store/mailboxes.ts";

/**
 * Whether the mailbox's sender allowlist is in force: its sender policy is allowlist (the seed's
 * sender_policy_mode). In force with no entries, it lets no one through; in blocklist mode the list is inert.
 */
export async function senderAllowlistInForce(sql: Sql, mailboxId: string): Promise<boolean> {
  return senderPolicyIsAllowlist(sql, mailboxId);
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

/**
 * Sets a mailbox's sender policy inside the caller's transaction (the mailbox row locked until it ends). Switching
 * to allowlist with an empty list would block every sender: refused unless `forceEmpty`. A change is announced.
 */
export async function applySenderPolicy(
  sql: Sql,
  mb: { id: string; account_id: string },
  mode: "blocklist" | "allowlist",
  opts: { forceEmpty?: boolean } = {},
): Promise<{ previous: "blocklist" | "allowlist"; listSize: number }> {
  const previous = await lockSenderPolicy(sql, mb.id);
  const size = await countEntries(sql, "senders", mb.id);
  if (mode === "allowlist" && previous !== "allowlist" && size === 0 && !opts.forceEmpty)
    throw new AppError(
      "invalid",
      "ALLOWLIST_EMPTY",
      "the inbound allowlist is empty: in allowlist mode every sender would be blocked. Add senders first " +
        "(POST /v1/mailboxes/:id/inbound-allowlist), or pass force_empty: true",
    );
  await setSenderPolicy(sql, mb.id, mode);
  if (previous !== mode)
    await appendEvent(sql, {
      accountId: mb.account_id,
      mailboxId: mb.id,
      type: "mailbox.sender_policy_changed",
      data: { mode, previous_mode: previous, allowlist_size: size },
    });
  return { previous, listSize: size };
}
