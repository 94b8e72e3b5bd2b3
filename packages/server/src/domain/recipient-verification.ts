import { createHmac, timingSafeEqual } from "node:crypto";
import { isEmailAddress } from "./address.ts";
import { AppError } from "./errors.ts";

// Verified recipients (decision 0019): the addresses a sandboxed mailbox may mail, each confirmed by its owner
// through a signed link that Postbox serves.

/** How long a confirmation link works; a resend makes a new one (and the older ones stop working). */
export const LINK_TTL_SECONDS = 72 * 3600;
/** The least time between two confirmation mails to one address: a double click, or an agent in a loop. */
export const RESEND_COOLDOWN_SECONDS = 60;
/** Confirmation mails one account may have sent in 24 hours: Postbox must not be a way to mail strangers. */
export const CONFIRMATIONS_PER_DAY = 50;
/** The local part of the service address confirmation mail comes from (reserved: no mailbox may take it). */
export const CONFIRMATION_SENDER = "postbox-verify";

export type RecipientStatus = "pending" | "confirmed" | "expired";

/** What the wire calls a recipient: confirmed, or pending until its latest link expires. */
export function recipientStatus(
  r: { status: "pending" | "confirmed"; link_expires_at: Date },
  now: Date,
): RecipientStatus {
  if (r.status === "confirmed") return "confirmed";
  return now.getTime() >= r.link_expires_at.getTime() ? "expired" : "pending";
}

/** The address to verify, lower-cased; a bare domain or anything else is `400 INVALID_EMAIL`. */
export function recipientAddress(text: string): string {
  const v = text.trim().toLowerCase();
  if (isEmailAddress(v)) return v;
  throw new AppError(
    "invalid",
    "INVALID_EMAIL",
    `email ${JSON.stringify(text)} is not an email address (verified recipients are single addresses)`,
    { email: text, reason: "invalid_format", errors: ["email: not an email address"] },
  );
}

type Token = { id: string; n: number; exp: number; sig: string };
type LinkedRow = {
  id: string;
  email: string;
  status: "pending" | "confirmed";
  links_sent: number;
  link_expires_at: Date;
};

const mac = (secret: string, t: Omit<Token, "sig">, email: string) =>
  createHmac("sha256", secret).update(`recipient-confirmation\n${t.id}\n${email}\n${t.n}\n${t.exp}`).digest();

/**
 * `<recipient id>.<link number>.<expiry, unix seconds>.<base64url HMAC-SHA256>`: the MAC covers the id, the
 * address, which link of the row it is and its expiry, so a link confirms that one address, until then, unless a
 * newer link replaced it.
 */
export function confirmationToken(secret: string, r: Omit<LinkedRow, "status">): string {
  const t = { id: r.id, n: r.links_sent, exp: Math.floor(r.link_expires_at.getTime() / 1000) };
  return `${t.id}.${t.n}.${t.exp}.${mac(secret, t, r.email).toString("base64url")}`;
}

/** The parts of a token that look like one, or null; the row it names decides whether it is good. */
export function parseConfirmationToken(token: string): Token | null {
  const m = /^([0-9a-f-]{36})\.(\d{1,6})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, n: Number(m[2]), exp: Number(m[3]), sig: m[4]! } : null;
}

export type LinkCheck = "good" | "invalid" | "expired";

/**
 * A token against the row it names: invalid unless its MAC is right; for a pending recipient, also unless it is
 * the row's latest link, and expired once that link's time is past. Any link we made for a confirmed recipient
 * still shows that it is confirmed.
 */
export function checkConfirmationToken(secret: string, token: Token, r: LinkedRow, now: Date): LinkCheck {
  if (token.id !== r.id) return "invalid";
  const want = mac(secret, token, r.email);
  const got = Buffer.from(token.sig, "base64url");
  if (got.length !== want.length || !timingSafeEqual(got, want)) return "invalid";
  if (r.status === "confirmed") return "good";
  if (token.n !== r.links_sent) return "invalid";
  return now.getTime() >= token.exp * 1000 ? "expired" : "good";
}

/** The confirmation mail's words: who asks, what confirming means, the link and until when it works. */
export function confirmationMail(m: { email: string; accountName: string; link: string; expiresAt: Date }) {
  return {
    subject: "Confirm that you want to receive mail from an AI agent",
    text: [
      "Hello,",
      "",
      `The account "${m.accountName}" on this Postbox mail service runs AI agents, and asks to send mail to ` +
        `${m.email}. Its agents may mail you only once you confirm.`,
      "",
      "To confirm, open this link and press the button on the page:",
      "",
      m.link,
      "",
      `The link works until ${m.expiresAt.toUTCString()}. If you did not expect this, ignore this mail: ` +
        "nothing will be sent to you.",
    ].join("\n"),
  };
}

/** Why another confirmation mail may not go now, or null when it may. */
export function resendRefusal(
  r: { link_sent_at: Date } | null,
  sentToday: number,
  now: Date,
): AppError | null {
  if (r) {
    const wait = Math.ceil(
      (r.link_sent_at.getTime() + RESEND_COOLDOWN_SECONDS * 1000 - now.getTime()) / 1000,
    );
    if (wait > 0)
      return new AppError(
        "rate_limited",
        "RATE_LIMITED",
        `a confirmation mail went to this address less than ${RESEND_COOLDOWN_SECONDS} s ago; wait ${wait} s`,
        { retry_after: wait, reset_at: new Date(now.getTime() + wait * 1000).toISOString() },
        wait,
      );
  }
  if (sentToday >= CONFIRMATIONS_PER_DAY)
    return new AppError(
      "rate_limited",
      "RATE_LIMITED",
      `the account sent ${CONFIRMATIONS_PER_DAY} confirmation mails in the last 24 hours, the most it may; ` +
        "try again later",
      { limit: CONFIRMATIONS_PER_DAY, window_seconds: 86_400, retry_after: 3600 },
      3600,
    );
  return null;
}
