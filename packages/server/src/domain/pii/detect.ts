import { isIPv4, isIPv6 } from "node:net";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { usBankNumber, usDriverLicense, usPassport } from "./context-numbers.ts";
import { cryptoAddresses } from "./crypto-addresses.ts";
import { medicalLicense, saidBefore, ukNhs, usItin } from "./id-numbers.ts";

export const PII_TYPES = [
  "EMAIL_ADDRESS",
  "PHONE_NUMBER",
  "CREDIT_CARD",
  "US_SSN",
  "IBAN_CODE",
  "IP_ADDRESS",
  "PERSON",
  "US_BANK_NUMBER",
  "US_DRIVER_LICENSE",
  "US_ITIN",
  "US_PASSPORT",
  "UK_NHS",
  "MEDICAL_LICENSE",
  "CRYPTO",
] as const;
export type PiiType = (typeof PII_TYPES)[number];

export interface PiiSpan {
  type: PiiType;
  start: number;
  end: number;
  /** How sure the detector is, 0..1: a checksum-verified number is surer than a phone-shaped one. */
  score: number;
}

/**
 * Every detector scans in linear time: candidates come from regexes without nested or adjacent unbounded
 * quantifiers, or from a hand-written scan (email), and are then validated (checksums, number plans).
 */
type Detector = (text: string) => PiiSpan[];

// --- EMAIL_ADDRESS: expand around each "@" (a regex started at every letter would be quadratic on long words).
const LOCAL = /[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]/;
const DOMAIN = /[A-Za-z0-9.-]/;
const email: Detector = (text) => {
  const out: PiiSpan[] = [];
  let lastEnd = 0;
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let s = at;
    while (s > lastEnd && at - s < 64 && LOCAL.test(text[s - 1]!)) s--;
    let e = at + 1;
    while (e < text.length && e - at <= 253 && DOMAIN.test(text[e]!)) e++;
    while (s < at && text[s] === ".") s++;
    while (e > at + 1 && (text[e - 1] === "." || text[e - 1] === "-")) e--;
    const domain = text.slice(at + 1, e);
    if (s === at || !/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$/.test(domain)) continue;
    out.push({ type: "EMAIL_ADDRESS", start: s, end: e, score: 0.95 });
    lastEnd = e;
  }
  return out;
};

// --- CREDIT_CARD: 12 to 19 digits, optionally grouped by spaces or dashes, passing the Luhn check.
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
const CARD = /(?<![\d+-])\d(?:[ -]?\d){11,18}(?![\d-])/g;
const creditCard: Detector = (text) => {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/\D/g, "");
    if (!luhnValid(digits) || /^(\d)\1+$/.test(digits)) continue;
    // Known issuer prefixes make it surer; any Luhn-valid 12–19 digit number still counts.
    const issuer = /^(4|5[1-5]|2[2-7]|3[47]|3[068]|6011|65|64[4-9]|35|62|50|5[6-9]|6[0-9]|18|21)/.test(
      digits,
    );
    out.push({ type: "CREDIT_CARD", start: m.index, end: m.index + m[0].length, score: issuer ? 0.95 : 0.8 });
  }
  return out;
};

// --- US_SSN: AAA-GG-SSSS with the SSA's never-issued ranges excluded; bare nine digits only near the words.
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === "000" || area === "666" || area[0] === "9") return false;
  if (group === "00" || serial === "0000") return false;
  // Numbers published as examples (Woolworth's wallet card, advertising) are not anyone's.
  return !["078-05-1120", "219-09-9999", "123-45-6789"].includes(`${area}-${group}-${serial}`);
}
const SSN = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g;
const SSN_BARE = /(?<!\d)(\d{3})(\d{2})(\d{4})(?!\d)/g;
const SSN_CONTEXT = /\b(ssn|social security|soc\.? sec)/i;
const usSsn: Detector = (text) => {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(SSN)) {
    if (ssnValid(m[1]!, m[3]!, m[4]!))
      out.push({ type: "US_SSN", start: m.index, end: m.index + m[0].length, score: 0.85 });
  }
  for (const m of text.matchAll(SSN_BARE)) {
    if (saidBefore(text, m.index, SSN_CONTEXT) && ssnValid(m[1]!, m[2]!, m[3]!))
      out.push({ type: "US_SSN", start: m.index, end: m.index + m[0].length, score: 0.6 });
  }
  return out;
};

