import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { Postbox } from "@postbox/sdk";
import nodemailer from "nodemailer";
import { largeMessage } from "../../../../bench/large-burst.ts";
import { DATABASE_URL, eventually } from "../../../server/test/helpers.ts";
import { adminKeyOf, type ServiceProcess, startService, tempDataDir } from "../process.ts";
import { schemaUrl } from "../schema.ts";

const label = DATABASE_URL ? "postgres" : "pglite";
// The CI size of `npm run bench large-burst` (50 × 20 MB): the same path, smaller numbers.
const COUNT = 6;
const SIZE = 4 * 1024 * 1024;

async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe(`a burst of large mail to one mailbox is processed, health answers throughout, SIGTERM is honoured (${label})`, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it("processes every message with bounded memory while /v1/health keeps answering, and resumes after SIGTERM", async () => {
    const dataDir = await tempDataDir();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      POSTBOX_DATA_DIR: dataDir,
      POSTBOX_MAX_MESSAGE_BYTES: String(SIZE + 1024 * 1024),
    };
    if (DATABASE_URL) {
      const s = await schemaUrl(DATABASE_URL);
      cleanups.push(s.drop);
      env.DATABASE_URL = s.url;
    }
    let svc: ServiceProcess = await startService(env);
    cleanups.push(() => svc.stop());
    const key = await adminKeyOf(dataDir);
    const client = (s: ServiceProcess) =>
      new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${s.httpPort}`, timeout: 120 });
    await client(svc).mailboxes.create({ name: "burst" });

    // Health is polled all through: every poll must be answered, and answered healthy.
    let polling = true;
    const answers: number[] = [];
    let peak = 0;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`http://127.0.0.1:${svc.httpPort}/v1/health`).catch(() => null);
        answers.push(res?.status ?? 0);
        await res?.text();
        peak = Math.max(peak, await rssMb(svc.child.pid));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const send = async (s: ServiceProcess, from: number) => {
      const smtp = nodemailer.createTransport({
        host: "127.0.0.1",
        port: s.smtpPort,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 3,
      });
      try {
        await Promise.all(
          Array.from({ length: COUNT }, (_, i) =>
            smtp.sendMail({
              envelope: { from: "sender@example.org", to: ["burst@test.local"] },
              raw: largeMessage("burst@test.local", from + i, SIZE),
            }),
          ),
        );
      } finally {
        smtp.close();
      }
    };
    const available = async (s: ServiceProcess) =>
      (await client(s).messages.list("burst", { limit: 100 })).data.filter((m) => m.state === "available")
        .length;

    await send(svc, 0);
    await eventually(async () => (await available(svc)) === COUNT);
    polling = false;
    await poller;
    assert.ok(answers.length > 0 && answers.every((s) => s === 200), `health answers: ${answers.join(",")}`);
    assert.ok(peak < 1024, `peak RSS ${peak.toFixed(0)} MB`);

    // A second burst, then SIGTERM while it is being processed: the process exits, and a restart finishes the work.
    await send(svc, COUNT);
    svc.child.kill("SIGTERM");
    const exit = await svc.exited;
    assert.equal(exit, 0, `exit status ${exit}`);
    svc = await startService(env);
    await eventually(async () => (await available(svc)) === 2 * COUNT);
    const pending = (await (await fetch(`http://127.0.0.1:${svc.httpPort}/v1/health`)).json()) as {
      queue: { inbound_pending: number; inbound_failed: number };
    };
    assert.equal(pending.queue.inbound_failed, 0);
  });
});
