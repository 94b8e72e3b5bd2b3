import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { PostResult } from "../domain/webhook-retry.ts";
import { nonPublicReason } from "./target.ts";

/**
 * POSTs one delivery. No redirects are followed (a 3xx is an answer), the whole exchange is bounded by
 * `timeoutMs`, and unless private targets are allowed the address is checked at connect time too, so a name
 * that re-resolves to a private address later (DNS rebinding) is refused.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  // An IP literal is never looked up, so the connect-time check below would not see it.
  const literalReason = !opts.allowPrivate && isIP(host) ? nonPublicReason(host) : null;
  if (literalReason)
    return Promise.resolve({
      status: null,
      error: `refused: ${host} is not a public address (${literalReason})`,
      retryAfterSeconds: null,
    });
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const guardedLookup: LookupFunction = (hostname, options, cb) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return cb(err, "", 0);
        const list = addresses as unknown as LookupAddress[];
        const bad = opts.allowPrivate ? undefined : list.find((a) => nonPublicReason(a.address));
        if (bad)
          return cb(
            new Error(
              `refused: ${hostname} resolves to ${bad.address} (${nonPublicReason(bad.address)}), not a public address`,
            ),
            "",
            0,
          );
        if ((options as { all?: boolean }).all)
          return (cb as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        cb(null, list[0]!.address, list[0]!.family);
      });
    };
    const req = (u.protocol === "https:" ? https : http).request(
      u,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
        lookup: guardedLookup,
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const ra = res.headers["retry-after"];
        const retryAfterSeconds = ra && /^\d+$/.test(ra) ? Number(ra) : null;
        // Read a little of the answer for the delivery log, then let the connection go.
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (text.length < 500) text += chunk;
        });
        res.on("end", () =>
          done({ status, error: status >= 300 ? text.slice(0, 500) || null : null, retryAfterSeconds }),
        );
        res.on("error", () => done({ status, error: null, retryAfterSeconds }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: null, error: `timed out after ${opts.timeoutMs} ms`, retryAfterSeconds: null });
    }, opts.timeoutMs);
    req.on("error", (err) => done({ status: null, error: err.message, retryAfterSeconds: null }));
    req.end(body);
  });
}
