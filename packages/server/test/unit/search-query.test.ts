import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../../src/domain/errors.ts";
import {
  MAX_SEARCH_LENGTH,
  MAX_SEARCH_TERMS,
  parseSearchQuery,
  type SearchQuery,
  type SearchTerm,
} from "../../src/domain/search-query.ts";

/** The free text written back: groups by spaces, alternatives by OR, phrases quoted, exclusions with a minus. */
const render = (groups: SearchTerm[][]) =>
  groups
    .map((g) => g.map((t) => `${t.exclude ? "-" : ""}${t.phrase ? `"${t.text}"` : t.text}`).join(" OR "))
    .join(" ");

/** A parsed query with its free text written back (null when there is none), for short expectations. */
const parsed = (raw: string) => {
  const p = parseSearchQuery(raw);
  return { ...p, text: p.text.length > 0 ? render(p.text) : null };
};
const textOf = (raw: string) => parsed(raw).text;

const NONE = {
  text: null as string | null,
  subject: [],
  from: [],
  after: null,
  before: null,
  starred: false,
  hasAttachment: false,
};
const q = (over: Partial<Omit<SearchQuery, "text">> & { text?: string | null }) => ({ ...NONE, ...over });

/** The refusal a query gets: its code and details. */
function refusal(raw: string): {
  code: string;
  details: Record<string, unknown> | undefined;
  message: string;
} {
  try {
    parsed(raw);
  } catch (err) {
    assert.ok(err instanceof AppError, `an AppError, not ${String(err)}`);
    assert.equal(err.refusal, "invalid", "every refusal is the client's to fix (400)");
    return { code: err.code, details: err.details, message: err.message };
  }
  assert.fail(`${JSON.stringify(raw)} was not refused`);
}

