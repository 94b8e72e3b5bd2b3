import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HTTP_STATUS } from "../../src/api/http-status.ts";
import {
  isEmailAddress,
  mailboxNameFor,
  mailboxNameProblem,
  splitAddress,
} from "../../src/domain/address.ts";
import { API_KEY_RE, generateApiKey, parseApiKey, secretMatches } from "../../src/domain/api-key.ts";
import { decodeCursor, encodeCursor } from "../../src/domain/cursor.ts";
import { classifyFailure } from "../../src/domain/delivery-outcome.ts";
import { AppError } from "../../src/domain/errors.ts";
import { reservationOf, reservedNameProblem } from "../../src/domain/reserved-names.ts";
import { nextAttemptAt, parseSchedule } from "../../src/domain/retry-schedule.ts";
import {
  parseMessageIds,
  replyReferences,
  replySubject,
  subjectFallbackApplies,
  subjectKey,
  threadLookupIds,
} from "../../src/domain/thread-keys.ts";

describe("api keys", () => {
  it("generates keys of the documented shape that verify against their hash", () => {
    const { key, keyId, secretHash } = generateApiKey();
    assert.match(key, API_KEY_RE);
    const parsed = parseApiKey(key)!;
    assert.equal(parsed.keyId, keyId);
    assert.ok(secretMatches(parsed.secret, secretHash));
    const flipped = parsed.secret.slice(0, -1) + (parsed.secret.endsWith("A") ? "B" : "A");
    assert.ok(!secretMatches(flipped, secretHash));
  });
  it("rejects malformed keys", () => {
    for (const bad of [
      "",
      "pbx_live_short.abc",
      "pbx_test_abcdefghijklmnop.x",
      `pbx_live_ABCDEFGHIJKLMNOP.${"a".repeat(43)}`,
    ]) {
      assert.equal(parseApiKey(bad), null, bad);
    }
  });
});

describe("addresses", () => {
  it("validates mailbox names as local parts", () => {
    assert.equal(mailboxNameProblem("support"), null);
    assert.equal(mailboxNameProblem("sales.eu-1"), null);
    assert.match(mailboxNameProblem("")!, /empty/);
    assert.match(mailboxNameProblem("Support")!, /lowercase/);
    assert.match(mailboxNameProblem("a+b")!, /plus/);
    assert.match(mailboxNameProblem("a..b")!, /local part/);
    assert.match(mailboxNameProblem(".a")!, /local part/);
    assert.match(mailboxNameProblem("a b")!, /local part/);
    assert.match(mailboxNameProblem("x".repeat(65))!, /64/);
    assert.equal(mailboxNameProblem("postmaster"), null, "syntax only: who may hold it is reserved-names.ts");
    assert.match(mailboxNameProblem("0b7e4a3c-1f1a-4d7c-9a7e-1a2b3c4d5e6f")!, /UUID/);
  });
  it("reserves names with authority to the operator, and the VERP prefix to the service", () => {
    for (const name of [
      "admin",
      "administrator",
      "hostmaster",
      "webmaster",
      "postmaster",
      "abuse",
      "security",
      "root",
    ]) {
      assert.equal(reservedNameProblem(name, true), null, name);
      assert.match(reservedNameProblem(name, false)!, /reserved for the operator/, name);
    }
    assert.match(reservedNameProblem("admin", false)!, /CA\/B Forum/);
    for (const name of ["info", "sales", "support", "marketing", "admins", "noreply"])
      assert.equal(reservedNameProblem(name, false), null, `${name} is a tenant's to take`);
    assert.match(reservedNameProblem("bounces", true)!, /mail service itself/);
    assert.equal(reservationOf("hostmaster")?.holder, "operator");
  });
  it("maps plus-addressed local parts to the base mailbox", () => {
    assert.equal(mailboxNameFor("support+billing"), "support");
    assert.equal(mailboxNameFor("Support"), "support");
    assert.deepEqual(splitAddress("a@b@Example.COM"), { local: "a@b", domain: "example.com" });
    assert.equal(splitAddress("nodomain"), null);
    assert.equal(splitAddress("@x.com"), null);
  });
  it("accepts plain recipient addresses and refuses header injection", () => {
    assert.ok(isEmailAddress("user@example.com"));
    assert.ok(isEmailAddress("first.last+tag@sub.example.co.uk"));
    assert.ok(!isEmailAddress("user@example.com\r\nBcc: x@y.z"));
    assert.ok(!isEmailAddress("user"));
    assert.ok(!isEmailAddress("a b@example.com"));
    assert.ok(!isEmailAddress("user@-bad.com"));
  });
});

