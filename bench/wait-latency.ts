import nodemailer from "nodemailer";
import { Postbox } from "../packages/sdk/src/index.ts";
import { percentile, rssOf, startBenchService } from "./service.ts";

/**
 * One waiter, one message at a time. Two figures per message:
 * accept→wait: from the SMTP 250 to the wait response (includes parsing and threading);
 * wake-up: from the commit that made the message available (its updated_at, clock_timestamp()) to the response.
 */
export async function benchWaitLatency(opts: { databaseUrl: string | null; samples: number }) {
  const b = await startBenchService(opts.databaseUrl);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = await rssOf(b.svc.child.pid);
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl });
    await pb.mailboxes.create({ name: "latency" });
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: b.svc.smtpPort,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 1,
    });
    const accept: number[] = [];
    const wake: number[] = [];
    let cursor: string | undefined = (await pb.messages.wait("latency", { timeout: 1 })).cursor;
    for (let i = 0; i < opts.samples + 20; i++) {
      const waiting = pb.messages.wait("latency", { timeout: 30, since: cursor });
      await new Promise((r) => setTimeout(r, 2)); // let the wait reach the server
      await smtp.sendMail({
        envelope: { from: "a@example.org", to: ["latency@test.local"] },
        raw: `Subject: ${i}\r\n\r\nx\r\n`,
      });
      const acceptedAt = Date.now();
      const res = await waiting;
      const doneAt = Date.now();
      if (!res.message) throw new Error("wait timed out");
      cursor = res.cursor;
      if (i < 20) continue; // warm-up
      accept.push(doneAt - acceptedAt);
      wake.push(doneAt - Date.parse(res.message.updated_at));
    }
    smtp.close();
    accept.sort((x, y) => x - y);
    wake.sort((x, y) => x - y);
    const fmt = (xs: number[]) =>
      `p50 ${percentile(xs, 50)} ms, p99 ${percentile(xs, 99)} ms, max ${xs.at(-1)} ms`;
    console.log(
      `wait [${b.label}], ${opts.samples} messages: accept→wait ${fmt(accept)}; wake-up after commit ${fmt(wake)}`,
    );
    console.log(`idle memory [${b.label}]: ${idleRss?.toFixed(0)} MB RSS after start`);
  } finally {
    await b.stop();
  }
}
