/**
 * Text as the injection scorer reads it, with the tricks used to hide instructions undone and counted: NFKC
 * (full-width and styled letters), zero-width and bidirectional controls removed, Unicode "tag" characters (an
 * invisible copy of ASCII) decoded, look-alike letters of other scripts inside Latin words folded to Latin, and
 * encoded blobs (base64, base32, hex, URL encoding, ROT13 when the text talks of decoding) decoded when they
 * hold text. Every step is bounded, so a message cannot make the scorer do unbounded work.
 */
export interface Normalized {
  text: string;
  /** Zero-width and bidi control characters removed. */
  invisible: number;
  /** Unicode tag characters (U+E0000–E007F) decoded to ASCII: text meant to be read by a model, not a person. */
  tagged: number;
  /** Words that mixed Latin letters with look-alikes from Cyrillic or Greek (folded to Latin). */
  homoglyphs: number;
  /** Text decoded from encoded blobs (and lines written in ROT13) that reads as text: scored with the rest. */
  decoded: string[];
  /**
   * The whole text read in ROT13, when it talks of ciphers but no line looks like ROT13: a guess, scored only if
   * it carries an attack signal (ROT13 of ordinary text is gibberish).
   */
  guessed: string[];
}

const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u00ad\u180e]/g;
const TAGS = /[\u{e0000}-\u{e007f}]/gu;

/** Cyrillic and Greek letters that look like Latin ones, and the Latin letter each is read as. */
const CONFUSABLE: Record<string, string> = {
  а: "a",
  в: "b",
  е: "e",
  к: "k",
  м: "m",
  н: "h",
  о: "o",
  р: "p",
  с: "c",
  т: "t",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  ɡ: "g",
  α: "a",
  β: "b",
  ε: "e",
  ι: "i",
  κ: "k",
  ν: "v",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  χ: "x",
  ϲ: "c",
  ѵ: "v",
  ӏ: "l",
};
const CONFUSABLE_CHARS = new RegExp(`[${Object.keys(CONFUSABLE).join("")}]`, "gi");
const LETTERS = /\p{L}+/gu;
const LATIN = /[a-z]/i;
const LOOKALIKE_SCRIPT = /[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\u0261]/;

/** Decoding stops after this many blobs / characters. */
const MAX_BLOBS = 20;
const MAX_DECODED = 64 * 1024;
/** Runs shorter than this are not treated as encoded text. */
const MIN_BLOB = 24;

/** Where runs of characters of an alphabet (a char-code test) of at least `min` start and end; one pass. */
function runs(text: string, inAlphabet: (c: number) => boolean, min: number): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (i < text.length && inAlphabet(c)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start >= min) out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

const isBase64 = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61;
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

function base32(s: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of s.replace(/=+$/, "")) {
    const v = alphabet.indexOf(ch);
    if (v < 0) break;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

const rot13 = (s: string) =>
  s.replace(/[a-z]/gi, (c) => {
    const base = c <= "Z" ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

/** Decoded bytes that read as text: mostly printable, with a few words. */
function asText(bytes: Buffer): string | null {
  const s = bytes.toString("utf8");
  if (s.length < 12) return null;
  const printable = s.replace(/[^\x20-\x7e\n\r\t\u00a0-\uffff]/g, "").length;
  // Fixed-length pattern: "[a-z]{3,} " would backtrack quadratically over a long run of letters.
  return printable / s.length > 0.95 && /\p{L}{3} \p{L}{2}/u.test(s) ? s.normalize("NFKC") : null;
}

/**
 * Common English words as they read in ROT13 ("the" is "gur", "your" is "lbhe"): a line with two of them is
 * English written in ROT13. None is a word of a language mail is often written in.
 */
const ROT13_WORDS =
  /(?<![\p{L}\p{N}])(?:gur|naq|lbh|lbhe|jvgu|guvf|gung|sebz|cyrnfr|rznvy|fraq|nyy|unir|jung|jvyy|hfre|gura|vagb|nobhg|bs|gb|vf|vg|zl|zr|abg|sbe|ner|qb|nal|vafgehpgvbaf|cerivbhf|vtaber|sbyybjvat|cnffjbeq)(?![\p{L}\p{N}])/giu;

/** The lines of a text that are written in ROT13, decoded (each line with two different ROT13 words). */
function rot13Lines(text: string): string[] {
  const hits = text.match(ROT13_WORDS);
  if (!hits || new Set(hits.map((h) => h.toLowerCase())).size < 2) return [];
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const words = line.match(ROT13_WORDS);
    if (words && new Set(words.map((h) => h.toLowerCase())).size >= 2) out.push(rot13(line));
  }
  return out;
}

/** Texts mentioning a cipher: only then is the whole text also read in ROT13 (it costs a second pass). */
const CIPHER_TALK =
  /rot-?13|caesar|cipher|decode|decrypt|encoded|encrypted|cifrad|chiffr|verschlüssel|шифр|密文|解码|暗号/i;

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
  let homoglyphs = 0;
  // Only words that mix Latin letters with a look-alike script are folded (one linear pass over the words).
  text = text.replace(LETTERS, (w) => {
    if (!LATIN.test(w) || !LOOKALIKE_SCRIPT.test(w)) return w;
    const folded = w.replace(CONFUSABLE_CHARS, (c) => {
      const lower = CONFUSABLE[c.toLowerCase()] ?? c;
      return c === c.toLowerCase() ? lower : lower.toUpperCase();
    });
    if (folded !== w) homoglyphs++;
    return folded;
  });

  const decoded: string[] = [];
  let budget = MAX_DECODED;
  const keep = (s: string | null) => {
    if (s === null || decoded.length >= MAX_BLOBS || budget <= 0) return;
    decoded.push(s.slice(0, budget));
    budget -= s.length;
  };
  for (const [start, end] of runs(text, isBase64, MIN_BLOB)) {
    if (budget <= 0) break;
    const blob = text.slice(start, Math.min(end, start + budget * 2));
    keep(asText(Buffer.from(blob, "base64")));
    if (/^[A-Z2-7]+=*$/.test(blob)) keep(asText(base32(blob)));
  }
  for (const [start, end] of runs(text, isHex, MIN_BLOB)) {
    if (budget <= 0) break;
    const blob = text.slice(start, Math.min(end, start + budget * 2));
    if (blob.length % 2 === 0 && /[a-f]/i.test(blob) && /\d/.test(blob))
      keep(asText(Buffer.from(blob, "hex")));
  }
  const percent = text.includes("%")
    ? text.match(/(?:%[0-9a-f]{2}|[\w.~+-]){12,}/gi)?.filter((r) => (r.match(/%/g)?.length ?? 0) >= 4)
    : undefined;
  for (const run of percent?.slice(0, MAX_BLOBS) ?? []) {
    try {
      keep(asText(Buffer.from(decodeURIComponent(run.replace(/\+/g, " ")), "utf8")));
    } catch {
      // Not valid percent-encoding: nothing to read.
    }
  }
  const lines = rot13Lines(text.slice(0, MAX_DECODED));
  if (lines.length > 0) keep(lines.join("\n"));
  const guessed = lines.length === 0 && CIPHER_TALK.test(text) ? [rot13(text.slice(0, MAX_DECODED))] : [];
  return { text, invisible, tagged, homoglyphs, decoded, guessed };
}
