import { createHmac, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import addressparser from "nodemailer/lib/addressparser";
import { AppError } from "../domain/errors.ts";
import type { FormPart } from "./form-data.ts";

/**
 * What an MTA bridge may POST to the bridge's /ingest, read into one shape (docs/bridge.md): raw MIME as it is, or
 * the parts a provider's inbound webhook hands over (Postmark's JSON, SendGrid's and Mailgun's forms), which
 * inbound/bridge-mime.ts turns back into MIME. Pure: no I/O, no clock (the Mailgun check takes the time).
 */

export const BRIDGE_FORMATS = ["mime", "postmark", "sendgrid", "mailgun"] as const;
export type BridgeFormat = (typeof BRIDGE_FORMATS)[number];

/** The SMTP envelope a payload carries, as far as it carries one. */
export interface PayloadEnvelope {
  rcptTo: string[];
  mailFrom: string | null;
  clientIp: string | null;
}

export interface PartAddress {
  address: string;
  name: string;
}

export interface PartAttachment {
  filename: string | null;
  contentType: string;
  content: Buffer;
  /** Without angle brackets; set for inline parts. */
  contentId: string | null;
}

/** A message in pieces: the provider's header lines kept verbatim, the rest from its decoded fields. */
export interface MessageParts {
  /** Header fields in order, values as the provider gave them (MIME structure and signatures removed). */
  headers: { name: string; value: string }[];
  /** Decoded fields, used for a header the verbatim list lacks. */
  from: PartAddress | string | null;
  to: (PartAddress | string)[];
  cc: (PartAddress | string)[];
  replyTo: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  attachments: PartAttachment[];
}

export type Payload =
  | { format: BridgeFormat; raw: Buffer; envelope: PayloadEnvelope }
  | { format: BridgeFormat; parts: MessageParts; envelope: PayloadEnvelope };

export const MAX_ATTACHMENTS = 250;
export const MAX_HEADERS = 1000;

const invalid = (field: string, what: string) =>
  new AppError("invalid", "INVALID_PAYLOAD", `${field} ${what}`, { field });

const unrecognized = (what: string) =>
  new AppError(
    "unprocessable",
    "UNRECOGNIZED_PAYLOAD",
    `${what}; send raw MIME (message/rfc822), Postmark's inbound JSON, or a SendGrid or Mailgun inbound form ` +
      "(or name the format with ?format=)",
  );

/**
 * Header fields a rebuilt message cannot keep: its MIME structure is new, so are its body bytes (a DKIM or ARC
 * signature over them would fail and count against the sender), and Bcc is never stored in headers.
 */
const DROPPED_HEADERS =
  /^(content-type|content-transfer-encoding|content-disposition|content-id|content-length|mime-version|dkim-signature|arc-seal|arc-message-signature|arc-authentication-results|bcc|x-postbox-reconstructed)$/i;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]{1,100}$/;

function header(name: unknown, value: unknown, at: string): { name: string; value: string } | null {
  if (typeof name !== "string" || typeof value !== "string") throw invalid(at, "must be a name and a value");
  if (!FIELD_NAME.test(name))
    throw new AppError(
      "invalid",
      "INVALID_HEADER",
      `${at}: ${JSON.stringify(name.slice(0, 100))} is not a header field name (printable ASCII without ":")`,
      { field: at },
    );
  return DROPPED_HEADERS.test(name) ? null : { name, value };
}

function capHeaders(list: { name: string; value: string }[]): { name: string; value: string }[] {
  if (list.length > MAX_HEADERS) throw invalid("headers", `has more than ${MAX_HEADERS} fields`);
  return list;
}

/** Lines of a header block, unfolded into fields; a line that is not a field ends the block. */
export function parseHeaderBlock(block: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "") break;
    if (/^[ \t]/.test(line) && out.length > 0) {
      out[out.length - 1]!.value += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) break;
    out.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).replace(/^[ \t]/, "") });
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64(text: unknown, at: string): Buffer {
  if (typeof text !== "string") throw invalid(at, "must be a base64 string");
  const s = text.replace(/[\r\n\t ]/g, "");
  if (!BASE64.test(s) || s.length % 4 === 1)
    throw new AppError("invalid", "INVALID_ATTACHMENT", `${at} is not valid base64`, { field: at });
  return Buffer.from(s, "base64");
}

