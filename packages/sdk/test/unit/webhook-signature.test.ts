import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { hmacSha256, sha256 } from "../../src/hmac-sha256.ts";
import { verifyWebhookSignature, WebhookSignatureError } from "../../src/index.ts";

const secret = "whsec_test_secret";
const body = JSON.stringify({
  id: "evt_1",
  event: "webhook.test",
  created_at: "2026-11-22T10:00:00.000Z",
  data: {},
});
const mac = (s: string, t: number, b = body) => createHmac("sha256", s).update(`${t}.${b}`).digest("hex");
const now = 1_795_000_000;

describe("verifyWebhookSignature", () => {
  it("accepts a signature made with the secret, from a string or bytes, and returns the envelope", () => {
    const signature = `t=${now},v1=${mac(secret, now)}`;
    assert.equal(verifyWebhookSignature({ payload: body, signature, secret, now }).id, "evt_1");
    assert.equal(
      verifyWebhookSignature({ payload: new TextEncoder().encode(body), signature, secret, now }).event,
      "webhook.test",
    );
  });

  it("accepts either signature during a rotation", () => {
    const signature = `t=${now},v1=${mac("whsec_new", now)},v1=${mac("whsec_old", now)}`;
    verifyWebhookSignature({ payload: body, signature, secret: "whsec_new", now });
    verifyWebhookSignature({ payload: body, signature, secret: "whsec_old", now });
    assert.throws(
      () => verifyWebhookSignature({ payload: body, signature, secret: "whsec_other", now }),
      WebhookSignatureError,
    );
  });

  it("refuses a changed body, a wrong secret, a stale or future timestamp, and malformed headers", () => {
    const signature = `t=${now},v1=${mac(secret, now)}`;
    const check = (o: Partial<Parameters<typeof verifyWebhookSignature>[0]>, re: RegExp) =>
      assert.throws(
        () => verifyWebhookSignature({ payload: body, signature, secret, now, ...o }),
        (e: unknown) =>
          e instanceof WebhookSignatureError && e.code === "WEBHOOK_SIGNATURE_INVALID" && re.test(e.message),
      );
    check({ payload: body.replace("evt_1", "evt_2") }, /does not match/);
    check({ secret: "whsec_wrong" }, /does not match/);
    check({ now: now + 301 }, /tolerance/);
    check({ now: now - 301 }, /tolerance/);
    verifyWebhookSignature({ payload: body, signature, secret, now: now + 299 });
    verifyWebhookSignature({ payload: body, signature, secret, now: now + 1000, tolerance: 1200 });
    check({ signature: undefined }, /missing/);
    check({ signature: "v1=abc" }, /must look like/);
    check({ signature: `t=${now}` }, /must look like/);
    check({ signature: `t=${now},v1=${"0".repeat(64)}` }, /does not match/);
    check({ signature: `t=soon,v1=${mac(secret, now)}` }, /must look like/);
  });
});

describe("hmacSha256 (the SDK's own, so that it imports nothing from Node)", () => {
  it("agrees with node:crypto for every length around the block boundaries and for long keys", () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_000]) {
      const message = randomBytes(length);
      for (const key of [
        randomBytes(0),
        randomBytes(32),
        randomBytes(64),
        randomBytes(65),
        randomBytes(200),
      ]) {
        const expected = createHmac("sha256", key).update(message).digest("hex");
        assert.equal(Buffer.from(hmacSha256(key, message)).toString("hex"), expected, `length ${length}`);
      }
      assert.equal(
        Buffer.from(sha256(message)).toString("hex"),
        createHash("sha256").update(message).digest("hex"),
      );
    }
  });
});
