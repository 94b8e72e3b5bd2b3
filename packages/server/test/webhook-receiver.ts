import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WAIT_LIMIT_MS } from "./helpers.ts";

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; event: string; created_at: string; data: Record<string, unknown> };
  /** The v1 signatures in the header, in order. */
  signatures: string[];
  timestamp: number;
}

/** What the receiver answers next: a status, or "hang" (never answers: the sender's timeout decides). */
export type Answer = number | "hang" | { status: number; headers: Record<string, string> };

/**
 * A webhook endpoint on loopback for tests: records every request and answers from a script (then 200).
 * `verify` checks a request's signature against a secret the way a receiver would.
 */
export async function startWebhookReceiver() {
  const received: Received[] = [];
  const script: Answer[] = [];
  const waiters: (() => void)[] = [];
  const hanging: http.ServerResponse[] = [];
  // While holding, requests are left unanswered until release(); `open` counts requests not yet answered.
  let holding = false;
  const held: http.ServerResponse[] = [];
  let open = 0;
  let peakOpen = 0;
  let connections = 0;
  const server = http.createServer((req, res) => {
    open++;
    peakOpen = Math.max(peakOpen, open);
    res.on("close", () => {
      open--;
    });
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const sig = String(req.headers["x-postbox-signature"] ?? "");
      const parts = sig.split(",");
      received.push({
        headers: req.headers,
        body,
        json: JSON.parse(body),
        signatures: parts.filter((p) => p.startsWith("v1=")).map((p) => p.slice(3)),
        timestamp: Number(parts.find((p) => p.startsWith("t="))?.slice(2)),
      });
      for (const w of waiters.splice(0)) w();
      if (holding) {
        held.push(res);
        return;
      }
      const answer = script.shift() ?? 200;
      if (answer === "hang") {
        hanging.push(res);
        return;
      }
      if (typeof answer === "number") res.writeHead(answer).end(answer >= 300 ? `answered ${answer}` : "ok");
      else res.writeHead(answer.status, answer.headers).end();
    });
  });
  // Idle connections stay open long enough for a sender's keep-alive to be seen whatever the machine's load.
  server.keepAliveTimeout = 120_000;
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    /** Queues answers for the next requests. */
    answer(...answers: Answer[]) {
      script.push(...answers);
    },
    /** From now on, leaves requests unanswered until release(). */
    hold() {
      holding = true;
    },
    /** Answers every held request 200 and stops holding. */
    release() {
      holding = false;
      for (const res of held.splice(0)) res.writeHead(200).end("ok");
    },
    /** The most requests that were ever open (arrived, not yet answered) at the same time. */
    get peakOpen() {
      return peakOpen;
    },
    /** TCP connections accepted so far (a sender that keeps connections alive opens fewer than its requests). */
    get connections() {
      return connections;
    },
    /** Closes every open connection, idle kept-alive ones included (the server keeps listening). */
    dropConnections() {
      server.closeAllConnections();
    },
    /** Resolves once at least n requests have arrived (or rejects after timeoutMs). */
    async waitFor(n: number, timeoutMs = WAIT_LIMIT_MS) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline)
          throw new Error(`webhook receiver got ${received.length} of ${n} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return received;
    },
    verify(r: Received, secret: string): boolean {
      const expected = createHmac("sha256", secret).update(`${r.timestamp}.${r.body}`).digest();
      return r.signatures.some((s) => {
        const got = Buffer.from(s, "hex");
        return got.length === expected.length && timingSafeEqual(got, expected);
      });
    },
    async close() {
      for (const res of [...hanging, ...held]) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
