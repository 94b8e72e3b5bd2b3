import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Postbox } from "@postbox/sdk";
import { DATABASE_URL, eventually, rawMessage, WAIT_LIMIT_MS } from "../../../server/test/helpers.ts";
import { smtpConnect } from "../../../server/test/smtp-lines.ts";
import { streamEnds } from "../../../server/test/streams.ts";
import { adminKeyOf, type ServiceProcess, startService, tempDataDir } from "../process.ts";
import { schemaUrl } from "../schema.ts";

describe(`postbox serve on SIGTERM (${DATABASE_URL ? "postgres" : "pglite"})`, () => {
  let dataDir: string;
  let svc: ServiceProcess;
  let dropSchema: () => Promise<void> = async () => {};

  before(async () => {
    dataDir = await tempDataDir();
    const env: Record<string, string> = { POSTBOX_DATA_DIR: dataDir };
    if (DATABASE_URL) {
      const s = await schemaUrl(DATABASE_URL);
      env.DATABASE_URL = s.url;
      dropSchema = s.drop;
    }
    // A generous grace: this test shows what waits for it (a message being received) and what does not.
    svc = await startService({ ...env, POSTBOX_SHUTDOWN_GRACE_MS: "20000" });
  });
  after(async () => {
    await svc?.stop();
    await dropSchema();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers a pending wait, ends streams, finishes the message in DATA, says 421 to idle SMTP, and exits", async () => {
    const key = await adminKeyOf(dataDir);
    const base = `http://127.0.0.1:${svc.httpPort}`;
    const pb = new Postbox({ apiKey: key, baseUrl: base, maxRetries: 0 });
    await pb.mailboxes.create({ name: "inbox" });
    const headers = { authorization: `Bearer ${key}` };

    const waiting = fetch(`${base}/v1/mailboxes/inbox/messages/wait?timeout=60`, { headers });
    await eventually(async () => (await pb.health.check()).waits_open === 1);
    const stream = await fetch(`${base}/v1/events/stream`, { headers });
    assert.equal(stream.status, 200);
    const ended = streamEnds(stream);

    // One SMTP session in the middle of DATA, one idle between transactions.
    const sending = await smtpConnect(svc.smtpPort);
    assert.match((await sending.reply())!, /^220 /);
    assert.match((await sending.command("EHLO sender.example"))!, /^250/);
    assert.match((await sending.command("MAIL FROM:<someone@example.org>"))!, /^250/);
    assert.match((await sending.command("RCPT TO:<inbox@test.local>"))!, /^250/);
    assert.match((await sending.command("DATA"))!, /^354 /);
    const message = rawMessage({ to: "inbox@test.local", subject: "Sent across a shutdown" });
    sending.write(message.slice(0, 40));
    const idle = await smtpConnect(svc.smtpPort);
    assert.match((await idle.reply())!, /^220 /);
    assert.match((await idle.command("EHLO idle.example"))!, /^250/);

    svc.child.kill("SIGTERM");

    const waited = await waiting;
    assert.equal(waited.status, 200);
    const body = (await waited.json()) as { message: unknown; cursor: string };
    assert.equal(body.message, null);
    assert.ok(body.cursor);
    await ended;
    assert.match((await idle.reply())!, /^421 4\.3\.2 /);
    await idle.closed;

    // The message already in DATA is received to the end and committed before the process goes.
    sending.write(`${message.slice(40)}.\r\n`);
    assert.match((await sending.reply())!, /^250 .*queued as/);
    await sending.command("QUIT");
    await sending.closed;

    // A safety net, not a timing claim: the process must exit by itself.
    const code = await Promise.race([
      svc.exited,
      new Promise((resolve) =>
        setTimeout(() => resolve(`still running after ${WAIT_LIMIT_MS / 1000} s`), WAIT_LIMIT_MS).unref(),
      ),
    ]);
    assert.equal(code, 0);
  });
});
