/**
 * Envelope-level redaction of message events for mailboxes in `pii_mode: redacted`: addresses become
 * `<EMAIL_ADDRESS>` and the subject `<REDACTED>`, before signing (the signature covers what is sent).
 */
const ADDRESS_FIELDS = ["sender", "recipient", "blocked_sender"];
const ADDRESS_LIST_FIELDS = ["to", "cc"];

export function redactEventData(type: string, data: Record<string, unknown>): Record<string, unknown> {
  if (!type.startsWith("message.")) return data;
  const out: Record<string, unknown> = { ...data };
  for (const f of ADDRESS_FIELDS) if (typeof out[f] === "string") out[f] = "<EMAIL_ADDRESS>";
  for (const f of ADDRESS_LIST_FIELDS)
    if (Array.isArray(out[f])) out[f] = (out[f] as unknown[]).map(() => "<EMAIL_ADDRESS>");
  if (typeof out.subject === "string") out.subject = "<REDACTED>";
  return out;
}
