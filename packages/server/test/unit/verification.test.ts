import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { codesIn, extractVerification, MAX_EXAMINED_CHARS } from "../../src/domain/verification.ts";

interface Fixture {
  name: string;
  set?: "holdout";
  language: string;
  kind: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  expected: { codes: string[]; links: { url: string; kind: string }[] };
}

const DIR = new URL("../fixtures/verification/", import.meta.url);
const fixtures: Fixture[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, DIR), "utf8")) as Fixture);

describe("verification extraction: the labelled set (docs/verification.md)", () => {
  it("holds real-looking mail of every kind in at least ten languages", () => {
    assert.ok(fixtures.length >= 70, `${fixtures.length} fixtures`);
    const languages = new Set(fixtures.map((f) => f.language));
    for (const l of ["en", "de", "fr", "es", "pt", "it", "nl", "ja", "zh", "ru"])
      assert.ok(languages.has(l), l);
    assert.ok(fixtures.filter((f) => f.kind === "negative").length >= 20);
  });

  for (const f of fixtures)
    it(`${f.name} (${f.language}, ${f.kind})`, () => {
      const got = extractVerification(f);
      assert.deepEqual(
        got.codes.map((c) => c.value),
        f.expected.codes,
      );
      assert.deepEqual(
        got.links.map((l) => ({ url: l.url, kind: l.kind })),
        f.expected.links.map((l) => ({ url: new URL(l.url).href, kind: l.kind })),
      );
    });
});

describe("verification extraction: shape", () => {
  it("says where each code is and the words around it; links carry their anchor text", () => {
    const v = extractVerification({
      subject: "Your code",
      text: null,
      html:
        '<p>Your verification code is <b>482913</b>.</p><p>This link expires in 10 minutes: <a href="https://x.example/' +
        'login?token=abcdef0123456789">Sign in to X</a></p>',
    });
    assert.deepEqual(v.codes, [
      { value: "482913", source: "body", context: "Your verification code is 482913 ." },
    ]);
    assert.deepEqual(v.links, [
      { url: "https://x.example/login?token=abcdef0123456789", kind: "sign_in", text: "Sign in to X" },
    ]);
  });

  it("finds nothing in an empty or absent mail", () => {
    assert.deepEqual(extractVerification({ subject: null, text: null, html: null }), {
      codes: [],
      links: [],
    });
    assert.deepEqual(extractVerification({ subject: "", text: "", html: "" }), { codes: [], links: [] });
  });

  it("keeps a link without a token, an unsubscribe link and a non-web link out", () => {
    const v = extractVerification({
      subject: "Verify your email",
      text: null,
      html:
        '<a href="https://x.example/verify">Verify email</a> <a href="mailto:verify@x.example">Verify by mail</a> ' +
        '<a href="https://x.example/unsubscribe?t=0123456789abcdef01">Unsubscribe and verify</a> ' +
        '<a href="javascript:alert(1)">Verify</a>',
    });
    assert.deepEqual(v.links, []);
  });
});

describe("verification extraction: hostile input runs in linear time", () => {
  const MB = 1024 * 1024;
  // Each would take minutes with a backtracking pattern; the test runner's timeout is the hang guard.
  it("a megabyte of digits, of spaced digit groups, of cue words and of hyphens", {
    timeout: 120_000,
  }, () => {
    assert.deepEqual(codesIn("1".repeat(MB), "body"), []);
    assert.deepEqual(codesIn(`code ${"1".repeat(MB)}`, "body"), []);
    assert.deepEqual(codesIn("123 ".repeat(MB / 4), "body"), []);
    assert.deepEqual(codesIn("1-".repeat(MB / 2), "body"), []);
    assert.deepEqual(codesIn("code: ".repeat(MB / 6), "body"), []);
    assert.equal(codesIn("code 4821\n".repeat(MB / 10), "body").length, (MB / 10) | 0);
    assert.deepEqual(codesIn("a".repeat(MB), "body"), []);
    assert.deepEqual(codesIn("验证码".repeat(MB / 3), "body"), []);
  });

  it("whole mails of a megabyte: examined up to the cap", { timeout: 120_000 }, () => {
    const digits = "7".repeat(MB);
    assert.deepEqual(extractVerification({ subject: digits, text: digits, html: digits }), {
      codes: [],
      links: [],
    });
    const anchors = '<a href="https://x.example/login?token=0123456789abcdef">'.repeat(MB / 50);
    assert.deepEqual(extractVerification({ subject: null, text: null, html: anchors }).links, []);
    const urls = `https://x.example/${"a".repeat(MB)}`;
    assert.deepEqual(extractVerification({ subject: null, text: urls, html: null }).links, []);
    // A code past the cap is not looked for: verification mail is short.
    const late = `${" ".repeat(MAX_EXAMINED_CHARS)}Your code: 482913`;
    assert.deepEqual(extractVerification({ subject: null, text: late, html: null }).codes, []);
  });
});
