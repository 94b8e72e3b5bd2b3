/**
 * Why a request was refused, in the service's words. Use-cases throw these; each adapter maps them to its
 * protocol in one place (HTTP: api/http-status.ts).
 */
export type Refusal =
  | "invalid" // the request itself is wrong: fix it before sending it again
  | "unauthenticated" // no valid key
  | "forbidden" // a valid key that may not do this
  | "not_found" // nothing there, or nothing this caller may see
  | "conflict" // the thing is not in a state that allows this
  | "gone" // it was there and will not be again (an expired link)
  | "unprocessable" // well-formed, but its content cannot be used
  | "too_large"
  | "unsupported_media_type"
  | "rate_limited" // a limit or quota: later, or less
  | "unavailable" // this instance cannot serve now (shutting down)
  | "storage_full"; // nothing stored; the operator must free space

/** An error a client may see: a stable code, why it was refused, and a message that says what to fix. */
export class AppError extends Error {
  constructor(
    readonly refusal: Refusal,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** When a retry may succeed (temporary refusals). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id?: string) =>
  new AppError(
    "not_found",
    "NOT_FOUND",
    id ? `${what} ${JSON.stringify(id)} was not found` : `${what} was not found`,
  );

export const validation = (message: string, errors: string[] = [message]) =>
  new AppError("invalid", "VALIDATION_ERROR", message, { errors });

export const forbidden = (code: string, message: string) => new AppError("forbidden", code, message);

/**
 * What an agent should do about a refusal, by code: short imperative lines for a model to follow, sent on the wire
 * as `details.agent_instructions` (api/server.ts adds them to every refusal with an entry here). Send gates first.
 */
export const AGENT_INSTRUCTIONS: Readonly<Record<string, readonly string[]>> = {
  RECIPIENT_SUPPRESSED: [
    "Do not retry this send: the recipient is on the suppression list (a bounce, a complaint, an unsubscribe or a manual block).",
    "Send to the other recipients without this one, if there are others.",
    "Ask a human to remove the suppression only if the address is known to receive mail again.",
  ],
  RECIPIENT_NOT_ON_ALLOWLIST: [
    "Do not retry: this mailbox may only send to the recipients on its allowlist.",
    "Do not try another address to reach the same person.",
    "Ask a human to add the recipient to the mailbox's allowlist if the message must go out.",
  ],
  RECIPIENT_NOT_VERIFIED: [
    "Do not retry: this mailbox is in sandbox mode and may only send to verified recipients.",
    "Do not try another address to reach the same person.",
    "Ask a human to add the recipient (POST /v1/recipients); the recipient must confirm the mailed link before a send can reach them.",
  ],
  TOO_MANY_RECIPIENTS: [
    "Send to at most 50 recipients (to, cc and bcc together).",
    "For a reply, reply without reply_all.",
  ],
  RATE_LIMITED: [
    "Wait until the time in Retry-After (details.reset_at) before sending again.",
    "Do not split the message into smaller sends to get around the limit.",
  ],
  REPLY_LOOP_DETECTED: [
    "Stop replying to this sender: it is automated and the conversation is a loop between machines.",
    "Do not retry; tell a human if a reply is really needed.",
  ],
  MAILBOX_DELETED: ["Do not retry: the sending mailbox was deleted."],
  EMAIL_EFFECT_HELD: [
    "Do not resend: the message is held for a human to review and goes out if they approve it.",
    "Tell the user that the message awaits approval.",
  ],
  EMAIL_EFFECT_BLOCKED: [
    "Do not resend the same content: the outbound scan blocked it (see details.scan.findings).",
    "Rewrite the message without what was flagged, or ask a human.",
  ],
  DOMAIN_SUPPRESSION_ADMIN_ONLY: [
    "Suppress the exact addresses instead, or ask a human with an admin key to suppress the domain.",
  ],
  INSUFFICIENT_SCOPE: [
    "Do not retry with this key: the action needs a key with another role.",
    "Ask a human with an admin key to do it if it is needed.",
  ],
};

export const agentInstructionsFor = (code: string): readonly string[] | null =>
  Object.hasOwn(AGENT_INSTRUCTIONS, code) ? AGENT_INSTRUCTIONS[code]! : null;