describe("threading", () => {
  it("normalises subjects for the fallback", () => {
    assert.equal(subjectKey("Re: RE: Fwd: [team] Hello   world"), "hello world");
    assert.equal(subjectKey("AW: Re[2]: Invoice"), "invoice");
    assert.equal(subjectKey(null), "");
  });
  it("prefixes Re: once", () => {
    assert.equal(replySubject("Hello"), "Re: Hello");
    assert.equal(replySubject("Re: Hello"), "Re: Hello");
    assert.equal(replySubject("RE:Hello"), "RE:Hello");
    assert.equal(replySubject(null), "Re: ");
  });
  it("builds the References chain of a reply (RFC 5322 3.6.4)", () => {
    assert.deepEqual(
      replyReferences({ references: ["<a@x>", "<b@x>"], inReplyTo: "<b@x>", messageId: "<c@x>" }),
      ["<a@x>", "<b@x>", "<c@x>"],
    );
    assert.deepEqual(replyReferences({ references: [], inReplyTo: "<b@x>", messageId: "<c@x>" }), [
      "<b@x>",
      "<c@x>",
    ]);
    assert.deepEqual(replyReferences({ references: [], inReplyTo: null, messageId: "<c@x>" }), ["<c@x>"]);
    const long = Array.from({ length: 80 }, (_, i) => `<m${i}@x>`);
    const trimmed = replyReferences({ references: long, inReplyTo: null, messageId: "<new@x>" });
    assert.equal(trimmed.length, 50);
    assert.equal(trimmed[0], "<m0@x>");
    assert.equal(trimmed.at(-1), "<new@x>");
  });
  it("parses message ids with and without brackets", () => {
    assert.deepEqual(parseMessageIds("<a@x> <b@y>\r\n <c@z>"), ["<a@x>", "<b@y>", "<c@z>"]);
    assert.deepEqual(parseMessageIds(["<a@x>", "<b@y>"]), ["<a@x>", "<b@y>"]);
    assert.deepEqual(parseMessageIds("a@x"), ["<a@x>"]);
    assert.deepEqual(parseMessageIds(undefined), []);
  });
  it("looks up In-Reply-To first, then References newest first", () => {
    assert.deepEqual(threadLookupIds("<c@x>", ["<a@x>", "<b@x>", "<c@x>"]), ["<c@x>", "<b@x>", "<a@x>"]);
  });
  it("applies the subject fallback only to reply-looking mail", () => {
    assert.ok(subjectFallbackApplies({ subject: "Re: Hello", inReplyTo: null, references: [] }));
    assert.ok(!subjectFallbackApplies({ subject: "Hello", inReplyTo: null, references: [] }));
    assert.ok(subjectFallbackApplies({ subject: "Hello", inReplyTo: "<x@y>", references: [] }));
    assert.ok(!subjectFallbackApplies({ subject: "Re: ", inReplyTo: null, references: [] }));
  });
});

describe("retry schedule", () => {
  const schedule = parseSchedule("1m,5m,15m,1h,4h");
  const t0 = new Date("2026-01-01T00:00:00Z");
  it("steps through the schedule and repeats the last step", () => {
    const at = (attempts: number, now = t0) =>
      nextAttemptAt({ schedule, attempts, now, firstQueuedAt: t0, maxAgeMs: 3 * 86_400_000 })?.getTime();
    assert.equal(at(1), t0.getTime() + 60_000);
    assert.equal(at(2), t0.getTime() + 300_000);
    assert.equal(at(5), t0.getTime() + 4 * 3_600_000);
    assert.equal(at(9), t0.getTime() + 4 * 3_600_000);
  });
  it("expires after the maximum age", () => {
    const now = new Date(t0.getTime() + 71 * 3_600_000);
    assert.equal(
      nextAttemptAt({ schedule, attempts: 20, now, firstQueuedAt: t0, maxAgeMs: 3 * 86_400_000 }),
      null,
    );
  });
  it("rejects malformed steps", () => {
    assert.throws(() => parseSchedule("1m,soon"));
  });
});

describe("remote answer classification", () => {
  it("treats 5xx as permanent and 4xx or network failures as temporary", () => {
    assert.equal(
      classifyFailure({ responseCode: 550, response: "550 5.1.1 no", message: "x" }).outcome,
      "bounced",
    );
    assert.equal(
      classifyFailure({ responseCode: 451, response: "451 4.3.0 later", message: "x" }).outcome,
      "deferred",
    );
    assert.equal(
      classifyFailure({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" }).outcome,
      "deferred",
    );
    assert.equal(classifyFailure({ code: "ETIMEDOUT", message: "timeout" }).code, null);
  });
});

describe("cursors", () => {
  const invalid = (e: unknown) =>
    e instanceof AppError && HTTP_STATUS[e.refusal] === 400 && e.code === "INVALID_CURSOR";

  it("round-trips and rejects tampering with INVALID_CURSOR", () => {
    const c = encodeCursor({ s: 42 });
    assert.deepEqual(decodeCursor(c, { s: "seq" }), { s: 42 });
    assert.throws(() => decodeCursor("not-a-cursor!!", { s: "seq" }), invalid);
    assert.throws(() => decodeCursor(encodeCursor({ s: "x" }), { s: "seq" }), invalid);
  });

  it("checks every field's kind, so forged values never reach SQL", () => {
    const at = "2026-11-27T10:00:00.000Z";
    const id = "0b7d7c1e-6a7e-4c55-9a43-2f1b8e3c9d10";
    assert.deepEqual(decodeCursor(encodeCursor({ t: at, i: id }), { t: "timestamp", i: "uuid" }), {
      t: at,
      i: id,
    });
    const forged: Record<string, unknown>[] = [
      { t: "yesterday", i: id },
      { t: at, i: "not-a-uuid" },
      { t: "0000-01-01T00:00:00Z", i: id },
      { t: "2026-12-31T23:59:60Z", i: id },
      { t: 5, i: id },
    ];
    for (const f of forged)
      assert.throws(
        () =>
          decodeCursor(Buffer.from(JSON.stringify(f)).toString("base64url"), { t: "timestamp", i: "uuid" }),
        invalid,
      );
    for (const s of ["1.5", "1e30", "1e400", "-1", "null", '"7"'])
      assert.throws(
        () => decodeCursor(Buffer.from(`{"s":${s}}`).toString("base64url"), { s: "seq" }),
        invalid,
        s,
      );
    assert.throws(() => decodeCursor(Buffer.from("[1]").toString("base64url"), { s: "seq" }), invalid);
  });
});
