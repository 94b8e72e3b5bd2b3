import MailComposer from "nodemailer/lib/mail-composer";
import { foldLines } from "nodemailer/lib/mime-funcs";
import type { BridgeFormat, MessageParts, PartAddress } from "./bridge-payloads.ts";
import { parseHeaderBlock } from "./bridge-payloads.ts";

/** A verbatim header line: its folds kept, any other line break (an injection) made a space, long lines folded. */
function headerLine(name: string, value: string): string {
  const safe = value.replace(/\r?\n(?![ \t])|\r(?!\n)/g, " ").replace(/\r?\n/g, "\r\n");
  const line = `${name}: ${safe}`;
  return line.split("\r\n").some((l) => Buffer.byteLength(l) > 998)
    ? foldLines(line).replace(/\r?\n$/, "")
    : line;
}

const addr = (a: PartAddress | string) => (typeof a === "string" ? a : a.name ? a : a.address);

/**
 * Rebuilds an RFC 5322 message from a provider's parts with nodemailer's composer. The provider's header lines
 * come first and verbatim (trace headers stay on top, encoded words stay as sent); decoded fields fill in only the
 * headers those lines lack, encoded by the composer; the MIME structure is the composer's. The added
 * `X-Postbox-Reconstructed` header says the bytes are not the ones the sender's server sent.
 */
export async function composeFromParts(parts: MessageParts, format: BridgeFormat): Promise<Buffer> {
  const has = (name: string) => parts.headers.some((h) => h.name.toLowerCase() === name);
  const composer = new MailComposer({
    from: has("from") || !parts.from ? undefined : addr(parts.from),
    to: has("to") || parts.to.length === 0 ? undefined : parts.to.map(addr),
    cc: has("cc") || parts.cc.length === 0 ? undefined : parts.cc.map(addr),
    replyTo: has("reply-to") || !parts.replyTo ? undefined : parts.replyTo,
    subject: has("subject") || parts.subject === null ? undefined : parts.subject,
    text: parts.text ?? (parts.html === null ? "" : undefined),
    html: parts.html ?? undefined,
    attachments: parts.attachments.map((a) => ({
      filename: a.filename ?? undefined,
      contentType: a.contentType,
      content: a.content,
      ...(a.contentId ? { cid: a.contentId } : {}),
    })),
    headers: { "X-Postbox-Reconstructed": format },
  });
  const built = await composer.compile().build();
  const split = built.indexOf("\r\n\r\n");
  const composed = parseHeaderBlock(built.subarray(0, split).toString("latin1"));
  // The composer adds Date and Message-ID when missing; the provider's own win.
  const own = composed.filter((h) => !has(h.name.toLowerCase()));
  const verbatim = parts.headers.map((h) => `${headerLine(h.name, h.value)}\r\n`).join("");
  const rest = own.map((h) => `${h.name}: ${h.value}\r\n`).join("");
  return Buffer.concat([
    Buffer.from(verbatim, "utf8"),
    Buffer.from(rest, "latin1"),
    built.subarray(split + 2),
  ]);
}
