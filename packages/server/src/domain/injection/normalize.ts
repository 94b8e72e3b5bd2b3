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
/** Runs of base64 characters at least this long are decoded. */
const MIN_BLOB = 40;

/** Where runs of base64 alphabet characters of at least MIN_BLOB start and end: one pass, no regex restarts. */
function base64Runs(text: string): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    const b64 = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (b64) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start >= MIN_BLOB) runs.push([start, i]);
      start = -1;
    }
  }
  return runs;
}
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
  for (const [start, end] of base64Runs(text)) {
    if (decoded.length >= MAX_BLOBS || budget <= 0) break;
    const bytes = Buffer.from(text.slice(start, Math.min(end, start + budget * 2)), "base64");
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
