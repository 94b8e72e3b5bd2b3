import { envelopeSenderAuthenticated, type SenderAuthentication } from "./sender-auth.ts";

/**
 * Automatic replies, made safe to send: to whom (the envelope sender, RFC 3834 §3.1, never a header the sender
 * wrote), when (only to an authenticated sender, so nobody can aim our replies at a third party), and what of the
 * incoming message they may repeat (a short, cleaned subject — never a link an attacker wants delivered under our
 * DKIM signature).
 */

export interface EnvelopeFacts {
  /** "local": delivered by this installation from one of its own mailboxes (never set by a peer). */
  transport: string;
  mail_from: string | null;
}

/** The one address an automatic reply may go to: the envelope sender; null for the null reverse path. */
export function autoReplyTarget(envelope: EnvelopeFacts): string | null {
  const from = envelope.mail_from?.trim().replace(/^<|>$/g, "") ?? "";
  if (!from.includes("@")) return null;
  return from.toLowerCase();
}

/**
 * Whether the envelope sender is who it claims to be: SPF passed for its domain or a passing DKIM signature
 * aligns with it — or the mail came from another mailbox of this installation, which is known without DNS.
 */
export function autoReplySenderAuthenticated(
  envelope: EnvelopeFacts,
  auth: SenderAuthentication | null,
): boolean {
  if (envelope.transport === "local") return true;
  return auth !== null && envelopeSenderAuthenticated(auth, autoReplyTarget(envelope));
}

/** The most of the incoming subject an automatic reply repeats. */
export const ECHO_MAX_CHARS = 78;

// Controls and format characters (zero-width, bidirectional overrides): invisible in a client, useful to deceive.
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
const ADDRESS = /\S+@\S+/g;
const URL_LIKE = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.|mailto:)\S*/gi;
// Bare host names ("login-example.com", with or without a path): mail clients turn them into links.
const HOST_LIKE = /\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\b\S*/gi;

/**
 * Text of the incoming message that an automatic reply may repeat: invisible characters removed, addresses and
 * anything a client would make a link replaced, whitespace collapsed, cut to `max` characters.
 */
export function echoSafe(text: string | null | undefined, max = ECHO_MAX_CHARS): string {
  const clean = (text ?? "")
    .replace(INVISIBLE, " ")
    .replace(ADDRESS, "[address]")
    .replace(URL_LIKE, "[link]")
    .replace(HOST_LIKE, "[link]")
    .replace(/\s+/g, " ")
    .trim();
  const chars = [...clean];
  return chars.length <= max
    ? clean
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

/** The Subject of an automatic reply: the rule's own, or "Re: " and the cleaned original subject. */
export function autoReplySubject(original: string | null, fixed?: string): string {
  if (fixed?.trim()) return fixed.replace(INVISIBLE, " ").trim();
  const s = echoSafe((original ?? "").replace(/^\s*(?:re|aw|fwd?)\s*:\s*/i, ""));
  return s ? `Re: ${s}` : "Automatic reply";
}
