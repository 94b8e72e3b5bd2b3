import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { AppError } from "../domain/errors.ts";
import { classifyAddress } from "../domain/public-address.ts";

/** Why a webhook may not target this address (loopback, private, NAT64 of a private one…), or null if public. */
export function nonPublicReason(ip: string): string | null {
  const v = classifyAddress(ip);
  return v.public ? null : v.reason;
}

const invalid = (message: string) => new AppError("invalid", "WEBHOOK_URL_INVALID", message);

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
    for (const address of addresses) {
      const reason = nonPublicReason(address);
      if (reason)
        throw new AppError(
          "invalid",
          "WEBHOOK_URL_PRIVATE",
          `url host ${host} resolves to ${address} (${reason}), not a public unicast address; webhook targets must be public (an operator can allow private targets with POSTBOX_WEBHOOK_ALLOW_PRIVATE=1)`,
        );
    }
  }
  return url.toString();
}
