import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { PostResult } from "../domain/webhook-retry.ts";
import { nonPublicReason } from "./target.ts";

/**
 * An idle kept-alive connection is closed after this, or a second before the target's own `Keep-Alive: timeout`
 * when it announces a shorter one (Node's agent reads it). A target that closes one unannounced as we reuse it
 * costs a second attempt on a new connection (below).
 */
const IDLE_SOCKET_MS = 30_000;

export interface WebhookPosterOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** Test seams: the name lookup (a DNS answer that changes) and the address rule (default: public only). */
  lookup?: typeof dnsLookup;
  refusal?: (ip: string) => string | null;
}

export interface WebhookPoster {
  post(url: string, body: string, headers: Record<string, string>): Promise<PostResult>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/**
 * POSTs deliveries over kept-alive connections, pooled per target (host and port). No redirects are followed (a
 * 3xx is an answer) and each exchange is bounded by `timeoutMs`. Unless private targets are allowed, the address is
 * checked whenever a connection is opened: a name that re-resolves to a private address later (DNS rebinding) is
 * refused on its next connection; a connection already open stays with the address that was checked.
 */
export function createWebhookPoster(opts: WebhookPosterOptions): WebhookPoster {
  const refusal = opts.allowPrivate ? () => null : (opts.refusal ?? nonPublicReason);
  const lookup = opts.lookup ?? dnsLookup;
  const guardedLookup: LookupFunction = (hostname, options, cb) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, "", 0);
      const list = addresses as unknown as LookupAddress[];
      const bad = list.find((a) => refusal(a.address));
      if (bad)
        return cb(
          new Error(
            `refused: ${hostname} resolves to ${bad.address} (${refusal(bad.address)}), not a public address`,
          ),
          "",
          0,
        );
      if ((options as { all?: boolean }).all)
        return (cb as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      cb(null, list[0]!.address, list[0]!.family);
    });
  };
  // The lookup is the agents': every connection they open is checked, whoever asks for it.
  const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" as const };
  const agents = {
    "http:": new http.Agent({ ...agentOptions, lookup: guardedLookup } as http.AgentOptions),
    "https:": new https.Agent({ ...agentOptions, lookup: guardedLookup } as https.AgentOptions),
  };

  function post(url: string, body: string, headers: Record<string, string>): Promise<PostResult> {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, "");
    // An IP literal is never looked up, so the connect-time check would not see it.
    const literalReason = isIP(host) ? refusal(host) : null;
    if (literalReason)
      return Promise.resolve({
        status: null,
        error: `refused: ${host} is not a public address (${literalReason})`,
        retryAfterSeconds: null,
      });
    const agent = u.protocol === "https:" ? agents["https:"] : agents["http:"];
    return new Promise((resolve) => {
      let settled = false;
      let req: http.ClientRequest;
      const done = (r: PostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const send = (retried: boolean) => {
        req = (u.protocol === "https:" ? https : http).request(
          u,
          {
            method: "POST",
            headers: {
              ...headers,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
            },
            lookup: guardedLookup,
            agent,
          },
          (res) => {
            const status = res.statusCode ?? 0;
            const ra = res.headers["retry-after"];
            const retryAfterSeconds = ra && /^\d+$/.test(ra) ? Number(ra) : null;
            // Read all of the answer (so the connection can serve the next delivery), keep its start for the log.
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
        req.on("error", (err: NodeJS.ErrnoException) => {
          // The target closed an idle kept-alive connection as we reused it: once more on a new connection.
          if (!retried && req.reusedSocket && !settled && err.code === "ECONNRESET") return send(true);
          done({ status: null, error: err.message, retryAfterSeconds: null });
        });
        req.end(body);
      };
      const timer = setTimeout(() => {
        req.destroy();
        done({ status: null, error: `timed out after ${opts.timeoutMs} ms`, retryAfterSeconds: null });
      }, opts.timeoutMs);
      send(false);
    });
  }

  return {
    post,
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}