function optString(v: unknown, at: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw invalid(at, "must be a string");
  return v;
}

/** A decoded one-line value: folded or injected line breaks become spaces. */
const oneLine = (s: string) => s.replace(/[\r\n]+[ \t]*/g, " ").trim();

const cid = (s: string | null) => (s ? s.replace(/^cid:/i, "").replace(/^<|>$/g, "").trim() || null : null);

/** Bare addresses of an address-list text (groups flattened); what is not an address is skipped. */
export function addressesIn(text: string): string[] {
  return addressparser(text, { flatten: true })
    .map((a) => a.address.trim())
    .filter((a) => a.includes("@"));
}

const noEnvelope = (): PayloadEnvelope => ({ rcptTo: [], mailFrom: null, clientIp: null });

// ---------------------------------------------------------------- Postmark

interface PostmarkAddress {
  Email?: unknown;
  Name?: unknown;
}

const POSTMARK_KEYS = ["From", "FromFull", "To", "ToFull", "RawEmail", "Headers", "TextBody", "HtmlBody"];

function postmarkAddresses(full: unknown, plain: unknown, at: string): (PartAddress | string)[] {
  if (full !== undefined && full !== null) {
    if (!Array.isArray(full)) throw invalid(at, "must be an array of {Email, Name}");
    return full.map((a: PostmarkAddress, i) => {
      if (typeof a !== "object" || a === null || typeof a.Email !== "string")
        throw invalid(`${at}[${i}].Email`, "must be a string");
      return { address: oneLine(a.Email), name: typeof a.Name === "string" ? oneLine(a.Name) : "" };
    });
  }
  const text = optString(plain, at.replace(/Full$/, ""));
  return text ? [oneLine(text)] : [];
}

/** Postmark's inbound webhook JSON. RawEmail, when the server includes it, is the message itself. */
export function parsePostmark(body: unknown): Payload {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw unrecognized("the JSON body is not an object");
  const b = body as Record<string, unknown>;
  if (!POSTMARK_KEYS.some((k) => k in b))
    throw unrecognized("the JSON body is not a Postmark inbound message");
  const envelope = noEnvelope();
  const original = optString(b.OriginalRecipient, "OriginalRecipient");
  if (original) envelope.rcptTo.push(oneLine(original));

  const raw = optString(b.RawEmail, "RawEmail");
  if (raw) return { format: "postmark", raw: Buffer.from(raw, "utf8"), envelope };

  const headers: { name: string; value: string }[] = [];
  if (b.Headers !== undefined && b.Headers !== null) {
    if (!Array.isArray(b.Headers)) throw invalid("Headers", "must be an array of {Name, Value}");
    b.Headers.forEach((h: { Name?: unknown; Value?: unknown }, i) => {
      if (typeof h !== "object" || h === null) throw invalid(`Headers[${i}]`, "must be {Name, Value}");
      const kept = header(h.Name, h.Value, `Headers[${i}]`);
      if (kept) headers.push(kept);
    });
  }
  const date = optString(b.Date, "Date");
  if (date && !headers.some((h) => /^date$/i.test(h.name)))
    headers.push({ name: "Date", value: oneLine(date) });

  let from: PartAddress | string | null = null;
  if (b.FromFull !== undefined && b.FromFull !== null) {
    const f = b.FromFull as PostmarkAddress;
    if (typeof f !== "object" || typeof f.Email !== "string")
      throw invalid("FromFull.Email", "must be a string");
    from = { address: oneLine(f.Email), name: typeof f.Name === "string" ? oneLine(f.Name) : "" };
  } else {
    const f = optString(b.From, "From");
    from = f ? oneLine(f) : null;
  }

  const attachments: PartAttachment[] = [];
  if (b.Attachments !== undefined && b.Attachments !== null) {
    if (!Array.isArray(b.Attachments)) throw invalid("Attachments", "must be an array");
    if (b.Attachments.length > MAX_ATTACHMENTS)
      throw invalid("Attachments", `has more than ${MAX_ATTACHMENTS} entries`);
    b.Attachments.forEach((a: Record<string, unknown>, i) => {
      const at = `Attachments[${i}]`;
      if (typeof a !== "object" || a === null) throw invalid(at, "must be an object");
      attachments.push({
        filename: optString(a.Name, `${at}.Name`),
        contentType: optString(a.ContentType, `${at}.ContentType`) || "application/octet-stream",
        content: base64(a.Content, `${at}.Content`),
        contentId: cid(optString(a.ContentID, `${at}.ContentID`)),
      });
    });
  }
  const subject = optString(b.Subject, "Subject");
  const replyTo = optString(b.ReplyTo, "ReplyTo");
  return {
    format: "postmark",
    envelope,
    parts: {
      headers: capHeaders(headers),
      from,
      to: postmarkAddresses(b.ToFull, b.To, "ToFull"),
      cc: postmarkAddresses(b.CcFull, b.Cc, "CcFull"),
      replyTo: replyTo ? oneLine(replyTo) : null,
      subject: subject === null ? null : oneLine(subject),
      text: optString(b.TextBody, "TextBody"),
      html: optString(b.HtmlBody, "HtmlBody"),
      attachments,
    },
  };
}

