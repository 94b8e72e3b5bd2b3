import { isIP } from "node:net";
import { AppError, validation } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { Config } from "../platform/config.ts";
import type { Db } from "../store/db.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import type { Accept, AcceptedCopy } from "./accept.ts";
import { headerBlockLength } from "./parse.ts";
import { resolveRecipient } from "./recipients.ts";

/** The SMTP envelope an external MTA hands over with the raw message. */
export interface IngestEnvelope {
  /** One or more values, each possibly a comma-separated list. */
  rcptTo: string | string[];
  mailFrom?: string;
  clientIp?: string;
  helo?: string;
}

export interface RejectedRecipient {
  recipient: string;
  code: string;
  reason: string;
  /** Sending again later may succeed (a paused mailbox). */
  temporary?: boolean;
}

/** When to try a paused mailbox again: pausing is an admin's act, not a blip, so not too often. */
const PAUSED_RETRY_SECONDS = 300;

/**
 * Accepts a raw message from an external MTA for the account's mailboxes among its recipients: stored durably
 * before this returns, then processed like SMTP mail. `raw` is not a Buffer when the client sent another type.
 */
export async function ingestRaw(
  deps: { db: Db; accept: Accept; config: Pick<Config, "domain" | "maxHeaderBytes"> },
  p: Principal,
  raw: unknown,
  env: IngestEnvelope,
): Promise<{ accepted: AcceptedCopy[]; rejected: RejectedRecipient[] }> {
  requireRole(p, "ingest", "admin");
  if (!Buffer.isBuffer(raw)) {
    throw new AppError(
      "unsupported_media_type",
      "UNSUPPORTED_MEDIA_TYPE",
      "send the raw message with Content-Type: message/rfc822",
    );
  }
  if (raw.length === 0)
    throw validation("the message body is empty", ["body must be a non-empty RFC 5322 message"]);
  if (headerBlockLength(raw, deps.config.maxHeaderBytes) === null) {
    throw new AppError(
      "too_large",
      "HEADER_TOO_LARGE",
      `the message header block exceeds ${deps.config.maxHeaderBytes} bytes`,
    );
  }
  if (env.clientIp && isIP(env.clientIp) === 0) {
    throw validation("client_ip is not an IP address", [
      "querystring.client_ip must be an IPv4 or IPv6 address",
    ]);
  }
  const rcpts = (Array.isArray(env.rcptTo) ? env.rcptTo : [env.rcptTo])
    .flatMap((r) => r.split(","))
    .map((r) => r.trim())
    .filter(Boolean);
  if (rcpts.length === 0)
    throw validation("rcpt_to names no recipient", ["querystring.rcpt_to must name at least one recipient"]);
  if (rcpts.length > 100)
    throw validation("at most 100 recipients per message", [
      "querystring.rcpt_to has more than 100 recipients",
    ]);

  const accepted: { mailbox: MailboxRow; address: string }[] = [];
  const rejected: RejectedRecipient[] = [];
  for (const address of rcpts) {
    const v = await resolveRecipient(deps.db, deps.config.domain, address);
    // Ingest keys are account keys: mailboxes of other accounts look unknown.
    if (v.ok && v.mailbox.account_id === p.accountId) accepted.push({ mailbox: v.mailbox, address });
    else if (!v.ok && v.reason === "paused" && v.mailbox.account_id === p.accountId)
      rejected.push({
        recipient: address,
        code: "MAILBOX_PAUSED",
        reason: "the mailbox is paused; send again later",
        temporary: true,
      });
    else if (!v.ok && v.reason === "malformed")
      rejected.push({ recipient: address, code: "INVALID_ADDRESS", reason: "not an email address" });
    else if (!v.ok && v.reason === "foreign_domain") {
      rejected.push({
        recipient: address,
        code: "FOREIGN_DOMAIN",
        reason: `not an address at ${deps.config.domain} or a verified domain of this installation`,
      });
    } else rejected.push({ recipient: address, code: "UNKNOWN_RECIPIENT", reason: "no such mailbox" });
  }
  if (accepted.length === 0 && rejected.some((r) => r.temporary))
    throw new AppError(
      "unavailable",
      "MAILBOX_PAUSED",
      "the recipient mailbox is paused and takes no mail for now; send the message again later",
      { rejected },
      PAUSED_RETRY_SECONDS,
    );
  if (accepted.length === 0) {
    throw new AppError(
      "unprocessable",
      "NO_VALID_RECIPIENTS",
      "none of the recipients is a mailbox of this account",
      {
        rejected,
      },
    );
  }
  const copies = await deps.accept(
    raw,
    {
      transport: "http",
      client_ip: env.clientIp ?? null,
      helo: env.helo ?? null,
      mail_from: env.mailFrom ?? null,
      rcpt_to: rcpts,
    },
    accepted,
  );
  return { accepted: copies, rejected };
}
