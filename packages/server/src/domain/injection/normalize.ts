/**
 * Text as the injection scorer reads it, with the tricks used to hide instructions undone and counted:
 * NFKC (full-width and styled letters), zero-width and bidirectional controls removed, Unicode "tag"
 * characters (an invisible copy of ASCII) decoded, and base64 blobs decoded when they hold text.
 */
export interface Normalized {
  text: string;
  /** Zero-width and bidi control characters removed. */
  invisible: number;
  /** Unicode tag characters (U+E0000–E007F) decoded to ASCII: text meant to be read by a model, not a person. */
  tagged: number;
  /** Text decoded from base64 blobs, scored with the rest. */
  decoded: string[];
}

const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u00ad\u180e]/g;
const TAGS = /[\u{e0000}-\u{e007f}]/gu;
const BASE64 = /[A-Za-z0-9+/]{40,}={0,2}/g;
/** Decoding stops after this many blobs / bytes: a message of base64 cannot make the scorer do unbounded work. */
const MAX_BLOBS = 20;
const MAX_DECODED = 64 * 1024;

export function normalizeForScoring(input: string): Normalized {
  let tagged = 0;
  let text = input.replace(TAGS, (c) => {
    tagged++;
    const cp = c.codePointAt(0)! - 0xe0000;
    return cp >= 0x20 && cp < 0x7f ? String.fromCharCode(cp) : "";
  });
  let invisible = 0;
  text = text.replace(INVISIBLE, () => {
    invisible++;
    return "";
  });
  text = text.normalize("NFKC");
  const decoded: string[] = [];
  let budget = MAX_DECODED;
  for (const m of text.matchAll(BASE64)) {
    if (decoded.length >= MAX_BLOBS || budget <= 0) break;
    const bytes = Buffer.from(m[0].slice(0, budget * 2), "base64");
    const s = bytes.toString("utf8");
    // Only text counts: mostly printable, not an image or a key.
    const printable = s.replace(/[^\x20-\x7e\n\r\t\u00a0-\uffff]/g, "").length;
    // Fixed-length pattern: "[a-z]{3,} " would backtrack quadratically over a long run of letters.
    if (s.length >= 20 && printable / s.length > 0.95 && /[a-z]{3} [a-z]{2}/i.test(s)) {
      decoded.push(s.normalize("NFKC"));
      budget -= s.length;
    }
  }
  return { text, invisible, tagged, decoded };
}