// ---------------------------------------------------------------- forms (SendGrid, Mailgun)

/** Text of a form part in a charset (an unknown label reads as UTF-8; bad bytes become U+FFFD, never an error). */
export function decodeText(data: Buffer, charset?: string | null): string {
  try {
    return new TextDecoder(charset || "utf-8").decode(data);
  } catch {
    return new TextDecoder("utf-8").decode(data);
  }
}

class Form {
  constructor(readonly parts: FormPart[]) {}
  has(name: string): boolean {
    return this.parts.some((p) => p.name === name);
  }
  part(name: string): FormPart | null {
    return this.parts.find((p) => p.name === name) ?? null;
  }
  text(name: string, charset?: string | null): string | null {
    const p = this.part(name);
    return p ? decodeText(p.data, charset) : null;
  }
  json(name: string): unknown {
    const t = this.text(name);
    if (t === null || t.trim() === "") return null;
    try {
      return JSON.parse(t);
    } catch {
      throw invalid(name, "is not valid JSON");
    }
  }
}

const MAILGUN_FIELDS = [
  "body-mime",
  "message-headers",
  "body-plain",
  "stripped-text",
  "attachment-count",
  "signature",
];
const SENDGRID_FIELDS = ["email", "envelope", "headers", "charsets", "attachment-info", "SPF", "spam_score"];

/** Which provider sent a form, from the fields only that provider sends; null when neither. */
export function formFormat(parts: FormPart[]): "sendgrid" | "mailgun" | null {
  const names = new Set(parts.map((p) => p.name));
  if (MAILGUN_FIELDS.some((f) => names.has(f)) || (names.has("recipient") && names.has("sender")))
    return "mailgun";
  if (SENDGRID_FIELDS.some((f) => names.has(f))) return "sendgrid";
  return null;
}

function addressField(text: string | null): (PartAddress | string)[] {
  return text ? [oneLine(text)] : [];
}