describe("the search query", () => {
  it("keeps free text as words, phrases, exclusions and OR groups", () => {
    assert.deepEqual(parsed("quarterly report"), q({ text: "quarterly report" }));
    assert.deepEqual(parsed('  "quarterly   report"  draft '), q({ text: '"quarterly report" draft' }));
    assert.deepEqual(parsed("invoice -paid OR overdue"), q({ text: "invoice -paid OR overdue" }));
    assert.deepEqual(parseSearchQuery('budget -"draft copy" zebra OR "red panda" OR koala').text, [
      [{ text: "budget", phrase: false, exclude: false }],
      [{ text: "draft copy", phrase: true, exclude: true }],
      [
        { text: "zebra", phrase: false, exclude: false },
        { text: "red panda", phrase: true, exclude: false },
        { text: "koala", phrase: false, exclude: false },
      ],
    ]);
    // OR joins only between two terms, in capitals; anywhere else it is a word.
    assert.equal(textOf("OR budget"), "OR budget");
    assert.equal(textOf("budget OR"), "budget OR");
    assert.equal(textOf("budget or report"), "budget or report");
    assert.equal(textOf("budget OR OR report"), "budget OR OR report");
    assert.equal(textOf("budget OR from:ann"), "budget OR");
    assert.deepEqual(parseSearchQuery("- -- report").text[1], [{ text: "-", phrase: false, exclude: true }]);
  });

  it("reads every operator, quoted values included", () => {
    assert.deepEqual(
      parsed(
        'from:Alice@Example.com subject:"quarterly report" after:2026-01-31 before:2026/02/15 is:starred has:attachment budget',
      ),
      q({
        text: "budget",
        from: ["alice@example.com"],
        subject: ["quarterly report"],
        after: new Date("2026-01-31T00:00:00Z"),
        before: new Date("2026-02-15T00:00:00Z"),
        starred: true,
        hasAttachment: true,
      }),
    );
    assert.deepEqual(parsed("FROM:bob IS:Starred"), q({ from: ["bob"], starred: true }));
    assert.deepEqual(
      parsed("after:2026-03-01T12:30:00+02:00"),
      q({ after: new Date("2026-03-01T10:30:00Z") }),
    );
    // Several of one kind narrow together: the latest after, the earliest before.
    const narrowed = parsed("after:2026-01-01 after:2026-02-01 before:2026-06-01 before:2026-05-01");
    assert.deepEqual([narrowed.after, narrowed.before], [new Date("2026-02-01Z"), new Date("2026-05-01Z")]);
  });

  it("refuses an unknown operator by name, and says how to search the text itself", () => {
    for (const [raw, operator] of [
      ["foo:bar", "foo:bar"],
      ["to:bob@example.com", "to:bob@example.com"],
      ["in:inbox report", "in:inbox"],
      ["label:x", "label:x"],
      ["is:read", "is:read"],
      ["is:unread", "is:unread"],
      ["has:drive", "has:drive"],
      ['label:"a b"', 'label:"a b"'],
      ["-from:bob", "-from:bob"],
      ["re:meeting", "re:meeting"],
    ]) {
      const r = refusal(raw!);
      assert.equal(r.code, "SEARCH_OPERATOR_UNSUPPORTED", raw);
      assert.equal(r.details?.operator, operator, raw);
      assert.match(r.message, /supported: from: subject: after: before: is:starred has:attachment/);
      assert.match(r.message, /put it in quotes/);
    }
  });

  it("searches URLs, URI schemes, times, 'Re:' and quoted colons as text", () => {
    for (const raw of [
      "https://example.com/a?b=c",
      "see http://x.example",
      "mailto:bob@example.com",
      "tel:+15551234",
      "meet at 10:30",
      "Re: budget",
      "Note: agenda",
      '"foo:bar"',
      "bob@example.com:8080",
      "C:\\Users\\report",
    ])
      assert.equal(textOf(raw), raw, raw);
  });

  it("refuses operators without a value and dates it cannot read", () => {
    for (const raw of ["from:", 'subject:""', "after:", "is:"])
      assert.equal(refusal(raw).code, "VALIDATION_ERROR", raw);
    for (const raw of [
      "after:yesterday",
      "before:2026-02-30",
      "after:2026-13-01",
      "before:0000-01-01",
      "after:1e400",
    ])
      assert.equal(refusal(raw).code, "VALIDATION_ERROR", raw);
  });

  it("needs at least three characters of text, or an operator", () => {
    for (const raw of ["", "   ", "ab", "a", '""', '" "', "\t\n"])
      assert.equal(refusal(raw).code, "SEARCH_TERM_TOO_SHORT", JSON.stringify(raw));
    assert.equal(refusal("is:starred ab").code, "SEARCH_TERM_TOO_SHORT", "short text beside an operator");
    assert.deepEqual(parsed("abc"), q({ text: "abc" }));
    assert.deepEqual(parsed("a b"), q({ text: "a b" }));
    assert.deepEqual(parsed("is:starred"), q({ starred: true }));
    // Full-width letters are normalised (NFKC) before they are counted and searched.
    assert.deepEqual(parsed("ｒｅｐｏｒｔ"), q({ text: "report" }));
  });

  it("is lenient with unbalanced quotes: an open quote runs to the end", () => {
    assert.deepEqual(parsed('"quarterly report'), q({ text: '"quarterly report"' }));
    assert.deepEqual(parsed('subject:"quarterly report'), q({ subject: ["quarterly report"] }));
    assert.deepEqual(parsed('budget "'), q({ text: "budget" }));
    assert.deepEqual(parsed('don"t stop'), q({ text: 'don "t stop"' }));
    // No quote ever survives inside a word: websearch syntax sees only balanced phrases.
    for (const raw of ['a"b"c"d', '"""abc', 'x" "y" "z', '""abc""']) {
      for (const t of parseSearchQuery(raw).text.flat()) assert.ok(!t.text.includes('"'), raw);
    }
  });

  it("bounds the query: length and number of terms", () => {
    const many = Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `word${i}`).join(" ");
    const r = refusal(many);
    assert.equal(r.code, "SEARCH_TOO_MANY_TERMS");
    assert.equal(r.details?.max_terms, MAX_SEARCH_TERMS);
    assert.equal(
      parseSearchQuery(Array.from({ length: MAX_SEARCH_TERMS }, () => "abc").join(" ")).text.length,
      MAX_SEARCH_TERMS,
    );
    assert.equal(refusal("x".repeat(MAX_SEARCH_LENGTH + 1)).code, "VALIDATION_ERROR");
    assert.equal(textOf("x".repeat(MAX_SEARCH_LENGTH))?.length, MAX_SEARCH_LENGTH);
    // Operators count too.
    assert.equal(refusal(Array.from({ length: 40 }, () => "from:a").join(" ")).code, "SEARCH_TOO_MANY_TERMS");
  });

  it("passes SQL-looking and control text through as words (it only ever becomes a parameter)", () => {
    for (const raw of [
      "'; drop table messages; --",
      "' or 1=1 --",
      "%_\\ like %",
      "a & b | !c <-> d:*",
      "$1 $$ $body$",
      "\u202e\u200b zero width",
    ]) {
      const p = parsed(raw);
      assert.equal(typeof p.text, "string", raw);
      assert.deepEqual({ ...p, text: null }, NONE, raw);
    }
    assert.deepEqual(parsed("from:%_'"), q({ from: ["%_'"] }));
  });
});
