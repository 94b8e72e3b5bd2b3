import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CONFIRMATIONS_PER_DAY,
  checkConfirmationToken,
  confirmationToken,
  parseConfirmationToken,
  recipientAddress,
  recipientStatus,
  resendRefusal,
} from "../../src/domain/recipient-verification.ts";

const SECRET = "s3cret";
const now = new Date("2026-12-01T10:00:00Z");
const row = {
  id: "6f1c2a9e-3b7d-4c1e-9a2b-1d2e3f4a5b6c",
  email: "jane@example.com",
  status: "pending" as "pending" | "confirmed",
  links_sent: 1,
  link_expires_at: new Date("2026-12-04T10:00:00Z"),
};
const check = (token: string, r = row, at = now) =>
  checkConfirmationToken(SECRET, parseConfirmationToken(token)!, r, at);

describe("recipient confirmation links", () => {
  it("accepts the row's latest link until it expires", () => {
    const token = confirmationToken(SECRET, row);
    assert.equal(check(token), "good");
    assert.equal(check(token, row, new Date("2026-12-04T10:00:00Z")), "expired");
  });

  it("refuses another secret, another address, an older link or an altered expiry", () => {
    const token = confirmationToken(SECRET, row);
    assert.equal(checkConfirmationToken("other", parseConfirmationToken(token)!, row, now), "invalid");
    assert.equal(check(token, { ...row, email: "kim@example.com" }), "invalid");
    assert.equal(check(token, { ...row, links_sent: 2 }), "invalid", "a resend replaced it");
    const [id, n, exp, sig] = token.split(".");
    assert.equal(check(`${id}.${n}.${Number(exp) + 1}.${sig}`), "invalid");
    assert.equal(check(token, { ...row, id: "00000000-0000-0000-0000-000000000000" }), "invalid");
    assert.equal(parseConfirmationToken("nonsense"), null);
    assert.equal(parseConfirmationToken(`${token}x`), null);
  });

  it("still shows a confirmed recipient as confirmed through any link made for it", () => {
    const old = confirmationToken(SECRET, row);
    assert.equal(check(old, { ...row, status: "confirmed", links_sent: 3 }, new Date("2027-01-01Z")), "good");
  });

  it("derives the status on the wire", () => {
    assert.equal(recipientStatus(row, now), "pending");
    assert.equal(recipientStatus(row, row.link_expires_at), "expired");
    assert.equal(recipientStatus({ ...row, status: "confirmed" }, row.link_expires_at), "confirmed");
  });

  it("takes single addresses only, lower-cased", () => {
    assert.equal(recipientAddress(" Jane@Example.COM "), "jane@example.com");
    for (const bad of ["@example.com", "jane", "a b@example.com"])
      assert.throws(() => recipientAddress(bad), { code: "INVALID_EMAIL" });
  });

  it("limits confirmation mail per address and per account", () => {
    const sent = { link_sent_at: new Date(now.getTime() - 30_000) };
    assert.equal(resendRefusal(sent, 0, now)?.retryAfterSeconds, 30);
    assert.equal(resendRefusal({ link_sent_at: new Date(now.getTime() - 61_000) }, 0, now), null);
    assert.equal(resendRefusal(null, CONFIRMATIONS_PER_DAY, now)?.code, "RATE_LIMITED");
    assert.equal(resendRefusal(null, CONFIRMATIONS_PER_DAY - 1, now), null);
  });
});
