import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyAddress, isPublicAddress } from "../../src/domain/public-address.ts";

// [address, public?, the reason's expected wording when refused]
const TABLE: [string, boolean, RegExp?][] = [
  // Public unicast, and the edges of the ranges around it.
  ["8.8.8.8", true],
  ["1.1.1.1", true],
  ["100.63.255.255", true],
  ["100.128.0.0", true],
  ["172.15.255.255", true],
  ["172.32.0.0", true],
  ["2606:4700:4700::1111", true],
  ["2a00:1450:4001:80b::200e", true],
  // IPv4 special ranges.
  ["127.0.0.1", false, /loopback/],
  ["127.255.255.254", false, /loopback/],
  ["10.0.0.1", false, /private/],
  ["172.16.0.1", false, /private/],
  ["172.31.255.255", false, /private/],
  ["192.168.1.1", false, /private/],
  ["169.254.169.254", false, /linkLocal/],
  ["100.64.0.1", false, /carrierGradeNat/],
  ["100.127.255.254", false, /carrierGradeNat/],
  ["0.0.0.0", false, /unspecified/],
  ["0.1.2.3", false, /unspecified/],
  ["255.255.255.255", false, /broadcast/],
  ["224.0.0.1", false, /multicast/],
  ["239.255.255.250", false, /multicast/],
  ["240.0.0.1", false, /reserved/],
  ["192.0.2.1", false, /reserved/],
  ["198.51.100.1", false, /reserved/],
  ["203.0.113.1", false, /reserved/],
  ["198.18.0.1", false, /reserved/],
  ["192.0.0.8", false, /reserved/],
  // IPv6 special ranges.
  ["::1", false, /loopback/],
  ["::", false, /unspecified/],
  ["fe80::1", false, /linkLocal/],
  ["fc00::1", false, /uniqueLocal/],
  ["fd12:3456::1", false, /uniqueLocal/],
  ["ff02::1", false, /multicast/],
  ["ff0e::1", false, /multicast/],
  ["2001:db8::1", false, /reserved/],
  ["3fff::1", false, /reserved/],
  ["fec0::1", false, /deprecatedSiteLocal/],
  ["feff::1", false, /deprecatedSiteLocal/],
  ["100::1", false, /discard/],
  ["2001:2::1", false, /benchmarking/],
  ["64:ff9b:1::a00:1", false, /rfc6052/],
  // IPv4-mapped ::ffff:a.b.c.d, in dotted and hex spelling.
  ["::ffff:127.0.0.1", false, /IPv4-mapped form of 127\.0\.0\.1, loopback/],
  ["::ffff:7f00:1", false, /IPv4-mapped form of 127\.0\.0\.1/],
  ["::ffff:10.0.0.1", false, /private/],
  ["::ffff:8.8.8.8", true],
  // IPv4-translated ::ffff:0:a.b.c.d (RFC 6145).
  ["::ffff:0:127.0.0.1", false, /IPv4-translated form of 127\.0\.0\.1/],
  ["::ffff:0:192.168.0.1", false, /private/],
  ["::ffff:0:8.8.8.8", true],
  // NAT64 well-known prefix 64:ff9b::/96.
  ["64:ff9b::7f00:1", false, /NAT64 form of 127\.0\.0\.1, loopback/],
  ["64:ff9b::10.0.0.1", false, /NAT64 form of 10\.0\.0\.1, private/],
  ["64:ff9b::169.254.169.254", false, /linkLocal/],
  ["64:ff9b::8.8.8.8", true],
  // 6to4 2002:AABB:CCDD::/48.
  ["2002:7f00:1::1", false, /6to4 form of 127\.0\.0\.1/],
  ["2002:c0a8:101::1", false, /6to4 form of 192\.168\.1\.1, private/],
  ["2002:808:808::1", true],
  // IPv4-compatible ::a.b.c.d (deprecated).
  ["::127.0.0.1", false, /IPv4-compatible form of 127\.0\.0\.1/],
  ["::10.0.0.1", false, /private/],
  ["::0.0.0.2", false, /unspecified/],
  ["::8.8.8.8", true],
  // Teredo 2001:0:<server>:<flags>:<port>:<client, inverted>.
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", false, /Teredo form of 127\.0\.0\.1/],
  ["2001:0:a00:1:8000:63bf:f7f7:f7f7", false, /Teredo form of 10\.0\.0\.1/],
  ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", true],
  // Not canonical IP literals at all.
  ["example.com", false, /not an IP address/],
  ["127.1", false, /not an IP address/],
  ["2130706433", false, /not an IP address/],
];

describe("public address classification (webhook targets)", () => {
  for (const [ip, expected, reason] of TABLE)
    it(`${ip} is ${expected ? "public" : "refused"}`, () => {
      const v = classifyAddress(ip);
      assert.equal(v.public, expected);
      assert.equal(isPublicAddress(ip), expected);
      if (!v.public && reason) assert.match(v.reason, reason);
    });
});
