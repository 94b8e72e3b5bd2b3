import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  base58AddressValid,
  ethereumAddressValid,
  segwitAddressValid,
} from "../../src/domain/pii/crypto-addresses.ts";
import { detectPii, PII_TYPES, type PiiType } from "../../src/domain/pii/detect.ts";
import { deaValid, itinValid, nhsValid } from "../../src/domain/pii/id-numbers.ts";
import { redact, validateRedactionConfig } from "../../src/domain/pii/redact.ts";

const find = (text: string) => detectPii(text).map((s) => [s.type, text.slice(s.start, s.end)]);
/** One detector alone: a near-miss of it may still be a finding of another (a phone number). */
const findOnly = (type: PiiType, text: string) =>
  detectPii(text, [type]).map((s) => [s.type, text.slice(s.start, s.end)]);

// Test vectors: the Bitcoin wiki's sample addresses, BIP-173 and BIP-350's valid and invalid lists, EIP-55's examples.
const P2PKH = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
const P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy";
const SEGWIT_V0 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
const TAPROOT = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0";
const ETH = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

describe("CRYPTO", () => {
  it("validates base58check, bech32, bech32m and EIP-55", () => {
    assert.equal(base58AddressValid(P2PKH), true);
    assert.equal(base58AddressValid(P2SH), true);
    assert.equal(base58AddressValid("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"), false, "double-SHA-256 checksum");
    assert.equal(base58AddressValid("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"), false, "testnet version byte");
    assert.equal(segwitAddressValid(SEGWIT_V0), true);
    assert.equal(segwitAddressValid("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"), true, "upper case");
    assert.equal(
      segwitAddressValid("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"),
      true,
      "32-byte v0 program",
    );
    assert.equal(segwitAddressValid(TAPROOT), true);
    assert.equal(segwitAddressValid("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"), true, "v2, bech32m");
    assert.equal(segwitAddressValid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"), false, "bech32 checksum");
    assert.equal(
      segwitAddressValid("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"),
      false,
      "v1 with a bech32 (not bech32m) checksum",
    );
    assert.equal(segwitAddressValid("bc1qr508d6qejxtdg4y5r3zarvaryv98gj9p"), false, "v0 program of 16 bytes");
    assert.equal(segwitAddressValid("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"), false, "testnet");
    for (const a of [
      ETH,
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
      "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ])
      assert.equal(ethereumAddressValid(a), true, a);
    assert.equal(ethereumAddressValid("0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), false, "EIP-55 case");
  });

  it("finds addresses in running text, and nothing in near-misses", () => {
    assert.deepEqual(find(`Please send 0.1 BTC to ${P2PKH}, or to ${SEGWIT_V0}.`), [
      ["CRYPTO", P2PKH],
      ["CRYPTO", SEGWIT_V0],
    ]);
    assert.deepEqual(find(`Escrow: ${P2SH} (multisig); taproot ${TAPROOT}; ETH ${ETH}.`), [
      ["CRYPTO", P2SH],
      ["CRYPTO", TAPROOT],
      ["CRYPTO", ETH],
    ]);
    assert.deepEqual(find("Send BTC to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 now."), [], "checksum fails");
    assert.deepEqual(find("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"), [], "checksum fails");
    assert.deepEqual(find("wallet 0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), [], "EIP-55 fails");
    assert.deepEqual(
      find("commit 3f786850e387550fdab836ed7e6dc881de23001b and 0x1234"),
      [],
      "hashes, short hex",
    );
    assert.deepEqual(find(`prefix${P2PKH}`), [], "inside a longer token");
  });
});

describe("UK_NHS", () => {
  it("checks the modulus-11 digit", () => {
    assert.equal(nhsValid("9434765919"), true);
    assert.equal(nhsValid("9434765918"), false);
    assert.equal(nhsValid("4000000080"), false, "a remainder that gives check digit 10 is never issued");
    assert.equal(nhsValid("0000000000"), false);
  });

  it("needs the words, except in the NHS's own spaced form, which yields to other readings", () => {
    assert.deepEqual(find("Patient's NHS number is 943 476 5919, seen today."), [["UK_NHS", "943 476 5919"]]);
    assert.deepEqual(find("NHS no: 943-476-5919"), [["UK_NHS", "943-476-5919"]]);
    assert.deepEqual(find("NHS: 9434765919."), [["UK_NHS", "9434765919"]]);
    assert.deepEqual(findOnly("UK_NHS", "NHS number 943 476 5918"), [], "wrong check digit");
    assert.deepEqual(findOnly("UK_NHS", "ref 9434765919 attached"), [], "bare digits without the words");
    assert.deepEqual(findOnly("UK_NHS", "ref 943 476 5919 attached"), [["UK_NHS", "943 476 5919"]]);
    assert.equal(detectPii("ref 943 476 5919 attached", ["UK_NHS"])[0]!.score < 0.5, true);
    // A valid US phone number that happens to pass the check: the phone reading wins.
    assert.deepEqual(findOnly("UK_NHS", "call 212 555 0105 today"), [["UK_NHS", "212 555 0105"]]);
    assert.deepEqual(find("call 212 555 0105 today"), [["PHONE_NUMBER", "212 555 0105"]]);
  });
});

describe("US_ITIN", () => {
  it("accepts the IRS's group ranges only", () => {
    for (const g of ["50", "65", "70", "88", "90", "92", "94", "99"])
      assert.equal(itinValid("912", g), true, g);
    for (const g of ["00", "49", "66", "69", "89", "93"]) assert.equal(itinValid("912", g), false, g);
    assert.equal(itinValid("812", "70"), false);
  });

  it("finds formatted ITINs; bare nine digits only after the words", () => {
    assert.deepEqual(find("My ITIN is 912-70-1234 and I file jointly."), [["US_ITIN", "912-70-1234"]]);
    assert.deepEqual(find("tax id 912 94 5678"), [["US_ITIN", "912 94 5678"]]);
    assert.deepEqual(find("taxpayer identification number: 912701234"), [["US_ITIN", "912701234"]]);
    assert.deepEqual(find("ticket 912-93-1234"), [], "group 93 is not issued");
    assert.deepEqual(find("ticket 912-70-12345"), [], "too long");
    assert.deepEqual(find("order 912701234 shipped"), [], "bare digits without the words");
    assert.deepEqual(find("tinted 912701234"), [], "a word that starts like TIN");
  });
});

describe("MEDICAL_LICENSE", () => {
  it("checks the DEA digit and registrant letters", () => {
    assert.equal(deaValid("AB1234563"), true);
    assert.equal(deaValid("A91234563"), true, "business registrant");
    assert.equal(deaValid("AB1234564"), false);
    assert.equal(deaValid("IB1234563"), false, "no registrant type I");
  });

  it("finds DEA numbers in running text", () => {
    assert.deepEqual(find("Prescriber DEA number: AB1234563, NPI on file."), [
      ["MEDICAL_LICENSE", "AB1234563"],
    ]);
    assert.equal(detectPii("DEA AB1234563")[0]!.score > detectPii("ref AB1234563")[0]!.score, true);
    assert.deepEqual(find("DEA number AB1234564"), [], "checksum fails");
    assert.deepEqual(find("DEA ab1234563"), [], "lower case is not how they are printed");
    assert.deepEqual(find("part XAB1234563 or AB12345630"), [], "inside longer tokens");
  });
});

describe("US_PASSPORT", () => {
  it("only near the word", () => {
    assert.deepEqual(find("My passport number is C12345678, expiring 2031."), [["US_PASSPORT", "C12345678"]]);
    assert.deepEqual(find("Passport No.: 123456789"), [["US_PASSPORT", "123456789"]]);
    assert.deepEqual(find("Order C12345678 and 123456789 shipped"), [], "no context");
    assert.deepEqual(find("passport photo, order 12345678"), [], "eight digits");
    assert.deepEqual(find("passport 1234567890"), [], "ten digits");
    assert.deepEqual(find(`passport renewal is due; see ${"x".repeat(40)} 123456789`), [], "too far away");
  });
});

describe("US_DRIVER_LICENSE", () => {
  it("only near the words, with a digit in it", () => {
    assert.deepEqual(find("Driver's license: D1234567 (CA)."), [["US_DRIVER_LICENSE", "D1234567"]]);
    assert.deepEqual(find("driver’s licence number is S530-4605-9276"), [
      ["US_DRIVER_LICENSE", "S530-4605-9276"],
    ]);
    assert.deepEqual(find("DL# 99887766 on file"), [["US_DRIVER_LICENSE", "99887766"]]);
    assert.deepEqual(find("drivers license number WDL0ABCD1234"), [["US_DRIVER_LICENSE", "WDL0ABCD1234"]]);
    assert.deepEqual(find("driver license renewed"), [], "no value");
    assert.deepEqual(find("driver's license issued 2023-04-01"), [], "a date");
    assert.deepEqual(find("Driver's license A12 and ABCDEFGH"), [], "too short, or no digit");
    assert.deepEqual(find("download D1234567"), [], "no context");
  });
});

describe("US_BANK_NUMBER", () => {
  it("8–17 digits after the words, yielding to every other reading", () => {
    assert.deepEqual(find("Please wire it to account number 12345678901, thanks."), [
      ["US_BANK_NUMBER", "12345678901"],
    ]);
    assert.deepEqual(find("Checking account 0012-3456-789 at First Bank"), [
      ["US_BANK_NUMBER", "0012-3456-789"],
    ]);
    assert.deepEqual(find("acct 98765432"), [["US_BANK_NUMBER", "98765432"]]);
    assert.deepEqual(find("account number 1234567"), [], "seven digits");
    assert.deepEqual(find("account number 123456789012345678"), [], "eighteen digits");
    assert.deepEqual(find("bank account balance $12345678.00"), [], "an amount");
    assert.deepEqual(find("order 12345678901 shipped"), [], "no context");
    // The same digits read as something better validated are that.
    assert.deepEqual(find("account number 4111111111111111"), [["CREDIT_CARD", "4111111111111111"]]);
    assert.deepEqual(find("bank account DE89 3704 0044 0532 0130 00"), [
      ["IBAN_CODE", "DE89 3704 0044 0532 0130 00"],
    ]);
    assert.deepEqual(find("acct 123-45-6780"), [["US_SSN", "123-45-6780"]]);
  });
});

describe("new detectors and redaction", () => {
  const key = Buffer.from("account-secret");
  const NEW = [
    "US_BANK_NUMBER",
    "US_DRIVER_LICENSE",
    "US_ITIN",
    "US_PASSPORT",
    "UK_NHS",
    "MEDICAL_LICENSE",
    "CRYPTO",
  ];

  it("are detectors a redaction config may name, in the shape rly sends", () => {
    for (const t of NEW) assert.ok((PII_TYPES as readonly string[]).includes(t), t);
    const r = validateRedactionConfig({
      CRYPTO: { redact: true, operator: { kind: "hash_replace" } },
      US_BANK_NUMBER: { redact: true, operator: { kind: "partial_mask", keep_last: 4 } },
      US_DRIVER_LICENSE: { redact: false },
      US_ITIN: { operator: { kind: "replace_with_type" } },
      US_PASSPORT: {},
      UK_NHS: { redact: true },
      MEDICAL_LICENSE: { operator: { kind: "partial_mask", keep_last: 2, mask_char: "#" } },
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(Object.keys(r.config!).sort(), [...NEW].sort());
  });

  it("apply every operator", () => {
    const { config } = validateRedactionConfig({
      CRYPTO: { operator: { kind: "hash_replace" } },
      US_BANK_NUMBER: { operator: { kind: "partial_mask", keep_last: 4 } },
      US_DRIVER_LICENSE: { redact: false },
      US_PASSPORT: { operator: { kind: "hash_replace" } },
    });
    const text =
      `BTC ${SEGWIT_V0}, acct 12345678901, DL# D1234567, ITIN 912-70-1234, NHS 943 476 5919, ` +
      "DEA AB1234563, passport c12345678.";
    const out = redact(text, detectPii(text), config!, key);
    assert.match(
      out,
      /^BTC <CRYPTO:[0-9a-f]{8}>, acct \*\*\*\*\*\*\*8901, DL# D1234567, ITIN <US_ITIN>, NHS <UK_NHS>, DEA <MEDICAL_LICENSE>, passport <US_PASSPORT:[0-9a-f]{8}>\.$/,
    );
    // One address or passport written in another case is the same value.
    const again = `BTC ${SEGWIT_V0.toUpperCase()}, passport C12345678.`;
    const tags = (s: string) => s.match(/<[A-Z_]+:[0-9a-f]{8}>/g);
    assert.deepEqual(tags(redact(again, detectPii(again), config!, key)), tags(out));
  });

  it("stay linear on hostile input", () => {
    for (const text of [
      "passport ".repeat(30_000),
      "account number 1".repeat(20_000),
      "driver's license A-".repeat(20_000),
      "1".repeat(200_000),
      "bc1q".repeat(50_000),
      `0x${"a".repeat(200_000)}`,
      "AB1234563".repeat(20_000),
      "943 ".repeat(50_000),
    ])
      assert.ok(Array.isArray(detectPii(text)));
  });
});
