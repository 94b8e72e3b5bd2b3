import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Sub-address instances: a send may name an instance (an agent's conversation, a ticket); the plus-address it
 * writes is `name+<instance>.<tag>@domain`, the tag an HMAC of mailbox and instance under the account's key, so a
 * reply to it arrives carrying the instance — and a forged or mistyped one carries none.
 */
export type SubaddressMode = "reply_to" | "from" | "none";

/** What an instance id may be: it goes into an address's local part (RFC 5321 caps that at 64 octets). */
export const INSTANCE_ID_PATTERN = "^[A-Za-z0-9_-]{1,32}$";
const INSTANCE_ID = new RegExp(INSTANCE_ID_PATTERN);
const TAG_LENGTH = 12;

export function isInstanceId(s: string): boolean {
  return INSTANCE_ID.test(s);
}

function tagOf(key: Buffer, mailboxId: string, instance: string): string {
  return createHmac("sha256", key).update(`${mailboxId}\n${instance}`).digest("hex").slice(0, TAG_LENGTH);
}

/** The plus-address detail naming an instance of a mailbox: `<instance>.<tag>`. */
export function instanceDetail(key: Buffer, mailboxId: string, instance: string): string {
  return `${instance}.${tagOf(key, mailboxId, instance)}`;
}

/** The instance a recipient address names for this mailbox, when its tag verifies; otherwise null. */
export function instanceOfAddress(key: Buffer, mailboxId: string, address: string): string | null {
  const at = address.lastIndexOf("@");
  const local = at === -1 ? address : address.slice(0, at);
  const plus = local.indexOf("+");
  if (plus === -1) return null;
  const m = /^([A-Za-z0-9_-]{1,32})\.([0-9a-f]{12})$/i.exec(local.slice(plus + 1));
  if (!m) return null;
  const want = Buffer.from(tagOf(key, mailboxId, m[1]!));
  const got = Buffer.from(m[2]!.toLowerCase());
  return timingSafeEqual(want, got) ? m[1]! : null;
}