// --- IBAN_CODE: country code, two check digits, 11–30 alphanumerics (spaces every four allowed), ISO 7064 mod 97.
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const v = ch >= "A" ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rest = v > 9 ? (rest * 100 + v) % 97 : (rest * 10 + v) % 97;
  }
  return rest === 1;
}
const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g;
const iban: Detector = (text) => {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(IBAN)) {
    // The greedy match may have taken trailing words: shrink from the right until the checksum holds.
    let cand = m[0];
    while (cand.replace(/\s/g, "").length >= 15) {
      if (ibanValid(cand)) {
        out.push({ type: "IBAN_CODE", start: m.index, end: m.index + cand.length, score: 1 });
        break;
      }
      cand = cand.slice(0, cand.lastIndexOf(" ") > 4 ? cand.lastIndexOf(" ") : cand.length - 1).trimEnd();
    }
  }
  return out;
};

// --- IP_ADDRESS: dotted quads and IPv6, validated by node:net.
// Not inside a longer dotted number, but a sentence's full stop may follow.
const IPV4 = /(?<!\d|\d\.)\d{1,3}(?:\.\d{1,3}){3}(?!\d|\.\d)/g;
const IPV6 = /(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Fa-f:])/g;
const ipAddress: Detector = (text) => {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(IPV4)) {
    if (isIPv4(m[0]))
      out.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
  }
  for (const m of text.matchAll(IPV6)) {
    if (m[0].replace(/:/g, "").length >= 4 && isIPv6(m[0]))
      out.push({ type: "IP_ADDRESS", start: m.index, end: m.index + m[0].length, score: 0.85 });
  }
  return out;
};

// --- PHONE_NUMBER: phone-shaped runs checked against number plans. International numbers (+CC) need only be
// possible lengths for their country; national ones need a national shape (a trunk "0", an area code in
// parentheses, or the North American 3-3-4) and a valid number in one of the regions mail most often comes from.
const PHONE = /(?<![\w+/.-])(?:\+|00)?\(?\d[\d .()-]{5,22}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w/-])/g;
const REGIONS = [
  "US",
  "GB",
  "DE",
  "FR",
  "IT",
  "ES",
  "NL",
  "BE",
  "CH",
  "AT",
  "SE",
  "IE",
  "AU",
  "CA",
  "IN",
  "BR",
  "ZA",
] as const;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/;
const NATIONAL_SHAPE = /^(?:0|\(\d)|^\d{3}[-. ]\d{3}[-. ]\d{4}(?!\d)|^[2-9]\d{9}$/;
/**
 * Number-plan checks are the costly part of phone detection; the same candidate (a signature's number) recurs,
 * so verdicts are remembered, bounded.
 */
const phoneVerdicts = new Map<string, number>();
function phoneScore(cleaned: string, digits: number): number {
  const hit = phoneVerdicts.get(cleaned);
  if (hit !== undefined) return hit;
  let score = 0;
  if (cleaned.startsWith("+")) {
    const n = parsePhoneNumberFromString(cleaned);
    if (n?.isValid()) score = 0.85;
    else if (n?.isPossible() && digits >= 9) score = 0.7;
  } else if (NATIONAL_SHAPE.test(cleaned)) {
    if (REGIONS.some((r) => parsePhoneNumberFromString(cleaned, r)?.isValid() === true)) score = 0.65;
  }
  if (phoneVerdicts.size >= 10_000) phoneVerdicts.clear();
  phoneVerdicts.set(cleaned, score);
  return score;
}

const phoneNumber: Detector = (text) => {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(PHONE)) {
    const raw = m[0];
    const digits = raw.replace(/\D/g, "");
    if (digits.length < 7 || digits.length > 17 || DATE_LIKE.test(raw)) continue;
    // "+41 (0)38 …": the trunk zero in parentheses is not dialled after a country code.
    const cleaned = raw.replace(/^(\+\d{1,3})\s*\(0\)\s*/, "$1 ").replace(/^00/, "+");
    const score = phoneScore(cleaned, digits.length);
    if (score > 0) out.push({ type: "PHONE_NUMBER", start: m.index, end: m.index + raw.length, score });
  }
  return out;
};

