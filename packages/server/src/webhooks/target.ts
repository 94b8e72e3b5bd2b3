import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { AppError } from "../domain/errors.ts";

// Loopback, private, link-local, carrier-grade NAT, benchmarking, multicast and reserved ranges: a webhook must
// not become a way to reach the operator's own network.
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return PRIVATE.check(ip, "ipv4");
  if (v === 6) {
    // IPv4-mapped addresses (::ffff:10.0.0.1) are judged as the IPv4 address they carry.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return PRIVATE.check(mapped[1]!, "ipv4");
    return PRIVATE.check(ip, "ipv6");
  }
  return true;
}

const invalid = (message: string) => new AppError(400, "WEBHOOK_URL_INVALID", message);

/** Checks a webhook URL when it is set: http(s), no credentials, and (unless allowed) a public address. */
export async function checkWebhookUrl(text: string, allowPrivate: boolean): Promise<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`url ${JSON.stringify(text)} is not a URL; give an absolute https:// URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw invalid(`url must use https:// (or http://), not ${url.protocol}`);
  if (url.username || url.password)
    throw invalid("url must not carry credentials; authenticate deliveries by their signature");
  if (url.hash) throw invalid("url must not have a #fragment");
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
      } catch {
        throw invalid(`url host ${host} does not resolve; check the name`);
      }
    }
    const bad = addresses.find(isPrivateAddress);
    if (bad)
      throw new AppError(
        400,
        "WEBHOOK_URL_PRIVATE",
        `url host ${host} resolves to ${bad}, a loopback or private address; webhook targets must be public (an operator can allow private targets with POSTBOX_WEBHOOK_ALLOW_PRIVATE=1)`,
      );
  }
  return url.toString();
}
