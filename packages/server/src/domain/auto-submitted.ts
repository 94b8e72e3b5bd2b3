/**
 * Whether a message was sent by a machine rather than a person — the one question an auto-reply or forward must
 * ask first, or two automatons answer each other for ever. Returns the reason, or null for a person's mail.
 *
 * The headers decide (RFC 3834). The sender-name guesses (mailer-daemon@, noreply@) are for mail from elsewhere
 * only: between our own mailboxes every automatic message carries Auto-Submitted, because Postbox writes it, so a
 * mailbox that happens to be called noreply is judged by what it sends, like any other.
 */
export function automatedReason(m: {
  /** Header values by lower-case name (the first occurrence). */
  header: (name: string) => string | null;
  envelopeFrom: string | null;
  from: string | null;
  /** Delivered by this installation from one of its own mailboxes (envelope transport "local"). */
  local?: boolean;
}): string | null {
  const autoSubmitted = m.header("auto-submitted")?.trim().toLowerCase();
  // RFC 3834: anything but "no" means automatic.
  if (autoSubmitted && autoSubmitted.split(";")[0]!.trim() !== "no")
    return `auto-submitted: ${autoSubmitted.split(";")[0]!.trim()}`;
  const precedence = m.header("precedence")?.trim().toLowerCase();
  if (precedence && ["bulk", "list", "junk", "auto_reply"].includes(precedence))
    return `precedence: ${precedence}`;
  if (m.header("list-id")) return "list-id";
  if (m.header("list-unsubscribe")) return "list-unsubscribe";
  if (m.header("x-auto-response-suppress")) return "x-auto-response-suppress";
  if (m.header("x-autoreply") || m.header("x-autorespond")) return "x-autoreply";
  if (m.envelopeFrom === "") return "null sender";
  if (m.local) return null;
  // A VERP return path (bounces+…@) is ordinary for mail from any platform, so only these names count.
  const envelopeLocal = (m.envelopeFrom ?? "").split("@")[0]!.toLowerCase();
  if (envelopeLocal === "mailer-daemon" || envelopeLocal === "postmaster") return `${envelopeLocal} sender`;
  const fromLocal = (m.from ?? "").split("@")[0]!.toLowerCase();
  if (
    ["mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"].includes(fromLocal)
  )
    return `${fromLocal} sender`;
  return null;
}
