import { createHash, createPrivateKey, sign } from "node:crypto";

export interface DkimKey {
  domain: string;
  selector: string;
  /** PEM, RSA (PKCS#1 or PKCS#8) or Ed25519. */
  privateKey: string;
}

/** Signed when present, in this order: what identifies and threads the message, and how to read its body. */
export const SIGNED_HEADERS = [
  "from",
  "sender",
  "reply-to",
  "subject",
  "date",
  "message-id",
  "to",
  "cc",
  "in-reply-to",
  "references",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
  "auto-submitted",
  "list-unsubscribe",
] as const;

/** Listed once more than present (RFC 6376 §8.15): a copy with one added breaks the signature. */
export const OVERSIGNED_HEADERS: ReadonlySet<string> = new Set(["from", "subject", "reply-to", "to", "cc"]);

interface Field {
  name: string;
  /** The whole field as it stands in the message, folding included, without the final CRLF. */
  text: string;
}

/** The header fields (latin1, so bytes survive) and the body of a CRLF message. */
function split(raw: Buffer): { fields: Field[]; body: string } {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? "" : text.slice(end + 4);
  const fields: Field[] = [];
  for (const line of head.split("\r\n")) {
    const last = fields[fields.length - 1];
    if (last && (line.startsWith(" ") || line.startsWith("\t"))) last.text += `\r\n${line}`;
    else if (line) fields.push({ name: line.slice(0, line.indexOf(":")).trim().toLowerCase(), text: line });
  }
  return { fields, body };
}

/** RFC 6376 §3.4.2, relaxed header canonicalization, with its CRLF. */
function relaxedHeader(text: string): string {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
  return `${name}:${value}\r\n`;
}

/** RFC 6376 §3.4.4, relaxed body canonicalization. */
function relaxedBody(body: string): string {
  const lines = body.split("\r\n").map((l) => l.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? "" : `${lines.join("\r\n")}\r\n`;
}

/** The h= list: each signed field as often as present, over-signed ones once more, absent others not at all. */
export function signedHeaderList(present: string[]): string[] {
  const list: string[] = [];
  for (const name of SIGNED_HEADERS) {
    const n = present.filter((p) => p === name).length + (OVERSIGNED_HEADERS.has(name) ? 1 : 0);
    for (let i = 0; i < n; i++) list.push(name);
  }
  return list;
}

/** Tags joined into lines of at most 78 characters; a long h= list folds after a colon; b= starts a line. */
function fold(tags: string[]): string {
  const lines: string[] = [];
  let line = "DKIM-Signature:";
  for (const tag of tags) {
    if (tag === "b=") {
      lines.push(line);
      line = " b=";
      continue;
    }
    for (const [i, piece] of tag.split(/(?<=:)/).entries()) {
      const sep = i === 0 ? " " : "";
      if (line.length + sep.length + piece.length > 78) {
        lines.push(line);
        line = ` ${piece}`;
      } else line += sep + piece;
    }
  }
  lines.push(line);
  return lines.join("\r\n");
}

/**
 * Returns the message with a DKIM-Signature header prepended: relaxed/relaxed, SHA-256, the fields of
 * SIGNED_HEADERS with OVERSIGNED_HEADERS over-signed. Written here rather than with mailauth, whose signer lists
 * only the fields present and so cannot over-sign.
 */
export async function dkimSignMessage(raw: Buffer, key: DkimKey, now = new Date()): Promise<Buffer> {
  const privateKey = createPrivateKey(key.privateKey);
  const type = privateKey.asymmetricKeyType;
  if (type !== "rsa" && type !== "ed25519")
    throw new Error(`DKIM signing failed: unsupported key type ${type}; use RSA or Ed25519`);
  const { fields, body } = split(raw);
  const bh = createHash("sha256").update(relaxedBody(body), "latin1").digest("base64");
  const h = signedHeaderList(fields.map((f) => f.name));

  // Each listed name takes the next instance of that field from the bottom up (RFC 6376 §5.4.2).
  const remaining = new Map<string, Field[]>();
  for (const f of fields) remaining.set(f.name, [...(remaining.get(f.name) ?? []), f]);
  let signed = "";
  for (const name of h) {
    const f = remaining.get(name)?.pop();
    if (f) signed += relaxedHeader(f.text);
  }

  const tags = [
    "v=1;",
    `a=${type}-sha256;`,
    "c=relaxed/relaxed;",
    `d=${key.domain};`,
    `s=${key.selector};`,
    `t=${Math.floor(now.getTime() / 1000)};`,
    `h=${h.join(":")};`,
    `bh=${bh};`,
    "b=",
  ];
  const header = fold(tags);
  const data = Buffer.from(signed + relaxedHeader(header).slice(0, -2), "latin1");
  const b = (
    type === "rsa"
      ? sign("sha256", data, privateKey)
      : sign(null, createHash("sha256").update(data).digest(), privateKey)
  ).toString("base64");
  // The b= value is removed before verifying, so its folding is free.
  const folded = `${b.slice(0, 72)}${b.slice(72).replace(/(.{1,76})/g, "\r\n $1")}`;
  return Buffer.concat([Buffer.from(`${header}${folded}\r\n`, "latin1"), raw]);
}
