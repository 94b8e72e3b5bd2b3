// A best-effort check that a text is written in English, for mailboxes that take English mail only
// (scanner_policy.language_mode = english_only). Not containment: a short or mixed text is let through.

const ENGLISH = new Set(
  (
    "the and to of a in is you that it for on with as are be this was have i we your at by not or from our " +
    "will can an if my me but all they he she his her do so what about there would please thanks thank " +
    "hello hi dear regards best let know just has had were been which when who how more any get"
  ).split(" "),
);

// Frequent short words of other languages written in Latin script (Spanish, French, German, Portuguese, Italian,
// Dutch, Polish, Swedish…), which English text rarely has.
const OTHER = new Set(
  (
    "el la los las que de del y en un una por para con es se lo su al como pero más le les des et est il elle " +
    "nous vous je une du au pas sur ce qui dans avec sont und der die das ist nicht ich sie es ein eine zu mit " +
    "auf für den dem sich auch von wir ihr o os as um uma não com para é eu você il lo gli di che non per sono " +
    "het een van ik je niet dat zijn op te en och att det som är jag inte på ett för i w z na się nie jest to że " +
    "do jak ale"
  ).split(" "),
);

/** Letters of scripts other than Latin (Cyrillic, Greek, Arabic, Hebrew, CJK, Devanagari, Thai …). */
const NON_LATIN =
  /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Devanagari}\p{Script=Thai}\p{Script=Armenian}\p{Script=Georgian}\p{Script=Bengali}\p{Script=Tamil}]/gu;
const LETTER = /\p{L}/gu;

/** Too little text to tell: fewer letters than this, or fewer words for the Latin-script test. */
const MIN_LETTERS = 40;
const MIN_WORDS = 8;

/**
 * Whether a text looks written in a language other than English: mostly non-Latin letters, or Latin-script words
 * among which other languages' frequent words clearly outnumber English ones. Short texts count as English.
 */
export function looksNonEnglish(text: string): boolean {
  const letters = text.match(LETTER)?.length ?? 0;
  if (letters < MIN_LETTERS) return false;
  const foreign = text.match(NON_LATIN)?.length ?? 0;
  if (foreign / letters > 0.5) return true;
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  if (words.length < MIN_WORDS) return false;
  let english = 0;
  let other = 0;
  for (const w of words) {
    if (ENGLISH.has(w)) english++;
    else if (OTHER.has(w)) other++;
  }
  return other >= 3 && other > 2 * english;
}
