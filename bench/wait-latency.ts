import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import nodemailer from "nodemailer";
import pg from "pg";
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
    if (b.databaseUrl && cursor)
      await externalCommitWake(b.databaseUrl, b.baseUrl, b.key, opts.samples, cursor);
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

/**
 * Wake-up measured exactly from a commit: this process makes a message available itself (as another Postbox
 * process would) and times from its COMMIT returning to the wait response arriving.
 */
async function externalCommitWake(
  databaseUrl: string,
  baseUrl: string,
  key: string,
  samples: number,
  since: string,
) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const [mb] = (await client.query("select id, account_id from mailboxes where name = 'latency'")).rows;
  let cursor = since;
  const wake: number[] = [];
  // A plain keep-alive HTTP client, so the figure is the server's wake-up rather than fetch's overhead.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(baseUrl);
  const waitRaw = (after: string) =>
    new Promise<{ message: { subject: string } | null; cursor: string }>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `/v1/mailboxes/latency/messages/wait?timeout=30&since=${encodeURIComponent(after)}`,
          headers: { authorization: `Bearer ${key}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        },
      );
      req.on("error", reject);
      req.end();
    });
  for (let i = 0; i < samples + 20; i++) {
    const waiting = waitRaw(cursor);
    await new Promise((r) => setTimeout(r, 5));
    await client.query("begin");
    const seq = (
      await client.query(
        "update mailboxes set inbound_seq = inbound_seq + 1 where id = $1 returning inbound_seq",
        [mb.id],
      )
    ).rows[0].inbound_seq;
    await client.query(
      `insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, subject, inbound_seq)
       values ($1, $2, $3, 'inbound', 'available', repeat('0', 64), 0, 'external', $4)`,
      [randomUUID(), mb.account_id, mb.id, seq],
    );
    await client.query("select pg_notify('postbox_inbound', $1)", [mb.id]);
    await client.query("commit");
    const committed = process.hrtime.bigint();
    const res = await waiting;
    const ms = Number(process.hrtime.bigint() - committed) / 1e6;
    if (res.message?.subject !== "external") throw new Error("wait returned something else");
    cursor = res.cursor;
    if (i >= 20) wake.push(ms);
  }
  await client.end();
  agent.destroy();
  wake.sort((x, y) => x - y);
  const f = (x: number) => x.toFixed(2);
  console.log(
    `wait [PostgreSQL], commit by another process → wait response, ${samples} samples: p50 ${f(percentile(wake, 50))} ms, p99 ${f(percentile(wake, 99))} ms, max ${f(wake.at(-1)!)} ms`,
  );
}
