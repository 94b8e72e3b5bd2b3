import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientNetwork } from "../../src/domain/client-address.ts";
import { createLiveSlots } from "../../src/domain/live-slots.ts";

describe("client network of a connection cap", () => {
  it("is the address for IPv4 (also IPv4-mapped IPv6) and the /64 for IPv6", () => {
    assert.equal(clientNetwork("192.0.2.7"), "192.0.2.7");
    assert.equal(clientNetwork("::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(clientNetwork("2001:db8:1:2:aaaa::1"), "2001:0db8:0001:0002::/64");
    assert.equal(clientNetwork("2001:DB8:1:2:bbbb:cccc:dddd:eeee"), "2001:0db8:0001:0002::/64");
    assert.equal(clientNetwork("2001:db8::1"), "2001:0db8:0000:0000::/64");
    assert.equal(clientNetwork("::1"), "0000:0000:0000:0000::/64");
    assert.equal(clientNetwork("64:ff9b::192.0.2.1"), "0064:ff9b:0000:0000::/64");
    assert.equal(clientNetwork(""), "");
  });
});

describe("live slots", () => {
  it("caps per key first, then per account, and gives slots back once", () => {
    const slots = createLiveSlots({ perKey: 2, perAccount: 3 });
    const a1 = slots.acquire("k1", "acct");
    const a2 = slots.acquire("k1", "acct");
    assert.deepEqual(slots.acquire("k1", "acct"), { full: "key" });
    const b1 = slots.acquire("k2", "acct");
    assert.deepEqual(slots.acquire("k2", "acct"), { full: "account" });
    assert.ok("release" in slots.acquire("k3", "other"), "another account has its own count");
    assert.equal(slots.open(), 4);
    assert.ok("release" in a1 && "release" in a2 && "release" in b1);
    a1.release();
    a1.release();
    assert.equal(slots.open(), 3);
    assert.ok("release" in slots.acquire("k2", "acct"));
    assert.deepEqual(slots.acquire("k1", "acct"), { full: "account" });
  });
});
