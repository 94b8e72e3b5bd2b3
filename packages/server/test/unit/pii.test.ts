import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectPii, ibanValid, luhnValid, ssnValid } from "../../src/domain/pii/detect.ts";
import { redact, validateRedactionConfig } from "../../src/domain/pii/redact.ts";

const find = (text: string) => detectPii(text).map((s) => [s.type, text.slice(s.start, s.end)]);

describe("PII detectors", () => {
  it("finds each type, validated", () => {
    assert.deepEqual(find("Mail Ann.Lee+x@mail.example.co.uk today."), [
      ["EMAIL_ADDRESS", "Ann.Lee+x@mail.example.co.uk"],
    ]);
    assert.deepEqual(find("card 4111 1111 1111 1111 exp"), [["CREDIT_CARD", "4111 1111 1111 1111"]]);
    assert.deepEqual(find("card 4111 1111 1111 1112 exp"), [], "fails Luhn");
    assert.deepEqual(find("SSN 123-45-6780."), [["US_SSN", "123-45-6780"]]);
    assert.deepEqual(find("id 666-45-6780 or 900-12-3456 or 123-00-4567"), [], "never-issued ranges");
    assert.deepEqual(find("my ssn: 123456780"), [["US_SSN", "123456780"]], "bare digits only near the word");
    assert.deepEqual(find("order 123456780"), []);
    assert.deepEqual(find("pay to DE89 3704 0044 0532 0130 00 please"), [
      ["IBAN_CODE", "DE89 3704 0044 0532 0130 00"],
    ]);
    assert.deepEqual(find("pay to DE88 3704 0044 0532 0130 00 please"), [], "wrong check digits");
    assert.deepEqual(find("from 192.168.10.4 and 2001:db8::8a2e:370:7334"), [
      ["IP_ADDRESS", "192.168.10.4"],
      ["IP_ADDRESS", "2001:db8::8a2e:370:7334"],
    ]);
    assert.deepEqual(find("version 999.1.2.3 is not an address"), []);
    assert.deepEqual(find("Call +44 20 7946 0958 or (415) 555-2671."), [
      ["PHONE_NUMBER", "+44 20 7946 0958"],
      ["PHONE_NUMBER", "(415) 555-2671"],
    ]);
    assert.deepEqual(find("on 2024-03-15 and 3/15/2024"), [], "dates are not phone numbers");
    assert.deepEqual(find("Dear Maria Lopez, Mr. Okafor called. my name is lena andersson."), [
      ["PERSON", "Maria Lopez"],
      ["PERSON", "Okafor"],
      ["PERSON", "lena andersson"],
    ]);
  });

  it("resolves overlaps in favour of the better-validated type", () => {
    // A Luhn-valid card number is also phone-shaped; the card wins.
    assert.deepEqual(find("4111-1111-1111-1111"), [["CREDIT_CARD", "4111-1111-1111-1111"]]);
  });

  it("validators follow their standards", () => {
    assert.equal(luhnValid("79927398713"), true);
    assert.equal(luhnValid("79927398710"), false);
    assert.equal(ibanValid("GB82 WEST 1234 5698 7654 32"), true);
    assert.equal(ibanValid("gb82west12345698765432"), true);
    assert.equal(ibanValid("GB82 WEST 1234 5698 7654 33"), false);
    assert.equal(ssnValid("078", "05", "1120"), false, "the Woolworth wallet card");
  });

  it("stays linear on hostile input", () => {
    const inputs = [
      "a".repeat(200_000),
      "@".repeat(100_000),
      `${"a".repeat(100_000)}@`,
      "1 ".repeat(100_000),
      "1.".repeat(100_000),
      ":".repeat(100_000),
      "Mr. ".repeat(50_000),
      "\u200b".repeat(100_000),
    ];
    for (const text of inputs) assert.ok(Array.isArray(detectPii(text)));
  });
});

describe("PII redaction", () => {
  const key = Buffer.from("account-secret");
  const text = "Card 4111-1111-1111-1111, mail ann@example.com, call +44 20 7946 0958.";

  it("replaces with the type by default", () => {
    assert.equal(
      redact(text, detectPii(text), {}, key),
      "Card <CREDIT_CARD>, mail <EMAIL_ADDRESS>, call <PHONE_NUMBER>.",
    );
  });

  it("applies per-detector settings and operators", () => {
    const { config } = validateRedactionConfig({
      EMAIL_ADDRESS: { redact: false },
      CREDIT_CARD: { redact: true, operator: { kind: "partial_mask", keep_last: 4 } },
      PHONE_NUMBER: { operator: { kind: "hash_replace" } },
    });
    const out = redact(text, detectPii(text), config!, key);
    assert.match(
      out,
      /^Card \*\*\*\*-\*\*\*\*-\*\*\*\*-1111, mail ann@example\.com, call <PHONE_NUMBER:[0-9a-f]{8}>\.$/,
    );
  });

  it("hash_replace is deterministic within an account and differs across accounts", () => {
    const config = validateRedactionConfig({ EMAIL_ADDRESS: { operator: { kind: "hash_replace" } } }).config!;
    const a = "ann@example.com wrote to ANN@example.com";
    const mine = redact(a, detectPii(a), config, key);
    const [t1, t2] = mine.match(/<EMAIL_ADDRESS:[0-9a-f]{8}>/g)!;
    assert.equal(t1, t2, "one address, one tag (case-insensitive)");
    assert.notEqual(redact(a, detectPii(a), config, Buffer.from("other-account")), mine);
  });

  it("partial_mask counts digits only, keeps separators and takes a mask character", () => {
    const config = validateRedactionConfig({
      US_SSN: { operator: { kind: "partial_mask", keep_last: 2, mask_char: "#" } },
    }).config!;
    const t = "ssn 123-45-6780";
    assert.equal(redact(t, detectPii(t), config, key), "ssn ###-##-##80");
  });

  it("refuses invalid configurations with every problem listed", () => {
    const r = validateRedactionConfig({
      EMAIL_ADDRESS: { operator: { kind: "partial_mask", keep_last: 4 } },
      CREDIT_CARD: { operator: { kind: "partial_mask", keep_last: 9, mask_char: "ab" } },
      SHOE_SIZE: { redact: true },
      PHONE_NUMBER: { redact: "yes", operator: { kind: "scramble" } },
      IBAN_CODE: { operator: { kind: "hash_replace", keep_last: 4 } },
    });
    assert.equal(r.config, null);
    assert.equal(r.unprocessable, true);
    assert.deepEqual(r.errors, [
      "pii_redaction_config.EMAIL_ADDRESS.operator: partial_mask is not available for EMAIL_ADDRESS; use hash_replace",
      "pii_redaction_config.CREDIT_CARD.operator.keep_last must be an integer from 1 to 6",
      "pii_redaction_config.CREDIT_CARD.operator.mask_char must be one character, not a letter, digit or space",
      "pii_redaction_config.SHOE_SIZE is not a detector (one of EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS, PERSON, US_BANK_NUMBER, US_DRIVER_LICENSE, US_ITIN, US_PASSPORT, UK_NHS, MEDICAL_LICENSE, CRYPTO)",
      "pii_redaction_config.PHONE_NUMBER.redact must be a boolean",
      'pii_redaction_config.PHONE_NUMBER.operator.kind must be one of "replace_with_type", "partial_mask", "hash_replace"',
      "pii_redaction_config.IBAN_CODE.operator.keep_last does not apply to hash_replace",
    ]);
    assert.deepEqual(validateRedactionConfig({}), { config: {}, errors: [], unprocessable: false });
  });
});
