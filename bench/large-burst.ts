import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import { Postbox } from "../packages/sdk/src/index.ts";
import { percentile, rssOf, startBenchService } from "./service.ts";

/** A message of about `bytes`: a short note and a base64 attachment of random bytes (large mail is attachments). */
export function largeMessage(to: string, i: number, bytes: number): string {
  const data = randomBytes(Math.floor((bytes * 3) / 4))
    .toString("base64")
    .replace(/.{76}/g, "$&\r\n");
  return [
    "From: Sender <sender@example.org>",
    `To: ${to}`,
    `Subject: Large ${i}`,
    `Message-ID: <large-${i}-${Date.now()}@example.org>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="LARGE"',
    "",
    "--LARGE",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `Attached: scan ${i}.`,
    "--LARGE",
    `Content-Type: application/octet-stream; name="scan-${i}.bin"`,
    "Content-Transfer-Encoding: base64",
    `Content-Disposition: attachment; filename="scan-${i}.bin"`,
    "",
    data,
    "--LARGE--",
    "",
  ].join("\r\n");
}

/**
 * A burst of large messages to one mailbox, all roles in one process as users run it: how long acceptance and
 * processing take, the service's peak RSS, and how long /v1/health takes to answer meanwhile (polled every 200 ms).
 */
export async function benchLargeBurst(opts: { databaseUrl: string | null; count: number; sizeMb: number }) {
  const bytes = opts.sizeMb * 1024 * 1024;
  const b = await startBenchService(opts.databaseUrl, {
    POSTBOX_MAX_MESSAGE_BYTES: String(bytes + 1024 * 1024),
  });
  const health: number[] = [];
  let peakRss = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t0 = performance.now();
      const res = await fetch(`${b.baseUrl}/v1/health`).catch(() => null);
      await res?.text();
      health.push(performance.now() - t0);
      peakRss = Math.max(peakRss, (await rssOf(b.svc.child.pid)) ?? 0);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl, timeout: 600 });
    await pb.mailboxes.create({ name: "burst" });
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: b.svc.smtpPort,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 5,
      socketTimeout: 600_000,
    });
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.count }, (_, i) =>
        smtp.sendMail({
          envelope: { from: "sender@example.org", to: ["burst@test.local"] },
          raw: largeMessage("burst@test.local", i, bytes),
        }),
      ),
    );
    const accepted = performance.now() - t0;
    smtp.close();
    for (;;) {
      const h = (await (await fetch(`${b.baseUrl}/v1/health`)).json()) as {
        queue: { inbound_pending: number; inbound_failed: number };
      };
      if (h.queue.inbound_pending === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const processed = performance.now() - t0;
    const list = await pb.messages.list("burst", { limit: 100 });
    polling = false;
    await poller;
    const sorted = [...health].sort((x, y) => x - y);
    console.log(
      `\n## Large burst — ${b.label}, ${opts.count} × ${opts.sizeMb} MB to one mailbox (all roles)\n` +
        `accepted in ${(accepted / 1000).toFixed(1)} s, processed in ${(processed / 1000).toFixed(1)} s; ` +
        `${list.data.length} messages listed (${list.data.filter((m) => m.state === "available").length} available)\n` +
        `peak RSS ${peakRss.toFixed(0)} MB; /v1/health over ${health.length} polls: p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms`,
    );
  } finally {
    polling = false;
    await poller;
    const t0 = performance.now();
    await b.stop();
    console.log(`SIGTERM to exit: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
