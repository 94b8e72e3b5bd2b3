// Threading follows RFC 5322 §3.6.4 (Message-ID, In-Reply-To, References), with a subject fallback
// for clients that drop those headers.

const REPLY_PREFIX = /^\s*((re|fw|fwd|aw|sv|antw)(\[\d+\])?\s*:\s*)+/i;

/** The subject with reply/forward prefixes, list tags like "[team]" at the start and extra spaces removed. */
export function subjectKey(subject: string | null | undefined): string {
  let s = (subject ?? "").trim();
  for (let i = 0; i < 10; i++) {
    const next = s.replace(REPLY_PREFIX, "").replace(/^\[[^\]]{1,40}\]\s*/, "");
    if (next === s) break;
    s = next;
  }
  return s.replace(/\s+/g, " ").trim().toLowerCase();
}

export function hasReplyPrefix(subject: string | null | undefined): boolean {
  return REPLY_PREFIX.test(subject ?? "");
}

/** "Re: " once, never stacked ("Re: Re: x" stays "Re: x" when it already starts so). */
export function replySubject(subject: string | null | undefined): string {
  const s = (subject ?? "").trim();
  if (/^re\s*:/i.test(s)) return s;
  return `Re: ${s}`;
}

/** The References header of a reply: the parent's References (or its In-Reply-To) followed by its Message-ID. */
export function replyReferences(parent: {
  references: string[];
  inReplyTo: string | null;
  messageId: string | null;
}): string[] {
  const chain =
    parent.references.length > 0 ? [...parent.references] : parent.inReplyTo ? [parent.inReplyTo] : [];
  if (parent.messageId && !chain.includes(parent.messageId)) chain.push(parent.messageId);
  // Keep the first and the most recent ids when the chain grows long (RFC 5322 allows trimming).
  return chain.length > 50 ? [chain[0]!, ...chain.slice(-49)] : chain;
}

/** Message ids in a References / In-Reply-To header value, angle brackets included. */
export function parseMessageIds(value: string | string[] | null | undefined): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(" ") : value;
  const ids = text.match(/<[^<>\s]+>/g);
  if (ids) return ids;
  // Some clients omit the brackets; normalise them.
  return text
    .split(/\s+/)
    .filter((t) => t.includes("@"))
    .map((t) => `<${t}>`);
}

/** Ids to look up, most specific first: In-Reply-To, then References newest to oldest. */
export function threadLookupIds(inReplyTo: string | null, references: string[]): string[] {
  const ids: string[] = [];
  if (inReplyTo) ids.push(inReplyTo);
  for (let i = references.length - 1; i >= 0; i--) {
    const id = references[i]!;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The subject fallback applies only to mail that looks like a reply but whose ids we do not know. */
export function subjectFallbackApplies(msg: {
  subject: string | null;
  inReplyTo: string | null;
  references: string[];
}) {
  return (
    subjectKey(msg.subject) !== "" &&
    (hasReplyPrefix(msg.subject) || msg.inReplyTo !== null || msg.references.length > 0)
  );
}
