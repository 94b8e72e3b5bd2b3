import type { PiiSpan, PiiType } from "./detect.ts";

/**
 * Numbers that are anyone's only where the text says what they are: passport, driver's licence and bank account
 * numbers have no checksum. Each mention of the words opens a short window, and the first number-shaped token in
 * it is the finding. Windows are bounded, so the scan stays linear however often the words recur.
 */
interface ContextRule {
  type: PiiType;
  /** The words, global; matched anywhere in the text. */
  words: RegExp;
  /** The value's shape, global; tried in the window after the words. */
  value: RegExp;
  /** Further checks on a token of that shape. */
  accept?: (token: string) => boolean;
  score: number;
}

/** How far after the words the value may start ("passport number is: …"). */
const REACH = 32;
/** The longest value any rule takes, with separators: bounds each window. */
const LONGEST = 40;

function findAfterWords(text: string, rule: ContextRule): PiiSpan[] {
  const out: PiiSpan[] = [];
  let taken = 0;
  for (const w of text.matchAll(rule.words)) {
    const from = w.index + w[0].length;
    if (from < taken) continue;
    const window = text.slice(from, from + REACH + LONGEST);
    rule.value.lastIndex = 0;
    for (let m = rule.value.exec(window); m && m.index <= REACH; m = rule.value.exec(window)) {
      // A value cut off by the window's end is not a value.
      if (m.index + m[0].length === window.length && from + window.length < text.length) break;
      if (rule.accept && !rule.accept(m[0])) continue;
      out.push({
        type: rule.type,
        start: from + m.index,
        end: from + m.index + m[0].length,
        score: rule.score,
      });
      taken = from + m.index + m[0].length;
      break;
    }
  }
  return out;
}

const DATE_LIKE = /^\d{4}-\d{2}-\d{2}$|^\d{1,2}-\d{1,2}-\d{2,4}$/;

const PASSPORT: ContextRule = {
  type: "US_PASSPORT",
  words: /\bpassport\b/gi,
  // Nine digits (older books) or a letter and eight digits (Next Generation passports).
  value: /(?<![A-Za-z0-9-])(?:[A-Za-z]\d{8}|\d{9})(?![A-Za-z0-9-])/g,
  score: 0.8,
};

const DRIVER_LICENSE: ContextRule = {
  type: "US_DRIVER_LICENSE",
  words:
    /\b(?:[Dd]river['’]?s?|[Dd]riving)[ -]?[Ll]icen[cs]e\b|\bDRIVER['’]?S? LICEN[CS]E\b|\b(?:C?DL|DLN)(?:\s*(?:#|[Nn]o\b\.?|[Nn]umber\b)|:)|\bDLN\b/g,
  // States use 5 to 13 letters and digits, some printed in dash-separated groups; a word without a digit is not one.
  value: /(?<![A-Za-z0-9-])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![A-Za-z0-9-])/g,
  accept: (t) => {
    const alnum = t.replace(/-/g, "");
    return alnum.length >= 5 && alnum.length <= 13 && /\d/.test(alnum) && !DATE_LIKE.test(t);
  },
  score: 0.75,
};

const BANK_NUMBER: ContextRule = {
  type: "US_BANK_NUMBER",
  words:
    /\b(?:(?:bank|checking|savings|deposit)\s+account|account\s*(?:number|num|no\b\.?|#)|acct\b\.?|a\/c\b|routing\b|ABA\b)/gi,
  // 8 to 17 digits, optionally dash-grouped; not a decimal amount or part of a longer number.
  value: /(?<![\d.,$€£-])\d(?:-?\d){7,16}(?![\d-]|[.,]\d)/g,
  score: 0.7,
};

export const usPassport = (text: string) => findAfterWords(text, PASSPORT);
export const usDriverLicense = (text: string) => findAfterWords(text, DRIVER_LICENSE);
export const usBankNumber = (text: string) => findAfterWords(text, BANK_NUMBER);
