import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Whether an IP address is a public unicast address, the only kind a webhook may target. Ranges come from
 * ipaddr.js's `range()` (its IANA special-purpose tables); IPv6 forms that carry an IPv4 address are judged by the
 * IPv4 address they carry, since a translator or tunnel would deliver the request there.
 */
export type AddressVerdict = { public: true } | { public: false; reason: string };

const v4 = (hi: number, lo: number) =>
  new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]) as ipaddr.IPv4;

/** The IPv4 addresses an IPv6 address stands for, with the name of the form; empty for a native IPv6 address. */
function embeddedIPv4(a: ipaddr.IPv6): { form: string; addresses: ipaddr.IPv4[] } | null {
  const p = a.parts;
  const range = a.range() as string;
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated, RFC 6145), 64:ff9b::a.b.c.d (NAT64 well-known prefix).
  if (range === "ipv4Mapped") return { form: "IPv4-mapped", addresses: [v4(p[6]!, p[7]!)] };
  if (range === "rfc6145") return { form: "IPv4-translated", addresses: [v4(p[6]!, p[7]!)] };
  if (range === "rfc6052" && p[2] === 0) return { form: "NAT64", addresses: [v4(p[6]!, p[7]!)] };
  // 2002:AABB:CCDD::/48 is the 6to4 site behind IPv4 AA.BB.CC.DD (RFC 3056).
  if (range === "6to4") return { form: "6to4", addresses: [v4(p[1]!, p[2]!)] };
  // Teredo (RFC 4380): the server's IPv4 in bits 32-63, the client's, inverted, in bits 96-127.
  if (range === "teredo")
    return { form: "Teredo", addresses: [v4(p[2]!, p[3]!), v4(p[6]! ^ 0xffff, p[7]! ^ 0xffff)] };
  // ::a.b.c.d, the deprecated IPv4-compatible form (RFC 4291 §2.5.5.1); :: and ::1 have their own ranges.
  if (range === "unicast" && p.slice(0, 6).every((x) => x === 0))
    return { form: "IPv4-compatible", addresses: [v4(p[6]!, p[7]!)] };
  return null;
}

/** "::10.0.0.1" → "::a00:1": ipaddr.js would read a dotted tail after a bare "::" as IPv4-mapped. */
function hexTail(ip: string): string {
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return ip;
  const [a, b, c, d] = m.slice(2).map(Number) as [number, number, number, number];
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

export function classifyAddress(ip: string): AddressVerdict {
  // node's isIP accepts only canonical literals; ipaddr.js alone would also take "127.1" or "2130706433".
  if (!isIP(ip)) return { public: false, reason: "not an IP address" };
  const a = ipaddr.parse(isIP(ip) === 6 ? hexTail(ip) : ip);
  if (a.kind() === "ipv4") {
    const range = a.range() as string;
    return range === "unicast" ? { public: true } : { public: false, reason: range };
  }
  const v6 = a as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    for (const inner of embedded.addresses) {
      const range = inner.range() as string;
      if (range !== "unicast")
        return { public: false, reason: `${embedded.form} form of ${inner.toString()}, ${range}` };
    }
    return { public: true };
  }
  const range = v6.range() as string;
  // Includes the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215): its translator is the operator's own.
  return range === "unicast" ? { public: true } : { public: false, reason: range };
}

export const isPublicAddress = (ip: string): boolean => classifyAddress(ip).public;
