// Mailbox names are the local part of <name>@<domain>: RFC 5322 dot-atom text, minus "+",
// which is reserved for sub-addressing (support+tag@ delivers to support).
const ATEXT = "a-z0-9!#$%&'*/=?^_`{|}~-";
const NAME_RE = new RegExp(`^[${ATEXT}]+(\\.[${ATEXT}]+)*$`);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Returns an error message for a malformed mailbox name, or null (who may hold which name: reserved-names.ts). */
export function mailboxNameProblem(name: string): string | null {
  if (name.length === 0) return "name must not be empty";
  if (name.length > 64) return "name must be at most 64 characters (the limit for an email local part)";
  if (name !== name.toLowerCase()) return "name must be lowercase";
  if (name.includes("+")) return 'name must not contain "+" (it is used for plus-addressing)';
  if (!NAME_RE.test(name)) {
    return "name must be a valid email local part: letters, digits and !#$%&'*/=?^_`{|}~- separated by single dots";
  }
  if (isUuid(name)) return "name must not be a UUID (mailbox ids and names share one path segment)";
  return null;
}

export interface SplitAddress {
  local: string;
  domain: string;
}

/** Splits a bare address at its last "@"; null when it is not of the form local@domain. */
export function splitAddress(address: string): SplitAddress | null {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

/** The mailbox name a local part delivers to: lowercased, with any +tag removed. */
export function mailboxNameFor(local: string): string {
  const plus = local.indexOf("+");
  return (plus === -1 ? local : local.slice(0, plus)).toLowerCase();
}

const EMAIL_RE =
  /^[^\s@<>()[\]\\,;:"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;

/** A deliberately plain check for addresses our API accepts as recipients. */
export function isEmailAddress(s: string): boolean {
  return s.length <= 254 && EMAIL_RE.test(s);
}

/** A mailbox's address: its name at its domain, or at the installation's domain when it has none of its own. */
export function mailboxAddress(
  m: { name: string; domain: string | null },
  installationDomain: string,
): string {
  return `${m.name}@${m.domain ?? installationDomain}`;
}
