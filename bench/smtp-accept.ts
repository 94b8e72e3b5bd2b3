import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, createServer } from "node:net";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { Postbox } from "../packages/sdk/src/index.ts";
import { startDnsServer } from "../packages/server/test/dns-server.ts";
import { startBenchService } from "./service.ts";

const exec = promisify(execFile);

/** Postfix's smtp-source (apt-get install postfix) is a C load generator that leaves the CPU to the server. */
async function haveSmtpSource(): Promise<boolean> {
  return exec("smtp-source", ["-m", "0", "127.0.0.1:9"]).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== "ENOENT",
  );
}

/** smtp-source's arguments for a run: 10 KB messages, reusing each session's connection (-d) or not. */
function sourceArgs(messages: number, sessions: number, reuse: boolean, target: string): string[] {
  return [
    ...(reuse ? ["-d"] : []),
    ...["-l", "10240", "-m", String(messages), "-s", String(sessions)],
    ...["-f", "load@example.org", "-t", "bench@test.local", target],
  ];
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * The ceiling of this machine in this run: the same smtp-source load against Postfix's smtp-sink (a C server that
 * answers 250 and throws the mail away), in messages per second.
 */
async function sinkCeiling(messages: number, sessions: number, reuse: boolean): Promise<number> {
  const port = await freePort();
  // As root, smtp-sink insists on dropping to another user after binding.
  const asRoot = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
  const sink = spawn("smtp-sink", [...asRoot, "-c", `127.0.0.1:${port}`, "1024"], { stdio: "ignore" });
  try {
    // Ready when it accepts a connection.
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const c = connect(port, "127.0.0.1", () => {
          c.destroy();
          resolve(true);
        }).on("error", () => resolve(false));
      });
      if (up) break;
      if (i > 100) throw new Error("smtp-sink did not start");
      await new Promise((r) => setTimeout(r, 50));
    }
    const started = process.hrtime.bigint();
    await exec("smtp-source", sourceArgs(messages, sessions, reuse, `127.0.0.1:${port}`), {
      maxBuffer: 256 * 1024 * 1024,
    });
    return messages / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    sink.kill();
  }
}

/**
 * 10 KB messages over many concurrent SMTP sessions; counts 250 answers per second (each one is committed).
 * The load comes from smtp-source when installed, else from nodemailer in this process (which then competes
 * with the server for the two cores, and reports lower figures).
 */
export async function benchSmtpAccept(opts: {
  databaseUrl: string | null;
  messages: number;
  sessions: number;
  withWorker: boolean;
  /** Give the mailbox a MailPolicy, so authentication and the policy run in every SMTP session. */
  policy?: boolean;
  /** A new connection per message, as most internet senders do (smtp-source only); else sessions reuse theirs. */
  newConnections?: boolean;
}) {
  const reuse = !opts.newConnections;
  // The sender's domain publishes SPF and DMARC on a loopback DNS server (used for the runs with a policy).
  const dns = await startDnsServer({
    "example.org": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] },
    "_dmarc.example.org": { TXT: ["v=DMARC1; p=none"] },
  });
  const b = await startBenchService(opts.databaseUrl, {
    POSTBOX_ROLES: opts.withWorker ? "api,smtp,worker" : "api,smtp",
    POSTBOX_DNS_SERVERS: dns.address,
  });
  try {
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl });
    await pb.mailboxes.create({ name: "bench" });
    if (opts.policy) {
      await pb.setPolicy("bench", {
        defaultAction: "bounce",
        senders: [
          { match: { domain: "elsewhere.example" }, capabilities: ["x"] },
          { match: {}, capabilities: ["read_calendar"], rateLimit: { perHour: 1_000_000 } },
        ],
        contentGuards: [{ reject: "(?i)wire transfer", reason: "phishing" }],
        auditLog: { retentionDays: 30, includeBodyHash: true },
      });
    }
    const useSmtpSource = await haveSmtpSource();
    let seconds: number;
    const started = process.hrtime.bigint();
    if (useSmtpSource) {
      await exec(
        "smtp-source",
        sourceArgs(opts.messages, opts.sessions, reuse, `127.0.0.1:${b.svc.smtpPort}`),
      );
      seconds = Number(process.hrtime.bigint() - started) / 1e9;
    } else {
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
      let next = 0;
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
      seconds = Number(process.hrtime.bigint() - started) / 1e9;
      transport.close();
    }
    const client = useSmtpSource
      ? `smtp-source, ${reuse ? "connections reused" : "a new connection per message"}`
      : "nodemailer in-process";
    // The ceiling of the same load in the same run (after Postbox's run, so the two never share the cores).
    let ceiling = "";
    if (useSmtpSource) {
      const sinkRate = await sinkCeiling(opts.messages, opts.sessions, reuse);
      const rate = opts.messages / seconds;
      ceiling = `; smtp-sink ceiling ${sinkRate.toFixed(0)} msg/s, ratio ${(rate / sinkRate).toFixed(2)}`;
    }
    let processedRate = "";
    if (opts.withWorker) {
      // Full processing: wait until every accepted message is available.
      const total = opts.messages;
      for (;;) {
        const h = (await pb.health.check()) as { queue?: { inbound_pending: number } };
        if ((h.queue?.inbound_pending ?? 0) === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const all = Number(process.hrtime.bigint() - started) / 1e9;
      processedRate = `, all ${total} processed (parse, thread, event) after ${all.toFixed(1)} s = ${(total / all).toFixed(0)} msg/s`;
    }
    console.log(
      `smtp accept-and-commit [${b.label}, ${opts.withWorker ? "worker running" : "no worker"}${opts.policy ? ", MailPolicy + authentication in session" : ""}]: ${opts.messages} × 10 KB over ${opts.sessions} sessions (${client}) in ${seconds.toFixed(2)} s = ${(opts.messages / seconds).toFixed(0)} msg/s${processedRate}${ceiling}`,
    );
  } finally {
    await b.stop();
    await dns.close();
  }
}
