/**
 * Mailbox names that carry authority. Whoever receives admin@ or hostmaster@ can get a TLS certificate for the
 * domain; whoever receives postmaster@ or abuse@ hears every complaint about it. Such names belong to the operator
 * (the default account), never to a tenant; a few belong to the service itself and to nobody.
 */
export type Reservation =
  /** Only the operator's default account may create it. */
  | { holder: "operator"; reason: string }
  /** Used by Postbox itself; no account may create it. */
  | { holder: "service"; reason: string };

const CA =
  "certificate authorities mail this address to validate control of the domain (CA/B Forum BR 3.2.2.4.4)";
const CA_LEGACY = "certificate authorities have mailed this address to validate control of the domain";
const RFC2142 = (what: string) => `RFC 2142 role address for ${what}`;

/**
 * The list. RFC 2142's business names (info, marketing, sales, support) are deliberately absent: they carry no
 * authority over the domain, and tenants legitimately want them.
 */
export const RESERVED_NAMES: ReadonlyMap<string, Reservation> = new Map<string, Reservation>([
  // RFC 5321 §4.5.1: must exist and receive mail; see also RFC 2142.
  ["postmaster", { holder: "operator", reason: `the mail system's administrator (RFC 5321 §4.5.1); ${CA}` }],
  ["abuse", { holder: "operator", reason: RFC2142("abuse reports about the domain") }],
  ["security", { holder: "operator", reason: RFC2142("security reports about the domain") }],
  ["noc", { holder: "operator", reason: RFC2142("network operations") }],
  ["hostmaster", { holder: "operator", reason: `${RFC2142("DNS")}; ${CA}` }],
  ["webmaster", { holder: "operator", reason: `${RFC2142("the web service")}; ${CA}` }],
  ["www", { holder: "operator", reason: RFC2142("the web service") }],
  ["admin", { holder: "operator", reason: CA }],
  ["administrator", { holder: "operator", reason: CA }],
  ["root", { holder: "operator", reason: `the system administrator's conventional address; ${CA_LEGACY}` }],
  ["ssl-admin", { holder: "operator", reason: CA_LEGACY }],
  ["ssladmin", { holder: "operator", reason: CA_LEGACY }],
  ["usenet", { holder: "operator", reason: RFC2142("the NNTP service") }],
  ["news", { holder: "operator", reason: RFC2142("the NNTP service") }],
  ["uucp", { holder: "operator", reason: RFC2142("the UUCP service") }],
  ["ftp", { holder: "operator", reason: RFC2142("the FTP service") }],
  [
    "mailer-daemon",
    {
      holder: "operator",
      reason: "the sender of delivery notifications; mail from it is treated as automated",
    },
  ],
  ["nobody", { holder: "operator", reason: "the conventional unprivileged system account" }],
  // bounces+<delivery id>@ is every delivery's return path (VERP): a mailbox of that name would shadow them.
  ["bounces", { holder: "service", reason: "the return path of every outbound delivery (VERP)" }],
  ["postbox-verify", { holder: "service", reason: "the sender of recipient confirmation mail" }],
]);

export function reservationOf(name: string): Reservation | null {
  return RESERVED_NAMES.get(name.toLowerCase()) ?? null;
}

/**
 * Why this account may not create a mailbox with this name, or null when it may. `isOperator`: the account is the
 * installation's default account.
 */
export function reservedNameProblem(name: string, isOperator: boolean): string | null {
  const r = reservationOf(name);
  if (!r) return null;
  if (r.holder === "service")
    return `"${name}" is used by the mail service itself (${r.reason}); choose another name`;
  if (isOperator) return null;
  return `"${name}" is reserved for the operator's account (${r.reason}); choose another name`;
}
