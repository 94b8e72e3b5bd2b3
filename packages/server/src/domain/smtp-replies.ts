/**
 * Every SMTP reply Postbox writes, in one table keyed by reason (after maddy's SMTPError). The listener sends
 * them; local delivery and the outbound transport record them as the result of a delivery we made ourselves.
 */

/** One SMTP reply: the code, the RFC 3463 enhanced code, whether the client should retry, and safe client text. */
export interface SmtpReply {
  readonly code: number;
  /** Null where the reply has no enhanced code. */
  readonly enhanced: string | null;
  /** 4xx: the client keeps the message and tries again later. */
  readonly temporary: boolean;
  /** What the client reads; never internals beyond what the entry says. */
  readonly text: string;
}

function reply(code: number, enhanced: string | null, text: string): SmtpReply {
  return { code, enhanced, temporary: code >= 400 && code < 500, text };
}

export const smtpReplies = {
  // Connection.
  shutting_down: reply(421, "4.3.2", "Service shutting down, try again later"),
  too_many_connections: reply(421, "4.7.0", "Too many connections, try again later"),
  too_many_connections_from_network: reply(
    421,
    "4.7.0",
    "Too many connections from your address, try again later",
  ),

  // RCPT TO.
  /** smtp-server's own wording for an accepted RCPT: the listener lets the library send it. */
  recipient_accepted: reply(250, null, "Accepted"),
  too_many_recipients: reply(452, "4.5.3", "Too many recipients"),
  relaying_denied: reply(550, "5.7.1", "Relaying denied"),
  malformed_recipient: reply(553, "5.1.3", "Malformed recipient address"),
  unknown_mailbox: (address: string) =>
    reply(550, "5.1.1", `<${address}>: Recipient address rejected: no such mailbox`),
  /** RFC 3463 4.2.1: the mailbox is disabled for now; the client keeps the mail and tries again. */
  mailbox_paused: (address: string) =>
    reply(450, "4.2.1", `<${address}>: Mailbox temporarily not accepting mail, try again later`),
  unknown_return_path: (address: string) => reply(550, "5.1.1", `<${address}>: no such return path`),
  lookup_failed: reply(451, "4.3.0", "Temporary failure, try again later"),

  // DATA.
  message_too_big: reply(552, "5.3.4", "Message size exceeds fixed maximum message size"),
  header_too_big: (maxHeaderBytes: number) =>
    reply(552, "5.3.4", `Message header block exceeds ${maxHeaderBytes} bytes`),
  /** The client's stream broke off; its error says how. */
  data_stream_failed: (message: string) => reply(451, "4.3.0", message),
  bounce_not_recorded: reply(451, "4.3.0", "Temporary failure, try again later"),
  not_stored: reply(451, "4.3.0", "Temporary failure storing message, try again later"),
  storage_full: reply(452, "4.3.1", "Insufficient system storage"),
  refused_by_policy: (reason: string) => reply(550, "5.7.1", reason),
  queued: (messageIds: string[]) => reply(250, "2.0.0", `Ok: queued as ${messageIds.join(",")}`),
  bounce_report_recorded: reply(250, "2.0.0", "Ok: bounce report recorded"),

  // Deliveries Postbox makes itself (recorded as the delivery's result).
  delivered_locally: (messageId: string) => reply(250, "2.0.0", `delivered locally as ${messageId}`),
  no_local_mailbox: reply(550, "5.1.1", "no such mailbox here"),
  local_mailbox_paused: reply(450, "4.2.1", "mailbox paused, will retry"),
  null_mx: (domain: string) => reply(556, "5.1.10", `${domain} does not accept mail (null MX)`),
  /** Stands in for a remote that accepted without saying anything. */
  remote_accepted: reply(250, null, "OK"),
} as const;

/** The reply as smtp-server wants its message: the text after the code. */
export function replyText(r: SmtpReply): string {
  return r.enhanced === null ? r.text : `${r.enhanced} ${r.text}`;
}

/** The whole reply line, as a delivery result records it. */
export function replyLine(r: SmtpReply): string {
  return `${r.code} ${replyText(r)}`;
}
