import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { instanceDetail, instanceOfAddress, isInstanceId } from "../../src/domain/subaddress.ts";

const key = Buffer.alloc(32, 7);
const mailbox = "0b6f3c1e-5d0a-4f7e-9a51-2c8e4b1d9f00";

describe("sub-address instances", () => {
  it("reads back the instance a detail names, for that mailbox and key only", () => {
    const detail = instanceDetail(key, mailbox, "Ticket-42");
    assert.match(detail, /^Ticket-42\.[0-9a-f]{12}$/);
    assert.equal(instanceOfAddress(key, mailbox, `support+${detail}@example.com`), "Ticket-42");
    // A tag upper-cased on the way (some MTAs do) still verifies.
    assert.equal(
      instanceOfAddress(key, mailbox, `support+Ticket-42.${detail.split(".")[1]!.toUpperCase()}@example.com`),
      "Ticket-42",
    );
    assert.equal(instanceOfAddress(key, "another-mailbox", `support+${detail}@example.com`), null);
    assert.equal(instanceOfAddress(Buffer.alloc(32, 8), mailbox, `support+${detail}@example.com`), null);
  });

  it("names no instance for plain, malformed or forged details", () => {
    for (const a of [
      "support@example.com",
      "support+news@example.com",
      "support+Ticket-42.@example.com",
      "support+Ticket-42.zzzzzzzzzzzz@example.com",
      "support+Ticket-42.000000000000@example.com",
      `support+${"x".repeat(33)}.000000000000@example.com`,
    ])
      assert.equal(instanceOfAddress(key, mailbox, a), null, a);
  });

  it("accepts only ids that fit an address's local part", () => {
    for (const ok of ["a", "ticket-42", "A_b-9", "x".repeat(32)]) assert.ok(isInstanceId(ok), ok);
    for (const bad of ["", "a.b", "a b", "a@b", "x".repeat(33), "é"]) assert.ok(!isInstanceId(bad), bad);
  });
});
