import { AppError, validation } from "./errors.ts";
import { parseDateTime } from "./safe-text.ts";

/**
 * The `search` of a message list, read the way the seed's clients write it: free text (words, "quoted phrases",
 * `-word` to exclude a word, `OR` between words) and the operators `from:` `subject:` `after:` `before:`
 * `is:starred` `has:attachment`, values quoted when they hold spaces (`subject:"quarterly report"`).
 *
 * A word with a colon is an operator when what comes before the colon is a plain word of two or more letters
 * (`to:bob`, `label:x`); one that is not supported is refused (SEARCH_OPERATOR_UNSUPPORTED) rather than searched as text,
 * which would quietly find nothing. Not operators, and searched as text: URLs (`https://…`, anything whose value
 * starts with `/`), URI schemes such as `mailto:` and `tel:`, words ending in a colon (`Re:`), times (`10:30`), and
 * anything in quotes — quoting is how to search for `foo:bar` itself.
 *
 * Pure: the database never sees the raw text; each word and phrase goes to `plainto_tsquery` /
 * `phraseto_tsquery` as a parameter of its own, combined by the store with the tsquery operators.
 */
export interface SearchQuery {
  /**
   * The free text: every group must match, and a group matches when any of its terms does (`a OR b`); empty when
   * only operators were given.
   */
  text: SearchTerm[][];
  /** Phrases the subject must contain (each one). */
  subject: string[];
  /** Text the sender's address or name must contain (each one), lower-cased. */
  from: string[];
  /** Created at or after this moment (`after:`; a date means its start, UTC). */
  after: Date | null;
  /** Created strictly before this moment (`before:`; a date means its start, UTC). */
  before: Date | null;
  /** `is:starred`. */
  starred: boolean;
  /** `has:attachment`. */
  hasAttachment: boolean;
}

/** A word or a "phrase" of the free text; `exclude` for `-word` / `-"phrase"` (must not match). */
export interface SearchTerm {
  text: string;
  phrase: boolean;
  exclude: boolean;
}

/** The operators the search understands, as the refusal of an unknown one lists them. */
export const SEARCH_OPERATORS = ["from:", "subject:", "after:", "before:", "is:starred", "has:attachment"];
/** Words, phrases and operators together: a longer query is refused before any database work. */
export const MAX_SEARCH_TERMS = 32;
/** The shortest free text searched (after Unicode NFKC normalisation), as the seed's service has it. */
export const MIN_SEARCH_TEXT = 3;
/** The longest `search` value a route accepts (its schema says so too). */
export const MAX_SEARCH_LENGTH = 1000;

/** `word:` prefixes that begin a URI rather than an operator: searched as text. */
const URI_SCHEMES = new Set([
  "http",
  "https",
  "ftp",
  "ftps",
  "file",
  "mailto",
  "tel",
  "sms",
  "urn",
  "data",
  "sip",
  "sips",
  "xmpp",
  "news",
  "irc",
  "magnet",
  "git",
  "ssh",
  "webcal",
]);

type Token =
  | { kind: "word" | "phrase"; text: string; exclude: boolean }
  | { kind: "operator"; name: string; value: string; raw: string };

/** `name:value`: a name of two or more letters (so `C:\\path` and `d:*` stay text). */
const OPERATOR = /^(-?)([A-Za-z]{2,}):(.*)$/s;

/** Splits the query into words, phrases and operators. An unclosed quote runs to the end of the text. */
function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const readQuoted = (): string => {
    // s[i] is the opening quote.
    const close = s.indexOf('"', i + 1);
    const end = close === -1 ? s.length : close;
    const text = s.slice(i + 1, end);
    i = close === -1 ? s.length : close + 1;
    return text.replace(/\s+/g, " ").trim();
  };
  while (i < s.length) {
    if (/\s/.test(s[i]!)) {
      i++;
      continue;
    }
    if (s[i] === '"') {
      const text = readQuoted();
      if (text) out.push({ kind: "phrase", text, exclude: false });
      continue;
    }
    // A bare token ends at white space or at a quote (a quote inside a word starts a phrase).
    const start = i;
    while (i < s.length && !/\s/.test(s[i]!) && s[i] !== '"') i++;
    const bare = s.slice(start, i);
    if (bare === "-" && s[i] === '"') {
      // -"phrase": excluded
      const text = readQuoted();
      if (text) out.push({ kind: "phrase", text, exclude: true });
      continue;
    }
    const m = OPERATOR.exec(bare);
    if (m && s[i] === '"' && m[3] === "") {
      // name:"quoted value"
      const value = readQuoted();
      out.push({ kind: "operator", name: `${m[1]}${m[2]!.toLowerCase()}`, value, raw: `${bare}"${value}"` });
      continue;
    }
    if (m && isOperator(m[2]!, m[3]!)) {
      out.push({ kind: "operator", name: `${m[1]}${m[2]!.toLowerCase()}`, value: m[3]!, raw: bare });
      continue;
    }
    if (m && m[3] === "" && KNOWN.has(m[2]!.toLowerCase())) {
      // `from:` with nothing after it: a known operator missing its value, not the word "from".
      out.push({ kind: "operator", name: `${m[1]}${m[2]!.toLowerCase()}`, value: "", raw: bare });
      continue;
    }
    const exclude = bare.length > 1 && bare.startsWith("-");
    out.push({ kind: "word", text: exclude ? bare.slice(1) : bare, exclude });
  }
  return out;
}

