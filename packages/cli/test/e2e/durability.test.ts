import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { Postbox } from "@postbox/sdk";
import { SMTPServer } from "smtp-server";
import { startSilentDns } from "../../../server/test/dns-server.ts";
import { DATABASE_URL, eventually, rawMessage, smtpClient } from "../../../server/test/helpers.ts";
import { startWebhookReceiver } from "../../../server/test/webhook-receiver.ts";
import { adminKeyOf, type ServiceProcess, startService, tempDataDir } from "../process.ts";
import { schemaUrl } from "../schema.ts";

const label = DATABASE_URL ? "postgres" : "pglite";

describe(`nothing is lost to kill -9 (${label})`, () => {
  // Each test's services stop when it ends: a restarted service left running would slow the next test.
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  async function fresh(env: Record<string, string> = {}) {
    const dataDir = await tempDataDir();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const base: Record<string, string> = { POSTBOX_DATA_DIR: dataDir };
    if (DATABASE_URL) {
      const s = await schemaUrl(DATABASE_URL);
      cleanups.push(s.drop);
      base.DATABASE_URL = s.url;
    }
    return { dataDir, env: { ...base, ...env } };
  }

  async function start(env: Record<string, string>): Promise<ServiceProcess> {
    const svc = await startService(env);
    cleanups.push(() => svc.stop());
    return svc;
  }

  it("a message answered 250 survives kill -9 and is processed after restart", async () => {
    const { dataDir, env } = await fresh();
    // No worker role: the message is committed but nothing processes it before the kill.
    let svc = await start({ ...env, POSTBOX_ROLES: "api,smtp" });
    const key = await adminKeyOf(dataDir);
    let pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    await pb.mailboxes.create({ name: "durable" });
    const smtp = smtpClient(svc.smtpPort);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      // One of them is large: its bytes go to the blob store, not the spool table, before the 250.
      const info = await smtp.sendMail({
        envelope: { from: "a@example.org", to: ["durable@test.local"] },
        raw: rawMessage({
          to: "durable@test.local",
          subject: `Survivor ${i}`,
          body: i === 3 ? "large ".repeat(100_000) : "Hi there.",
        }),
      });
      ids.push(/queued as (\S+)/.exec(String(info.response))![1]!);
    }
    smtp.close();
    await svc.kill9();

    svc = await start(env);
    pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    for (const id of ids) {
      const msg = await eventually(async () => {
        const m = await pb.messages.get(id);
        return m.state === "available" ? m : null;
      });
      assert.match(msg.subject ?? "", /^Survivor \d$/);
    }
    const { message } = await pb.messages.wait("durable", { timeout: 10 });
    assert.equal(message?.subject, "Survivor 0");
  });

  it("a kill -9 while the SMTP session is deciding a MailPolicy leaves the committed copy to be decided after restart", async () => {
    // DNS that never answers keeps the session in sender authentication until the kill.
    const silent = await startSilentDns();
    cleanups.push(() => silent.close());
    const { dataDir, env } = await fresh({
      POSTBOX_DNS_SERVERS: silent.address,
      POSTBOX_SMTP_POLICY_TIMEOUT_MS: "3000",
      POSTBOX_AUTH_TIMEOUT_MS: "20000",
    });
    let svc = await start(env);
    const key = await adminKeyOf(dataDir);
    let pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    await pb.mailboxes.create({ name: "guarded" });
    await pb.setPolicy("guarded", {
      defaultAction: "bounce",
      senders: [{ match: {}, capabilities: ["read_calendar"] }],
      auditLog: { retentionDays: 30 },
    });
    const smtp = smtpClient(svc.smtpPort);
    const sending = smtp
      .sendMail({
        envelope: { from: "a@example.org", to: ["guarded@test.local"] },
        raw: rawMessage({ to: "guarded@test.local", subject: "Mid-decision" }),
      })
      .then(
        () => "answered",
        (err: Error) => err.message,
      );
    // Committed (and held for the session) but not yet answered.
    await eventually(async () => {
      const h = (await pb.health.check()) as { queue?: { inbound_pending: number } };
      return (h.queue?.inbound_pending ?? 0) > 0;
    });
    await svc.kill9();
    assert.match(await sending, /Connection closed/, "the client never got a reply");
    smtp.close();

    svc = await start({ ...env, POSTBOX_AUTH_TIMEOUT_MS: "500" });
    pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    const msg = await eventually(async () =>
      (await pb.messages.list("guarded", { limit: 5 })).data.find((m) => m.subject === "Mid-decision"),
    );
    assert.deepEqual(msg.policy, { outcome: "accepted", rule_index: 0, decided_in: "pipeline" });
    assert.deepEqual(msg.capabilities, ["read_calendar"]);
    const audit = await pb.audit.list("guarded");
    assert.equal(audit.data.length, 1);
  });

  it("a kill -9 immediately after 250, with every role running, loses nothing", async () => {
    const { dataDir, env } = await fresh();
    let svc = await start(env);
    const key = await adminKeyOf(dataDir);
    await new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` }).mailboxes.create({
      name: "abrupt",
    });
    const smtp = smtpClient(svc.smtpPort);
    const info = await smtp.sendMail({
      envelope: { from: "a@example.org", to: ["abrupt@test.local"] },
      raw: rawMessage({ to: "abrupt@test.local", subject: "Abrupt" }),
    });
    svc.child.kill("SIGKILL");
    smtp.close();
    await svc.exited;
    const id = /queued as (\S+)/.exec(String(info.response))![1]!;
    svc = await start(env);
    const pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    const msg = await eventually(async () => {
      const m = await pb.messages.get(id).catch(() => null);
      return m?.state === "available" ? m : null;
    }); // a claim held by the killed process is released when its 10 s lease expires
    assert.equal(msg.subject, "Abrupt");
  });

  it("a delivery in flight at kill -9 is retried after restart", async () => {
    // A relay that stalls on the first DATA it sees, then behaves.
    let stall = true;
    const received: string[] = [];
    const relay = new SMTPServer({
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      logger: false,
      disableReverseLookup: true,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (stall) return; // never answer: the delivery stays in flight
          received.push(session.envelope.rcptTo.map((r) => r.address).join(","));
          cb(null, "ok");
        });
      },
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => relay.close(() => r())));
    const relayUrl = `smtp://127.0.0.1:${(relay.server.address() as AddressInfo).port}`;

    const { dataDir, env } = await fresh({
      POSTBOX_SMTP_RELAY: relayUrl,
      POSTBOX_DELIVERY_LEASE_SECONDS: "2",
    });
    let svc = await start(env);
    const key = await adminKeyOf(dataDir);
    let pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    await pb.mailboxes.create({ name: "sender" });
    const sent = await pb.messages.send({
      from_mailbox: "sender",
      to: "far@example.net",
      subject: "In flight",
      body: "x",
    });
    await eventually(async () => {
      const [row] = await Promise.all([pb.messages.get(sent.message_id)]);
      return row.deliveries?.[0]?.attempts === 1;
    });
    await svc.kill9();
    stall = false;

    svc = await start(env);
    pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    const msg = await eventually(async () => {
      const m = await pb.messages.get(sent.message_id);
      return m.state === "delivered" ? m : null;
    });
    assert.deepEqual(received, ["far@example.net"]);
    assert.equal(msg.deliveries?.[0]?.attempts, 2);
  });

  it("a webhook delivery cut off by kill -9 is delivered after restart, with the same event id", async () => {
    const rx = await startWebhookReceiver();
    cleanups.push(() => rx.close());
    // The first attempt hangs: the process dies while it is in flight. The timeout is long enough that the
    // attempt cannot end (and be rescheduled for a later retry) before the kill on a loaded machine.
    rx.answer("hang");
    const { dataDir, env } = await fresh({
      POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
      POSTBOX_WEBHOOK_TIMEOUT_MS: "4000",
    });
    let svc = await start(env);
    const key = await adminKeyOf(dataDir);
    let pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    await pb.mailboxes.create({ name: "hooked" });
    const hook = await pb.webhooks.create({ url: rx.url, enabled_events: ["message.received"] });
    const res = await fetch(`http://127.0.0.1:${svc.httpPort}/v1/ingest?rcpt_to=hooked@test.local`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "message/rfc822" },
      body: rawMessage({ to: "hooked@test.local", subject: "Hook me" }),
    });
    assert.equal(res.status, 202);
    await rx.waitFor(1);
    await svc.kill9();

    // A long timeout after the restart: a start-up stall on a loaded machine must not time out the redelivery
    // after the receiver has answered it (that would count a third attempt).
    svc = await start({ ...env, POSTBOX_WEBHOOK_TIMEOUT_MS: "60000" });
    pb = new Postbox({ apiKey: key, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    const got = await rx.waitFor(2);
    assert.equal(got[1]!.json.id, got[0]!.json.id, "the redelivery carries the same event id");
    assert.equal(got[1]!.json.data.subject, "Hook me");
    assert.ok(rx.verify(got[1]!, hook.signing_secret));
    const d = await eventually(async () => {
      const [x] = (await pb.webhooks.listDeliveries(hook.id)).deliveries;
      return x?.state === "delivered" ? x : null;
    });
    assert.equal(d.attempts, 2);
  });
});
