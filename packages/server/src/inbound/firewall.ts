import { AppError } from "../domain/errors.ts";
import { type FirewallRuling, firewallRuling } from "../domain/inbound-firewall.ts";
import { lookupKeys } from "../domain/recipient-controls.ts";
import { blockedSenders } from "../store/blocklist.ts";
import type { Sql } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import { inboundSenderAllowlist, lockSenderPolicy, setSenderPolicy } from "../store/mailboxes.ts";

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

/**
 * Sets a mailbox's sender policy inside the caller's transaction (the mailbox row locked until it ends), with the
 * list when one is given. Allowlist mode with an empty list blocks every sender: refused unless `forceEmpty`. A
 * change is announced.
 */
export async function applySenderPolicy(
  sql: Sql,
  mb: { id: string; account_id: string },
  mode: "blocklist" | "allowlist",
  opts: { forceEmpty?: boolean; list?: string[] | null } = {},
): Promise<{ previous: "blocklist" | "allowlist"; listSize: number }> {
  const current = await lockSenderPolicy(sql, mb.id);
  const list = opts.list !== undefined ? opts.list : current.list;
  const size = list?.length ?? 0;
  // The guard is on the switch (or on emptying the list of a mailbox in allowlist mode).
  if (
    mode === "allowlist" &&
    (current.mode !== "allowlist" || opts.list !== undefined) &&
    size === 0 &&
    !opts.forceEmpty
  )
    throw new AppError(
      "invalid",
      "ALLOWLIST_EMPTY",
      "the inbound allowlist is empty: in allowlist mode every sender would be blocked. Add senders first, or " +
        "pass force_empty: true",
    );
  await setSenderPolicy(sql, mb.id, mode, list);
  if (current.mode !== mode)
    await appendEvent(sql, {
      accountId: mb.account_id,
      mailboxId: mb.id,
      type: "mailbox.sender_policy_changed",
      data: { mode, previous_mode: current.mode, allowlist_size: size },
    });
  return { previous: current.mode, listSize: size };
}
