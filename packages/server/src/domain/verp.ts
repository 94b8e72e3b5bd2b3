/**
 * VERP return paths: each delivery's MAIL FROM is `bounces+<delivery id, 32 hex>@<domain>`, so a bounce names
 * the exact delivery (message and recipient) whatever the bounce's own content says. The id is random (UUID
 * v4), so a forged bounce cannot guess one.
 */
export function verpAddress(deliveryId: string, domain: string): string {
  return `bounces+${deliveryId.replace(/-/g, "").toLowerCase()}@${domain}`;
}

/** The delivery id a VERP address names, or null when the address is not one of ours. */
export function parseVerp(address: string, domain: string): string | null {
  const m = /^bounces\+([0-9a-f]{32})@(.+)$/i.exec(address.trim());
  if (!m || m[2]!.toLowerCase() !== domain.toLowerCase()) return null;
  const h = m[1]!.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