/** SendGrid Inbound Parse: the parsed form, or the raw one (`email` carries the whole message). */
export function parseSendGrid(parts: FormPart[]): Payload {
  const form = new Form(parts);
  const envelope = noEnvelope();
  const env = form.json("envelope") as { to?: unknown; from?: unknown } | null;
  if (env !== null) {
    if (typeof env !== "object" || Array.isArray(env))
      throw invalid("envelope", "must be a JSON object {to, from}");
    const to = env.to === undefined ? [] : Array.isArray(env.to) ? env.to : [env.to];
    to.forEach((a, i) => {
      if (typeof a !== "string") throw invalid(`envelope.to[${i}]`, "must be a string");
      envelope.rcptTo.push(oneLine(a));
    });
    if (env.from !== undefined && env.from !== null && typeof env.from !== "string")
      throw invalid("envelope.from", "must be a string");
    envelope.mailFrom = typeof env.from === "string" ? oneLine(env.from) : null;
  }
  const ip = form.text("sender_ip")?.trim();
  if (ip && isIP(ip)) envelope.clientIp = ip;

  const email = form.part("email");
  if (email) return { format: "sendgrid", raw: email.data, envelope };

  const charsets = (form.json("charsets") ?? {}) as Record<string, unknown>;
  if (typeof charsets !== "object" || Array.isArray(charsets))
    throw invalid("charsets", "must be a JSON object of field → charset");
  const cs = (field: string) => (typeof charsets[field] === "string" ? (charsets[field] as string) : null);
  const text = (field: string) => form.text(field, cs(field));

  const headers = parseHeaderBlock(text("headers") ?? "")
    .map((h, i) => header(h.name, h.value, `headers[${i}]`))
    .filter((h) => h !== null);
  const info = (form.json("attachment-info") ?? {}) as Record<string, Record<string, unknown>>;
  if (typeof info !== "object" || Array.isArray(info))
    throw invalid("attachment-info", "must be a JSON object keyed by attachment field");
  const files = parts.filter((p) => /^attachment\d+$/.test(p.name));
  if (files.length > MAX_ATTACHMENTS) throw invalid("attachments", `has more than ${MAX_ATTACHMENTS} files`);
  const attachments = files.map((p): PartAttachment => {
    const meta = typeof info[p.name] === "object" && info[p.name] !== null ? info[p.name]! : {};
    const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
    return {
      filename: str(meta.filename) ?? str(meta.name) ?? p.filename,
      contentType: str(meta.type) ?? p.contentType ?? "application/octet-stream",
      content: p.data,
      contentId: cid(str(meta["content-id"])),
    };
  });
  const subject = text("subject");
  return {
    format: "sendgrid",
    envelope,
    parts: {
      headers: capHeaders(headers),
      from: text("from") ? oneLine(text("from")!) : null,
      to: addressField(text("to")),
      cc: addressField(text("cc")),
      replyTo: null,
      subject: subject === null ? null : oneLine(subject),
      text: text("text"),
      html: text("html"),
      attachments,
    },
  };
}

/** How far a Mailgun signature's timestamp may lie in the past (its retries span hours) or in the future. */
export const MAILGUN_MAX_AGE_SECONDS = 12 * 3600;
export const MAILGUN_MAX_SKEW_SECONDS = 300;

/**
 * Mailgun's webhook signature: hex HMAC-SHA256(signing key, timestamp + token), with a timestamp no older than
 * MAILGUN_MAX_AGE_SECONDS. Throws a 401 refusal when it is missing, stale or wrong.
 */
export function verifyMailgunSignature(parts: FormPart[], signingKey: string, nowSeconds: number): void {
  const form = new Form(parts);
  const timestamp = form.text("timestamp")?.trim() ?? "";
  const token = form.text("token")?.trim() ?? "";
  const signature = form.text("signature")?.trim() ?? "";
  const refuse = (why: string) =>
    new AppError("unauthenticated", "MAILGUN_SIGNATURE_INVALID", `the Mailgun signature ${why}`);
  if (!timestamp || !token || !signature)
    throw refuse("is missing: timestamp, token and signature are required");
  if (!/^\d{1,12}$/.test(timestamp)) throw refuse("timestamp is not a number of seconds");
  const age = nowSeconds - Number(timestamp);
  if (age > MAILGUN_MAX_AGE_SECONDS || age < -MAILGUN_MAX_SKEW_SECONDS)
    throw refuse("timestamp is too far from now");
  const want = createHmac("sha256", signingKey)
    .update(timestamp + token)
    .digest();
  const got = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(0);
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw refuse("does not match");
}

