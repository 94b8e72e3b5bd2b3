import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Postbox } from "../packages/sdk/src/index.ts";
import { percentile, startBenchService } from "./service.ts";

/**
 * Webhook fan-out to a local receiver: `hooks` webhooks subscribed to message.received, `messages` messages
 * ingested over HTTP. Live: deliveries per second and the latency from the event's commit to its arrival.
 * Backlog: the receiver first answers 503 with a Retry-After that makes every delivery due at the same moment;
 * from then on it answers 204 and we time how fast the backlog drains (the dispatcher's own rate). Every 50th request's signature is checked.
 */
export async function benchWebhooks(opts: { databaseUrl: string | null; messages: number; hooks: number }) {
  // While set, the receiver answers 503 with a Retry-After that makes every delivery due again at this time.
  let failingUntil = 0;
  let received = 0;
  let bad = 0;
  const latencies: number[] = [];
  let secrets: string[] = [];
  let waiter: (() => void) | null = null;
  let target = Number.POSITIVE_INFINITY;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (Date.now() < failingUntil)
        return void res
          .writeHead(503, { "retry-after": String(Math.ceil((failingUntil - Date.now()) / 1000)) })
          .end();
      received++;
      const body = Buffer.concat(chunks).toString("utf8");
      const env = JSON.parse(body) as { created_at: string };
      latencies.push(Date.now() - Date.parse(env.created_at));
      if (received % 50 === 0) {
        const sig = String(req.headers["x-postbox-signature"]);
        const t = /t=(\d+)/.exec(sig)?.[1];
        const ok = secrets.some((s) =>
          sig.includes(`v1=${createHmac("sha256", s).update(`${t}.${body}`).digest("hex")}`),
        );
        if (!ok) bad++;
      }
      res.writeHead(204).end();
      if (received >= target) waiter?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const b = await startBenchService(opts.databaseUrl, {
    POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
    POSTBOX_WEBHOOK_RETRY_SCHEDULE: "5s",
  });
  try {
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl });
    await pb.mailboxes.create({ name: "fanout" });
    secrets = [];
    for (let i = 0; i < opts.hooks; i++)
      secrets.push(
        (await pb.webhooks.create({ url: `${url}?h=${i}`, enabled_events: ["message.received"] }))
          .signing_secret,
      );

    const ingest = async (n: number, tag: string) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < n) {
            const i = next++;
            await fetch(`${b.baseUrl}/v1/ingest?rcpt_to=fanout@test.local`, {
              method: "POST",
              headers: { authorization: `Bearer ${b.key}`, "content-type": "message/rfc822" },
              body: `From: a@example.org\r\nTo: fanout@test.local\r\nSubject: ${tag} ${i}\r\n\r\nhello ${i}\r\n`,
            });
          }
        }),
      );
      agent.destroy();
    };
    const until = async (n: number) => {
      target = n;
      const progress = setInterval(() => console.log(`  … ${received} of ${n} received`), 10_000);
      await new Promise<void>((resolve) => {
        waiter = resolve;
        if (received >= n) resolve();
      });
      clearInterval(progress);
    };

    // Live fan-out.
    const live = opts.messages * opts.hooks;
    const t0 = Date.now();
    await ingest(opts.messages, "live");
    await until(live);
    const liveSeconds = (Date.now() - t0) / 1000;
    latencies.sort((x, y) => x - y);
    console.log(
      `webhooks live [${b.label}]: ${opts.messages} messages × ${opts.hooks} webhooks = ${live} deliveries in ${liveSeconds.toFixed(1)} s ` +
        `(${(live / liveSeconds).toFixed(0)}/s, ingest and processing included); commit→receipt p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
    );

    // Backlog drain: every delivery fails once, and all come due again at the same moment.
    failingUntil = Date.now() + 45_000;
    await ingest(opts.messages, "backlog");
    await new Promise((r) => setTimeout(r, failingUntil - Date.now()));
    const t1 = Date.now();
    await until(live * 2);
    const drainSeconds = (Date.now() - t1) / 1000;
    console.log(
      `webhooks backlog [${b.label}]: ${live} queued deliveries all due at once, drained in ${drainSeconds.toFixed(1)} s ` +
        `(${(live / Math.max(0.001, drainSeconds)).toFixed(0)} deliveries/s); ${bad} bad signatures in ${Math.floor(received / 50)} checked`,
    );
  } finally {
    await b.stop();
    server.close();
  }
}