const KNOWN = new Set(["from", "subject", "after", "before", "is", "has"]);

/** Whether `name:value` (unquoted) is meant as an operator rather than as text. */
function isOperator(name: string, value: string): boolean {
  if (value === "") return false; // "Re:", "Note:" — a word ending in a colon
  if (value.startsWith("/") || value.startsWith("\\")) return false; // https://…, file:/…, \\server
  if (URI_SCHEMES.has(name.toLowerCase())) return false; // mailto:bob@example.com
  return true;
}

/** A date (`2026-01-31`, `2026/01/31`) as the start of that day in UTC, or an RFC 3339 date-time. */
function parseWhen(value: string): Date | null {
  const day = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(value);
  if (day)
    return parseDateTime(`${day[1]}-${day[2]!.padStart(2, "0")}-${day[3]!.padStart(2, "0")}T00:00:00Z`);
  return parseDateTime(value);
}

function unsupported(operator: string, raw: string, why?: string): AppError {
  return new AppError(
    "invalid",
    "SEARCH_OPERATOR_UNSUPPORTED",
    `${why ?? `unsupported search operator ${operator}`}; supported: ${SEARCH_OPERATORS.join(" ")}. ` +
      `To search for the text itself, put it in quotes: "${raw.replace(/"/g, "")}"`,
    { operator: raw, supported: SEARCH_OPERATORS },
  );
}

const invalidValue = (raw: string, what: string) =>
  validation(`search operator ${raw}: ${what}`, [`querystring.search: ${raw}: ${what}`]);

/** Reads a `search` value; throws the refusal a client must fix (400) for anything it cannot use. */
export function parseSearchQuery(raw: string): SearchQuery {
  if (raw.length > MAX_SEARCH_LENGTH)
    throw validation(`search is at most ${MAX_SEARCH_LENGTH} characters`, [
      `querystring.search must be at most ${MAX_SEARCH_LENGTH} characters`,
    ]);
  const tokens = tokenize(raw.normalize("NFKC"));
  if (tokens.length > MAX_SEARCH_TERMS)
    throw new AppError(
      "invalid",
      "SEARCH_TOO_MANY_TERMS",
      `search has ${tokens.length} words, phrases and operators; at most ${MAX_SEARCH_TERMS} are searched at once`,
      { max_terms: MAX_SEARCH_TERMS, terms: tokens.length },
    );
  const q: SearchQuery = {
    text: [],
    subject: [],
    from: [],
    after: null,
    before: null,
    starred: false,
    hasAttachment: false,
  };
  /** The free text as written (without quotes) for the length rule. */
  const plain: string[] = [];
  let joinNext = false;
  for (const [i, t] of tokens.entries()) {
    if (t.kind !== "operator") {
      plain.push(t.text);
      // OR (capitals, as written between two terms) joins its neighbours into one group; anywhere else, a word.
      const prev = tokens[i - 1];
      const next = tokens[i + 1];
      const between = prev && prev.kind !== "operator" && next && next.kind !== "operator";
      if (t.kind === "word" && !t.exclude && t.text === "OR" && between && !joinNext && q.text.length > 0) {
        joinNext = true;
        continue;
      }
      const term = { text: t.text, phrase: t.kind === "phrase", exclude: t.exclude };
      if (joinNext) q.text[q.text.length - 1]!.push(term);
      else q.text.push([term]);
      joinNext = false;
      continue;
    }
    const { name, value, raw: tokenRaw } = t;
    if (name.startsWith("-"))
      throw unsupported(`${name}:`, tokenRaw, `excluding with an operator (${name}:) is not supported`);
    if (!KNOWN.has(name)) throw unsupported(`${name}:`, tokenRaw);
    if (value.trim() === "") throw invalidValue(tokenRaw, `${name}: needs a value`);
    switch (name) {
      case "from":
        q.from.push(value.toLowerCase());
        break;
      case "subject":
        q.subject.push(value);
        break;
      case "after":
      case "before": {
        const at = parseWhen(value);
        if (!at) throw invalidValue(tokenRaw, "give a date (2026-01-31) or an RFC 3339 date-time");
        if (name === "after") q.after = q.after && q.after > at ? q.after : at;
        else q.before = q.before && q.before < at ? q.before : at;
        break;
      }
      case "is":
        if (value.toLowerCase() !== "starred") throw unsupported(`is:${value}`, tokenRaw);
        q.starred = true;
        break;
      case "has":
        if (value.toLowerCase() !== "attachment") throw unsupported(`has:${value}`, tokenRaw);
        q.hasAttachment = true;
        break;
    }
  }
  const operators = tokens.length - plain.length;
  const length = plain.join(" ").length;
  if ((length > 0 && length < MIN_SEARCH_TEXT) || (plain.length === 0 && operators === 0))
    throw new AppError(
      "invalid",
      "SEARCH_TERM_TOO_SHORT",
      `search text must be at least ${MIN_SEARCH_TEXT} characters (or use an operator such as from: or is:starred)`,
      { min_search_length: MIN_SEARCH_TEXT },
    );
  return q;
}