/** Mailgun's route forward: the parsed form, or the raw MIME variant (`body-mime`). Mailgun's text is UTF-8. */
export function parseMailgun(parts: FormPart[]): Payload {
  const form = new Form(parts);
  const envelope = noEnvelope();
  const recipient = form.text("recipient");
  if (recipient) envelope.rcptTo.push(...recipient.split(",").map(oneLine).filter(Boolean));
  const sender = form.text("sender");
  envelope.mailFrom = sender ? oneLine(sender) : null;

  const mime = form.part("body-mime");
  if (mime) return { format: "mailgun", raw: mime.data, envelope };

  const list = form.json("message-headers");
  const headers: { name: string; value: string }[] = [];
  if (list !== null) {
    if (!Array.isArray(list)) throw invalid("message-headers", "must be a JSON array of [name, value]");
    list.forEach((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw invalid(`message-headers[${i}]`, "must be [name, value]");
      const kept = header(pair[0], pair[1], `message-headers[${i}]`);
      if (kept) headers.push(kept);
    });
  }
  const cids = (form.json("content-id-map") ?? {}) as Record<string, unknown>;
  if (typeof cids !== "object" || Array.isArray(cids))
    throw invalid("content-id-map", "must be a JSON object of content id → attachment field");
  const cidOf = (field: string) => cid(Object.keys(cids).find((k) => cids[k] === field) ?? null);
  const files = parts.filter((p) => /^attachment-\d+$/.test(p.name));
  if (files.length > MAX_ATTACHMENTS) throw invalid("attachments", `has more than ${MAX_ATTACHMENTS} files`);
  const attachments = files.map(
    (p): PartAttachment => ({
      filename: p.filename,
      contentType: p.contentType ?? "application/octet-stream",
      content: p.data,
      contentId: cidOf(p.name),
    }),
  );
  const from = form.text("from");
  const subject = form.text("subject");
  return {
    format: "mailgun",
    envelope,
    parts: {
      headers: capHeaders(headers),
      from: from ? oneLine(from) : null,
      to: addressField(form.text("To") ?? form.text("to")),
      cc: addressField(form.text("Cc") ?? form.text("cc")),
      replyTo: null,
      subject: subject === null ? null : oneLine(subject),
      text: form.text("body-plain"),
      html: form.text("body-html"),
      attachments,
    },
  };
}

// ---------------------------------------------------------------- envelope from the message itself

/**
 * Recipients and return path read from a message's own header block, for a payload without an envelope. Only
 * addresses at `domain` (one, or several: the installation's and the account's verified ones) count: the topmost Delivered-To or X-Original-To there (the final recipient an MTA
 * recorded), else every To and Cc address there; the topmost Return-Path is MAIL FROM.
 */
export function envelopeFromHeaders(
  block: string,
  domain: string | string[],
): { rcptTo: string[]; mailFrom: string | null } {
  const domains = [domain].flat().map((d) => `@${d.toLowerCase()}`);
  const fields = parseHeaderBlock(block);
  const first = (name: string) => fields.find((f) => f.name.toLowerCase() === name)?.value ?? null;
  const all = (name: string) => fields.filter((f) => f.name.toLowerCase() === name).map((f) => f.value);
  const ours = (values: string[]) =>
    values
      .flatMap((v) => addressesIn(oneLine(v)))
      .map((a) => a.toLowerCase())
      .filter((a) => domains.some((d) => a.endsWith(d)));
  const delivered = ours([first("delivered-to"), first("x-original-to")].filter((v) => v !== null));
  const rcptTo = delivered.length > 0 ? delivered.slice(0, 1) : ours([...all("to"), ...all("cc")]);
  const returnPath = first("return-path");
  const mailFrom = returnPath ? (addressesIn(oneLine(returnPath))[0] ?? null) : null;
  return { rcptTo: [...new Set(rcptTo)], mailFrom };
}
