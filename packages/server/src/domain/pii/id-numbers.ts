import type { PiiSpan } from "./detect.ts";

/** Whether one of the words appears in the `reach` characters before `index`. */
export function saidBefore(text: string, index: number, words: RegExp, reach = 40): boolean {
  return words.test(text.slice(Math.max(0, index - reach), index));
}

// --- US_ITIN: 9XX-XX-XXXX, the IRS's group ranges; nine bare digits only after the words.
/** The group (middle two digits) ranges the IRS issues ITINs in: 50–65, 70–88, 90–92, 94–99. */
export function itinValid(area: string, group: string): boolean {
  if (area[0] !== "9") return false;
  const g = Number(group);
  return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || g >= 94;
}
const ITIN = /(?<![\d-])(9\d{2})([- ])(\d{2})\2(\d{4})(?![\d-])/g;
const ITIN_BARE = /(?<!\d)(9\d{2})(\d{2})(\d{4})(?!\d)/g;
const ITIN_CONTEXT = /\b(?:I?TIN|tax(?:payer)? id(?:entification)?)\b/i;
export function usItin(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(ITIN))
    if (itinValid(m[1]!, m[3]!))
      out.push({ type: "US_ITIN", start: m.index, end: m.index + m[0].length, score: 0.85 });
  for (const m of text.matchAll(ITIN_BARE))
    if (itinValid(m[1]!, m[2]!) && saidBefore(text, m.index, ITIN_CONTEXT))
      out.push({ type: "US_ITIN", start: m.index, end: m.index + m[0].length, score: 0.6 });
  return out;
}

// --- UK_NHS: ten digits with the modulus-11 check digit. One in eleven random numbers passes, so the words must
// be near; without them only the NHS's own printed form (3 3 4, spaced) counts, as a weak finding.
export function nhsValid(digits: string): boolean {
  if (!/^\d{10}$/.test(digits) || /^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === digits.charCodeAt(9) - 48;
}
const NHS = /(?<![\d-])\d{3}([ -]?)\d{3}\1\d{4}(?![\d-])/g;
const NHS_CONTEXT =
  /\b(?:NHS\b|national health|health service|health (?:and care )?number|patient (?:number|no|id))/i;
export function ukNhs(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(NHS)) {
    if (!nhsValid(m[0].replace(/\D/g, ""))) continue;
    const score = saidBefore(text, m.index, NHS_CONTEXT, 48) ? 0.9 : m[1] === " " ? 0.4 : 0;
    if (score > 0) out.push({ type: "UK_NHS", start: m.index, end: m.index + m[0].length, score });
  }
  return out;
}

// --- MEDICAL_LICENSE: DEA registration numbers — a registrant-type letter, the registrant's initial (or 9 for a
// business), seven digits whose last is the DEA check digit.
export function deaValid(number: string): boolean {
  const m = /^[ABCDEFGHJKLMPRSTUX][A-Z9](\d{7})$/.exec(number);
  if (!m) return false;
  const d = [...m[1]!].map(Number);
  return (d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!)) % 10 === d[6];
}
const DEA = /(?<![A-Za-z0-9])[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}(?![A-Za-z0-9])/g;
const DEA_CONTEXT = /\b(?:DEA|registration|prescriber|licen[cs]e)/i;
export function medicalLicense(text: string): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const m of text.matchAll(DEA))
    if (deaValid(m[0]))
      out.push({
        type: "MEDICAL_LICENSE",
        start: m.index,
        end: m.index + m[0].length,
        score: saidBefore(text, m.index, DEA_CONTEXT) ? 0.95 : 0.7,
      });
  return out;
}
