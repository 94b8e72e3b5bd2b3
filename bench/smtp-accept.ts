import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import { Postbox } from "../packages/sdk/src/index.ts";
import { startBenchService } from "./service.ts";

/** 10 KB messages over many concurrent SMTP sessions; counts 250 answers per second (each one is committed). */
export async function benchSmtpAccept(opts: {
  databaseUrl: string | null;
  messages: number;
  sessions: number;
  withWorker: boolean;
}) {
  const b = await startBenchService(opts.databaseUrl, {
    POSTBOX_ROLES: opts.withWorker ? "api,smtp,worker" : "api,smtp",
  });
  try {
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl });
    await pb.mailboxes.create({ name: "bench" });
    const body = randomBytes(7500).toString("base64").replace(/.{76}/g, "$&\r\n");
    const raw = (i: number) =>
      `From: load@example.org\r\nTo: bench@test.local\r\nSubject: load ${i}\r\nMessage-ID: <load-${i}-${Date.now()}@example.org>\r\n\r\n${body}\r\n`;
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: b.svc.smtpPort,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: opts.sessions,
      maxMessages: Number.POSITIVE_INFINITY,
    });
    // Warm up the sessions so connection set-up (and smtp-server's greeting delay) is not counted.
    await Promise.all(
      Array.from({ length: opts.sessions }, (_, i) =>
        transport.sendMail({
          envelope: { from: "load@example.org", to: ["bench@test.local"] },
          raw: raw(-1 - i),
        }),
      ),
    );
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: opts.sessions }, async () => {
        while (next < opts.messages) {
          const i = next++;
          await transport.sendMail({
            envelope: { from: "load@example.org", to: ["bench@test.local"] },
            raw: raw(i),
          });
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    transport.close();
    let processedRate = "";
    if (opts.withWorker) {
      // Full processing: wait until every accepted message is available.
      const total = opts.messages + opts.sessions;
      for (;;) {
        const h = (await pb.health.check()) as { queue?: { inbound_pending: number } };
        if ((h.queue?.inbound_pending ?? 0) === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const all = Number(process.hrtime.bigint() - started) / 1e9;
      processedRate = `, all ${total} processed (parse, thread, event) after ${all.toFixed(1)} s = ${(total / all).toFixed(0)} msg/s`;
    }
    console.log(
      `smtp accept-and-commit [${b.label}, ${opts.withWorker ? "worker running" : "no worker"}]: ${opts.messages} × 10 KB over ${opts.sessions} sessions in ${seconds.toFixed(2)} s = ${(opts.messages / seconds).toFixed(0)} msg/s${processedRate}`,
    );
  } finally {
    await b.stop();
  }
}
