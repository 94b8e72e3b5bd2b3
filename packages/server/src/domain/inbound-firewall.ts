import { coveringEntry } from "./recipient-controls.ts";

/** Which firewall rule stopped a message, as clients read it on the message (the seed's FirewallBlock). */
export interface FirewallBlock {
  envelope_sender: string | null;
  from_address: string | null;
  matched_field: "envelope" | "from" | null;
  matched_pattern: string | null;
  reason_code: "SENDER_BLOCKED" | "SENDER_NOT_ON_ALLOWLIST";
  matched_list: "account_blocklist" | "mailbox_allowlist" | null;
  /** The mailbox's sender policy when it was decided: an allowlist in force, or the blocklist alone. */
  mode: "allowlist" | "blocklist";
}

/** The firewall's ruling on one message: the words for admins (the audit reason) and the structured record. */
export interface FirewallRuling {
  reason: string;
  block: FirewallBlock;
}

/** The rules a mailbox's mail is judged by. */
export interface FirewallRules {
  /** Entries of the account's blocklist (at least those that could cover the senders judged). */
  blocked: ReadonlySet<string>;
  /**
   * null: no sender allowlist in force. Otherwise the allowlist's entries (at least those that could cover the
   * senders judged; an empty set then lets no one through).
   */
  senderAllowlist: ReadonlySet<string> | null;
}

/**
 * The inbound firewall, decided before the MailPolicy: the account's blocklist, then the mailbox's sender
 * allowlist when its sender policy is allowlist (`senderAllowlist` not null; an empty list lets no one through).
 * Entries are addresses or bare domains (@corp.com); a message is judged by its From address and its envelope
 * sender. Returns why the message is blocked, or null.
 */
export function firewallRuling(
  m: { sender: string | null; envelopeFrom: string | null },
  rules: FirewallRules,
): FirewallRuling | null {
  const allowlisting = rules.senderAllowlist !== null;
  const base = {
    envelope_sender: m.envelopeFrom || null,
    from_address: m.sender,
    mode: allowlisting ? ("allowlist" as const) : ("blocklist" as const),
  };
  const checked: [string | null, "from" | "envelope"][] = [
    [m.sender, "from"],
    [m.envelopeFrom, "envelope"],
  ];
  for (const [a, field] of checked) {
    if (!a) continue;
    const entry = coveringEntry(a, rules.blocked);
    if (entry)
      return {
        reason: `sender ${a.toLowerCase()} is on the account's inbound blocklist${entry !== a.toLowerCase() ? ` (${entry})` : ""}`,
        block: {
          ...base,
          matched_field: field,
          matched_pattern: entry,
          reason_code: "SENDER_BLOCKED",
          matched_list: "account_blocklist",
        },
      };
  }
  if (rules.senderAllowlist) {
    const allowed = rules.senderAllowlist;
    const addresses = [m.sender, m.envelopeFrom].filter((a): a is string => Boolean(a));
    if (!addresses.some((a) => coveringEntry(a, allowed)))
      return {
        reason: `sender ${m.sender ?? m.envelopeFrom ?? "(none)"} is not on the mailbox's sender allowlist`,
        block: {
          ...base,
          matched_field: null,
          matched_pattern: null,
          reason_code: "SENDER_NOT_ON_ALLOWLIST",
          matched_list: "mailbox_allowlist",
        },
      };
  }
  return null;
}

/** Why the message is blocked, or null (the ruling's words alone). */
export function firewallVerdict(
  m: { sender: string | null; envelopeFrom: string | null },
  rules: FirewallRules,
): string | null {
  return firewallRuling(m, rules)?.reason ?? null;
}
