import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Postbox } from "@postbox/sdk";
import {
  DATABASE_URL,
  eventually,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
} from "../../../server/test/helpers.ts";
import { type ServiceProcess, startService, tempDataDir } from "../process.ts";
import { schemaUrl } from "../schema.ts";

const KEY = "pbx_live_scaleoutscaleout.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

describe("two processes on one PostgreSQL", {
  skip: !DATABASE_URL && "needs DATABASE_URL (PGlite is single-process)",
}, () => {
  let a: ServiceProcess;
  let b: ServiceProcess;
  let sink: Sink;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    const s = await schemaUrl(DATABASE_URL!);
    cleanups.push(s.drop);
    sink = await startSink();
    cleanups.push(() => sink.close());
    const common = { DATABASE_URL: s.url, POSTBOX_ADMIN_KEY: KEY, POSTBOX_SMTP_RELAY: sink.url };
    const dirA = await tempDataDir();
    const dirB = await tempDataDir();
    cleanups.push(
      () => rm(dirA, { recursive: true, force: true }),
      () => rm(dirB, { recursive: true, force: true }),
    );
    // A data directory each, as on two machines: with DATABASE_URL the blobs are in PostgreSQL by default.
    a = await startService({ ...common, POSTBOX_DATA_DIR: dirA });
    b = await startService({ ...common, POSTBOX_DATA_DIR: dirB });
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it("mail accepted by one process wakes a wait on the other", async () => {
    const onA = new Postbox({ apiKey: KEY, baseUrl: `http://127.0.0.1:${a.httpPort}` });
    const onB = new Postbox({ apiKey: KEY, baseUrl: `http://127.0.0.1:${b.httpPort}` });
    await onA.mailboxes.create({ name: "shared" });
    // No head start needed: a wait without a cursor returns the oldest unread message, whenever it arrived.
    const waiting = onB.messages.wait("shared", { timeout: 60 });
    const smtp = smtpClient(a.smtpPort);
    await smtp.sendMail({
      envelope: { from: "x@example.org", to: ["shared@test.local"] },
      raw: rawMessage({ to: "shared@test.local", subject: "Across" }),
    });
    smtp.close();
    const { message } = await waiting;
    assert.equal(message?.subject, "Across");
  });

  it("both run delivery workers and no delivery is sent twice", async () => {
    const onA = new Postbox({ apiKey: KEY, baseUrl: `http://127.0.0.1:${a.httpPort}` });
    const onB = new Postbox({ apiKey: KEY, baseUrl: `http://127.0.0.1:${b.httpPort}` });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const client = i % 2 ? onA : onB;
      const res = await client.messages.send({
        from_mailbox: "shared",
        to: [`r${i}@example.net`, `s${i}@example.net`],
        subject: `n${i}`,
        body: "x",
      });
      ids.push(res.message_id);
    }
    await sink.waitFor(60);
    for (const id of ids) await eventually(async () => (await onA.messages.get(id)).state === "delivered");
    // Both processes stop gracefully, finishing whatever they had in flight: a duplicate cannot arrive later.
    await Promise.all([a.stop(), b.stop()]);
    const recipients = sink.received.map((r) => r.to.join(","));
    assert.equal(recipients.length, 60);
    assert.equal(new Set(recipients).size, 60, "each recipient received exactly once");
  });
});