// --- PERSON: without a language model only where the text says it is a name: after a title or a phrase that
// introduces one ("my name is", "Dear"). Low recall, high precision — see docs/safety.md for the figures.
const NAME = String.raw`\p{Lu}[\p{L}'’-]+(?:[ \t]+(?:\p{Lu}\.|\p{Lu}[\p{L}'’-]+)){0,3}`;
const LOWER_NAME = String.raw`\p{L}[\p{L}'’-]+(?:[ \t]+\p{L}[\p{L}'’-]+)?`;
const TITLED = new RegExp(String.raw`\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?[ \t]+(${NAME})`, "gu");
const INTRODUCED = new RegExp(String.raw`\b(?:[Dd]ear|(?:was |is )?called|named)[ \t]+(${NAME})`, "gu");
const MY_NAME = new RegExp(String.raw`\bmy name is[ \t]+(${LOWER_NAME})`, "giu");
const person: Detector = (text) => {
  const out: PiiSpan[] = [];
  const lower = text.toLowerCase();
  for (const [re, score, hint] of [
    [TITLED, 0.7, null],
    [INTRODUCED, 0.6, null],
    [MY_NAME, 0.6, "my name is"],
  ] as const) {
    if (hint && !lower.includes(hint)) continue;
    for (const m of text.matchAll(re)) {
      const start = m.index + m[0].length - m[1]!.length;
      out.push({ type: "PERSON", start, end: start + m[1]!.length, score });
    }
  }
  return out;
};

const DETECTORS: Record<PiiType, Detector> = {
  PERSON: person,
  EMAIL_ADDRESS: email,
  CREDIT_CARD: creditCard,
  US_SSN: usSsn,
  IBAN_CODE: iban,
  IP_ADDRESS: ipAddress,
  PHONE_NUMBER: phoneNumber,
  US_BANK_NUMBER: usBankNumber,
  US_DRIVER_LICENSE: usDriverLicense,
  US_ITIN: usItin,
  US_PASSPORT: usPassport,
  UK_NHS: ukNhs,
  MEDICAL_LICENSE: medicalLicense,
  CRYPTO: cryptoAddresses,
};

/**
 * Which detector wins when spans overlap: the one with the stronger validation — checksums, then fixed formats,
 * then numbers known only by the words before them. A bank account number (any 8–17 digits after the words)
 * yields to every other reading of the same digits.
 */
const PRIORITY: Record<PiiType, number> = {
  IBAN_CODE: 13,
  CRYPTO: 12,
  CREDIT_CARD: 11,
  EMAIL_ADDRESS: 10,
  US_SSN: 9,
  US_ITIN: 8,
  UK_NHS: 7,
  MEDICAL_LICENSE: 6,
  US_PASSPORT: 5,
  US_DRIVER_LICENSE: 4,
  IP_ADDRESS: 3,
  PHONE_NUMBER: 2,
  US_BANK_NUMBER: 1,
  PERSON: 0,
};
/** A finding made without the evidence its type usually needs (score under 0.5) yields to any other. */
const rankOf = (s: PiiSpan) => (s.score < 0.5 ? -1 : PRIORITY[s.type]);

/** Finds PII in text; overlapping findings are resolved in favour of the better-validated type. */
export function detectPii(text: string, types: readonly PiiType[] = PII_TYPES): PiiSpan[] {
  const found: PiiSpan[] = [];
  for (const t of types) found.push(...DETECTORS[t](text));
  // Overlaps can only occur within a cluster of spans that chain into each other; resolve each cluster alone,
  // so a text with thousands of findings costs n log n, not n².
  found.sort((a, b) => a.start - b.start);
  const kept: PiiSpan[] = [];
  for (let i = 0; i < found.length; ) {
    let end = found[i]!.end;
    let j = i + 1;
    while (j < found.length && found[j]!.start < end) end = Math.max(end, found[j++]!.end);
    const cluster = found
      .slice(i, j)
      .sort((a, b) => rankOf(b) - rankOf(a) || b.end - b.start - (a.end - a.start));
    const chosen: PiiSpan[] = []; // kept sorted by start, never overlapping: check the neighbours only
    for (const s of cluster) {
      let lo = 0;
      let hi = chosen.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (chosen[mid]!.start < s.start) lo = mid + 1;
        else hi = mid;
      }
      const prev = chosen[lo - 1];
      const next = chosen[lo];
      if ((prev && prev.end > s.start) || (next && next.start < s.end)) continue;
      chosen.splice(lo, 0, s);
    }
    kept.push(...chosen);
    i = j;
  }
  return kept;
}
