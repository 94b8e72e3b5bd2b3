import { coveringEntry } from "./recipient-controls.ts";

/**
 * The inbound firewall, decided before the MailPolicy: the account's blocklist, then the mailbox's optional
 * sender allowlist. Entries are addresses or bare domains (@corp.com); a message is judged by its From address
 * and its envelope sender. Returns why the message is blocked, or null.
 */
export function firewallVerdict(
  m: { sender: string | null; envelopeFrom: string | null },
  rules: { blocked: ReadonlySet<string>; senderAllowlist: readonly string[] | null },
): string | null {
  const addresses = [m.sender, m.envelopeFrom].filter((a): a is string => Boolean(a));
  for (const a of addresses) {
    const entry = coveringEntry(a, rules.blocked);
    if (entry)
      return `sender ${a.toLowerCase()} is on the account's inbound blocklist${entry !== a.toLowerCase() ? ` (${entry})` : ""}`;
  }
  if (rules.senderAllowlist && rules.senderAllowlist.length > 0) {
    const allowed = new Set(rules.senderAllowlist);
    if (!addresses.some((a) => coveringEntry(a, allowed)))
      return `sender ${m.sender ?? m.envelopeFrom ?? "(none)"} is not on the mailbox's sender allowlist`;
  }
  return null;
}
