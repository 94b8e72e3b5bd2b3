import type { Clock } from "../domain/clock.ts";
import { AppError } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { Config } from "../platform/config.ts";
import type { Db } from "../store/db.ts";
import { verifiedDomainNames } from "../store/domains.ts";
import type { Accept, AcceptedCopy } from "./accept.ts";
import { composeFromParts } from "./bridge-mime.ts";
import {
  type BridgeFormat,
  envelopeFromHeaders,
  formFormat,
  type Payload,
  parseMailgun,
  parsePostmark,
  parseSendGrid,
  verifyMailgunSignature,
} from "./bridge-payloads.ts";
import { decodeForm, isFormType } from "./form-data.ts";
import { ingestRaw, type RejectedRecipient } from "./ingest.ts";
import { headerBlock } from "./parse.ts";

export interface BridgeIngestInput {
  contentType: string | undefined;
  /** The raw body (MIME or a form) as a Buffer, or the parsed JSON. */
  body: unknown;
  /** ?format=, for a client that would rather say than have it detected. */
  format?: BridgeFormat;
  /** An explicit envelope (query string) wins over what the payload says. */
  rcptTo?: string | string[];
  mailFrom?: string;
  clientIp?: string;
  helo?: string;
}

export interface BridgeIngestResult {
  format: BridgeFormat;
  /** The stored bytes were rebuilt from the provider's parts (no raw message was given). */
  reconstructed: boolean;
  accepted: AcceptedCopy[];
  rejected: RejectedRecipient[];
}

const MIME_TYPES = /^(message\/rfc822|application\/octet-stream)\b/i;
const JSON_TYPE = /^application\/(.+\+)?json\b/i;

const wrongFormat = (format: string, what: string) =>
  new AppError(
    "unprocessable",
    "UNRECOGNIZED_PAYLOAD",
    `format=${format} does not match the body (${what}): raw MIME is message/rfc822, Postmark's inbound webhook is ` +
      "JSON, SendGrid's and Mailgun's are forms",
  );

/** Reads a payload of any accepted format into raw bytes and what it says of the envelope. */
async function readPayload(
  deps: { config: Pick<Config, "mailgunSigningKey">; clock: Clock },
  input: BridgeIngestInput,
): Promise<Payload> {
  const type = input.contentType ?? "";
  const { body, format } = input;
  if (Buffer.isBuffer(body) && MIME_TYPES.test(type)) {
    if (format && format !== "mime") throw wrongFormat(format, "raw MIME");
    return { format: "mime", raw: body, envelope: { rcptTo: [], mailFrom: null, clientIp: null } };
  }
  if (Buffer.isBuffer(body) && isFormType(type)) {
    const parts = await decodeForm(body, type);
    const detected = format ?? formFormat(parts);
    if (detected === "sendgrid") return parseSendGrid(parts);
    if (detected === "mailgun") {
      const key = deps.config.mailgunSigningKey;
      if (key) verifyMailgunSignature(parts, key, deps.clock.now().getTime() / 1000);
      return parseMailgun(parts);
    }
    if (detected) throw wrongFormat(detected, "a form");
    throw new AppError(
      "unprocessable",
      "UNRECOGNIZED_PAYLOAD",
      "the form is neither SendGrid's Inbound Parse nor a Mailgun route's forward; name it with ?format=",
    );
  }
  if (!Buffer.isBuffer(body) && JSON_TYPE.test(type)) {
    if (format && format !== "postmark") throw wrongFormat(format, "JSON");
    return parsePostmark(body);
  }
  throw new AppError(
    "unsupported_media_type",
    "UNSUPPORTED_MEDIA_TYPE",
    "send message/rfc822 (raw MIME), application/json (Postmark), or multipart/form-data or " +
      "application/x-www-form-urlencoded (SendGrid, Mailgun)",
  );
}

/**
 * The bridge's /ingest: a raw message or a provider's inbound webhook, turned into raw bytes (kept as given when
 * the payload has them, rebuilt from its parts when not), then handed to exactly the pipeline of POST /v1/ingest.
 * The envelope is the query string's, else the payload's, else the message's own headers (envelopeFromHeaders).
 */
export async function ingestBridgePayload(
  deps: {
    db: Db;
    accept: Accept;
    clock: Clock;
    config: Pick<Config, "domain" | "maxHeaderBytes" | "maxMessageBytes" | "mailgunSigningKey">;
  },
  p: Principal,
  input: BridgeIngestInput,
): Promise<BridgeIngestResult> {
  requireRole(p, "ingest", "admin");
  const payload = await readPayload(deps, input);
  const raw = "raw" in payload ? payload.raw : await composeFromParts(payload.parts, payload.format);
  if (raw.length > deps.config.maxMessageBytes)
    throw new AppError(
      "too_large",
      "MESSAGE_TOO_LARGE",
      `the message is ${raw.length} bytes; the limit is ${deps.config.maxMessageBytes}`,
    );
  const explicit = input.rcptTo === undefined ? [] : [input.rcptTo].flat().filter((r) => r.trim() !== "");
  const ours = [deps.config.domain, ...(await verifiedDomainNames(deps.db, p.accountId))];
  const derived = envelopeFromHeaders(headerBlock(raw).toString("latin1"), ours);
  const rcptTo =
    explicit.length > 0
      ? explicit
      : payload.envelope.rcptTo.length > 0
        ? payload.envelope.rcptTo
        : derived.rcptTo.slice(0, 100);
  if (rcptTo.length === 0)
    throw new AppError(
      "unprocessable",
      "NO_RECIPIENTS",
      `no recipient at ${ours.join(", ")}: the payload names no envelope recipient and the message's ` +
        "Delivered-To, X-Original-To, To and Cc name none; pass rcpt_to",
    );
  const r = await ingestRaw(deps, p, raw, {
    rcptTo,
    mailFrom: input.mailFrom ?? payload.envelope.mailFrom ?? derived.mailFrom ?? undefined,
    clientIp: input.clientIp ?? payload.envelope.clientIp ?? undefined,
    helo: input.helo,
  });
  return { format: payload.format, reconstructed: !("raw" in payload), ...r };
}
