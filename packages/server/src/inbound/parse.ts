import { createHash } from "node:crypto";
import { type AddressObject, simpleParser } from "mailparser";
import { isStorableDate, safeDeep } from "../domain/safe-text.ts";
import { parseMessageIds } from "../domain/thread-keys.ts";

export interface Mailbox {
  address: string;
  name: string;
}

/** What the rest of the pipeline needs from a MIME message. */
export interface ParsedMessage {
  messageId: string | null;
  from: Mailbox | null;
  to: Mailbox[];
  cc: Mailbox[];
  replyTo: Mailbox[];
  subject: string | null;
  date: Date | null;
  inReplyTo: string | null;
  references: string[];
  text: string | null;
  html: string | null;
  attachments: ParsedAttachment[];
  /** Raw values of the headers that tell a machine's mail from a person's (lower-case names, first occurrence). */
  automationHeaders: Record<string, string>;
}

/** One attachment as the MIME message carries it: its labels as sent, and its decoded bytes. */
export interface ParsedAttachment {
  filename: string | null;
  content_type: string;
  size: number;
  content: Buffer;
  contentId: string | null;
  contentDisposition: string | null;
}

const AUTOMATION_HEADERS = new Set([
  "auto-submitted",
  "precedence",
  "list-id",
  "list-unsubscribe",
  "x-auto-response-suppress",
  "x-autoreply",
  "x-autorespond",
]);

function flatten(value: AddressObject | AddressObject[] | undefined): Mailbox[] {
  if (!value) return [];
  const objects = Array.isArray(value) ? value : [value];
  const out: Mailbox[] = [];
  const walk = (entries: AddressObject["value"]) => {
    for (const e of entries) {
      if (e.group) walk(e.group);
      else if (e.address) out.push({ address: e.address.toLowerCase(), name: e.name ?? "" });
    }
  };
  for (const o of objects) walk(o.value);
  return out;
}

/**
 * Parses raw MIME. mailparser tolerates malformed input; anything it cannot read becomes null. Every string of the
 * result is made safe to store here, once (NUL, unpaired surrogates: see safe-text.ts).
 */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  const mail = await simpleParser(raw, {
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    maxHtmlLengthToParse: 5 * 1024 * 1024,
  });
  const from = flatten(mail.from)[0] ?? null;
  const inReplyTo = parseMessageIds(mail.inReplyTo)[0] ?? null;
  // A date PostgreSQL cannot store (year 0, year 10000) is as good as none.
  const date = mail.date && isStorableDate(mail.date) ? mail.date : null;
  return safeDeep({
    messageId: parseMessageIds(mail.messageId)[0] ?? null,
    from,
    to: flatten(mail.to),
    cc: flatten(mail.cc),
    replyTo: flatten(mail.replyTo),
    subject: mail.subject ?? null,
    date,
    inReplyTo,
    references: parseMessageIds(mail.references),
    text: mail.text ?? null,
    html: typeof mail.html === "string" ? mail.html : null,
    attachments: mail.attachments.map((a) => ({
      filename: a.filename ?? null,
      content_type: a.contentType,
      size: a.size,
      content: a.content,
      contentId: (a.contentId ?? a.cid)?.replace(/^<|>$/g, "") ?? null,
      contentDisposition: a.contentDisposition ?? null,
    })),
    automationHeaders: automationHeaders(mail.headerLines),
  });
}

function automationHeaders(lines: readonly { key: string; line: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, line } of lines) {
    const k = key.toLowerCase();
    if (!AUTOMATION_HEADERS.has(k) || k in out) continue;
    out[k] = line
      .slice(line.indexOf(":") + 1)
      .replace(/\r?\n[ \t]+/g, " ")
      .trim()
      .slice(0, 500);
  }
  return out;
}

/** Byte length of the header block, or null when no blank line ends it within `limit` bytes. */
export function headerBlockLength(raw: Buffer, limit: number): number | null {
  const end = Math.min(raw.length, limit + 4);
  const crlf = raw.subarray(0, end).indexOf("\r\n\r\n");
  const lf = raw.subarray(0, end).indexOf("\n\n");
  const found = [crlf, lf].filter((i) => i >= 0);
  if (found.length === 0) return raw.length <= limit ? raw.length : null;
  return Math.min(...found);
}

/** Where the body starts: after the first empty line (CRLF or bare LF); the end of the message if there is none. */
function bodyStart(raw: Buffer): number {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return raw.length;
}

/** The header block, without the empty line that ends it. */
export function headerBlock(raw: Buffer): Buffer {
  return raw.subarray(0, bodyStart(raw));
}

/** SHA-256 (hex) of the body bytes as received: everything after the header block's empty line. */
export function bodySha256(raw: Buffer): string {
  return createHash("sha256")
    .update(raw.subarray(bodyStart(raw)))
    .digest("hex");
}

/** A header's value from a raw message's header block (first occurrence, unfolded), or null. */
export function headerValue(raw: Buffer, name: string): string | null {
  const block = headerBlock(raw)
    .toString("latin1")
    .replace(/\r?\n[ \t]+/g, " ");
  const wanted = `${name.toLowerCase()}:`;
  for (const line of block.split(/\r?\n/))
    if (line.toLowerCase().startsWith(wanted)) return line.slice(wanted.length).trim();
  return null;
}
