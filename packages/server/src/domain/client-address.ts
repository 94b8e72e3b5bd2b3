import { isIPv4, isIPv6 } from "node:net";

/**
 * The unit a per-client connection cap counts: an IPv4 address, or an IPv6 client's /64 (one subscriber's
 * network hands out a whole /64, so counting single addresses there would cap nothing).
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head, tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An embedded IPv4 tail takes two groups; only the first four groups matter here, so it needs no decoding.
  const width = right.some((g) => g.includes(".")) ? 7 : 8;
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, width - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.padStart(4, "0"))
    .join(":")}::/64`;
}
