import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConflictError, ValidationError } from "@postbox/sdk";
import { simpleParser } from "mailparser";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

describe(`outbound: send, reply and the delivery queue (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url, POSTBOX_RETRY_SCHEDULE: "1s" });
    await t.client().mailboxes.create({ name: "agent", display_name: "Helpful Agent" });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  const headerOf = (raw: Buffer, name: string) => {
    const head = raw
      .toString("utf8")
      .split(/\r?\n\r?\n/)[0]!
      .replace(/\r?\n[ \t]+/g, " ");
    return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1] ?? null;
  };

  it("sends a message through the relay with standard headers", async () => {
    const pb = t.client();
    const before = sink.received.length;
    const res = await pb.messages.send({
      from_mailbox: "agent",
      to: ["bob@example.com"],
      cc: "carol@example.com",
      bcc: ["dave@example.com"],
      subject: "Quarterly report",
      body: "Numbers attached — café ☕",
      html: "<p>Numbers attached</p>",
    });
    assert.equal(res.status, "sent");
    assert.match(res.internet_message_id, /^<[0-9a-f-]{36}@test\.local>$/);
    await sink.waitFor(before + 3);
    const got = sink.received.slice(before);
    assert.deepEqual(got.map((g) => g.to[0]).sort(), [
      "bob@example.com",
      "carol@example.com",
      "dave@example.com",
    ]);
    // Each delivery has its own VERP return path; the From header stays the mailbox.
    for (const g of got) assert.match(g.from, /^bounces\+[0-9a-f]{32}@test\.local$/);
    assert.equal(new Set(got.map((g) => g.from)).size, 3);
    const raw = got[0]!.raw;
    assert.equal(headerOf(raw, "Message-ID"), res.internet_message_id);
    assert.match(headerOf(raw, "From")!, /Helpful Agent.*<agent@test\.local>/);
    assert.ok(headerOf(raw, "Date"));
    assert.equal(headerOf(raw, "Bcc"), null, "Bcc never appears in headers");
    const parsed = await simpleParser(raw);
    assert.equal(parsed.subject, "Quarterly report");
    assert.match(parsed.text ?? "", /café ☕/);
    assert.match(String(parsed.html), /<p>Numbers attached<\/p>/);
    const msg = await eventually(async () => {
      const m = await pb.messages.get(res.message_id);
      return m.state === "delivered" ? m : null;
    });
    assert.equal(msg.deliveries?.length, 3);
    assert.ok(msg.deliveries?.every((d) => d.state === "delivered" && d.last_code === 250));
    assert.equal(msg.thread_id, res.thread_id);
  });

  it("replies with In-Reply-To, the full References chain and one Re:", async () => {
    const pb = t.client();
    const smtp = smtpClient(t.pb.smtpPort!);
    const raw = rawMessage({
      from: "Bob <bob@example.com>",
      to: "agent@test.local",
      subject: "Re: Lunch?",
      messageId: "<m2@example.com>",
      inReplyTo: "<m1@example.com>",
      references: "<m0@example.com> <m1@example.com>",
    });
    await smtp.sendMail({ envelope: { from: "bob@example.com", to: ["agent@test.local"] }, raw });
    smtp.close();
    const { message } = await pb.messages.wait("agent", { timeout: 20 });
    assert.ok(message);
    const before = sink.received.length;
    const res = await pb.messages.reply(message.id, { body: "Thanks — on it." });
    assert.equal(res.thread_id, message.thread_id);
    await sink.waitFor(before + 1);
    const out = sink.received[before]!;
    assert.deepEqual(out.to, ["bob@example.com"]);
    assert.equal(headerOf(out.raw, "In-Reply-To"), "<m2@example.com>");
    assert.equal(headerOf(out.raw, "References"), "<m0@example.com> <m1@example.com> <m2@example.com>");
    assert.equal(headerOf(out.raw, "Subject"), "Re: Lunch?");
    const thread = await pb.threads.get(message.thread_id!);
    assert.deepEqual(
      thread.messages.map((m) => m.direction),
      ["inbound", "outbound"],
    );
  });

  it("reply_all copies the other recipients but never ourselves", async () => {
    const pb = t.client();
    const res = await t.api("POST", "/v1/ingest?rcpt_to=agent@test.local", {
      raw: rawMessage({
        from: "erin@example.com",
        to: "agent@test.local, frank@example.com",
        subject: "Plan",
        extraHeaders: "Cc: grace@example.com",
      }),
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const id = res.body.accepted[0].message_id;
    const before = sink.received.length;
    const reply = await pb.messages.reply(id, { body: "Agreed", reply_all: true });
    await sink.waitFor(before + 3);
    const sent = await pb.messages.get(reply.message_id);
    assert.deepEqual(sent.to, ["erin@example.com"]);
    assert.deepEqual(sent.cc.sort(), ["frank@example.com", "grace@example.com"]);
    assert.equal(sent.subject, "Re: Plan");
  });

  it("sends once per Idempotency-Key and refuses the key for another request", async () => {
    const pb = t.client();
    const before = sink.received.length;
    const params = {
      from_mailbox: "agent",
      to: "ivy@example.com",
      subject: "Once",
      body: "only once",
      idempotencyKey: "idem-1",
    };
    const [a, b] = await Promise.all([pb.messages.send(params), pb.messages.send(params)]);
    const c = await pb.messages.send(params);
    assert.equal(a.message_id, b.message_id);
    assert.equal(a.message_id, c.message_id);
    await sink.waitFor(before + 1);
    await t.pb.drain();
    assert.equal(sink.received.slice(before).filter((r) => r.to[0] === "ivy@example.com").length, 1);
    await assert.rejects(
      pb.messages.send({ ...params, body: "different" }),
      (e: unknown) => e instanceof ConflictError && e.code === "IDEMPOTENCY_KEY_REUSED",
    );
    // The seed's replay probe: the stored answer for a used key, a miss for an unused one.
    const probe = await t.api("GET", "/v1/messages/idempotency", {
      headers: { "idempotency-key": "idem-1" },
    });
    assert.equal(probe.status, 200);
    assert.equal(probe.body.message_id, a.message_id);
    assert.equal(probe.body.email_effect.effect_status, "sent");
    const miss = await t.api("GET", "/v1/messages/idempotency", {
      headers: { "idempotency-key": "never-used" },
    });
    assert.deepEqual([miss.status, miss.body.code], [404, "IDEMPOTENCY_KEY_NOT_FOUND"]);
    const noKey = await t.api("GET", "/v1/messages/idempotency");
    assert.equal(noKey.status, 400);
    await pb.mailboxes.create({ name: "elsewhere" });
    const outsider = await pb.apiKeys.create({ role: "agent", mailbox_ids: ["elsewhere"] });
    const hidden = await t.api("GET", "/v1/messages/idempotency", {
      key: outsider.api_key,
      headers: { "idempotency-key": "idem-1" },
    });
    assert.equal(hidden.status, 404, "an agent learns only of its own mailboxes' sends");
  });

  it("retries a temporary failure on schedule and records every attempt", async () => {
    const pb = t.client();
    let refusals = 2;
    sink.rcptHook = (addr) =>
      addr === "flaky@example.com" && refusals-- > 0 ? { code: 451, text: "4.3.0 try later" } : null;
    const res = await pb.messages.send({
      from_mailbox: "agent",
      to: "flaky@example.com",
      subject: "Retry",
      body: "x",
    });
    const msg = await eventually(async () => {
      const m = await pb.messages.get(res.message_id);
      return m.state === "delivered" ? m : null;
    });
    sink.rcptHook = null;
    assert.equal(msg.deliveries?.[0]?.attempts, 3);
    const attempts = await t.pb.db.query<{ outcome: string; code: number; response: string }>(
      `select a.outcome, a.code, a.response from delivery_attempts a join deliveries d on d.id = a.delivery_id
       where d.message_id = $1 order by a.started_at`,
      [res.message_id],
    );
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ["deferred", "deferred", "delivered"],
    );
    assert.equal(attempts[0]!.code, 451);
    assert.match(attempts[0]!.response, /try later/);
  });

  it("bounces on a permanent failure", async () => {
    const pb = t.client();
    sink.rcptHook = (addr) =>
      addr === "gone@example.com" ? { code: 550, text: "5.1.1 user unknown" } : null;
    const res = await pb.messages.send({
      from_mailbox: "agent",
      to: "gone@example.com",
      subject: "Bounce",
      body: "x",
    });
    const msg = await eventually(async () => {
      const m = await pb.messages.get(res.message_id);
      return m.state === "bounced" ? m : null;
    });
    sink.rcptHook = null;
    assert.equal(msg.deliveries?.[0]?.state, "bounced");
    assert.equal(msg.deliveries?.[0]?.last_code, 550);
    assert.match(msg.deliveries?.[0]?.last_response ?? "", /user unknown/);
  });

  it("delivers mail between local mailboxes without leaving the server", async () => {
    const pb = t.client();
    await pb.mailboxes.create({ name: "peer" });
    const before = sink.received.length;
    const res = await pb.messages.send({
      from_mailbox: "agent",
      to: "peer+x@test.local",
      subject: "Local",
      body: "hi peer",
    });
    const { message } = await pb.messages.wait("peer", { timeout: 20 });
    assert.equal(message?.subject, "Local");
    assert.equal(message?.internet_message_id, res.internet_message_id);
    assert.equal(sink.received.length, before);
    const bounced = await pb.messages.send({
      from_mailbox: "agent",
      to: "nobody@test.local",
      subject: "x",
      body: "x",
    });
    await eventually(async () => (await pb.messages.get(bounced.message_id)).state === "bounced");
  });

  it("refuses sends with no or bad recipients", async () => {
    const pb = t.client();
    await assert.rejects(
      pb.messages.send({ from_mailbox: "agent", to: [], subject: "x", body: "x" }),
      ValidationError,
    );
    await assert.rejects(
      pb.messages.send({ from_mailbox: "agent", to: ["ok@example.com", "bad"], subject: "x", body: "x" }),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.deepEqual(e.fieldErrors, ["body.to[1] is not a valid email address"]);
        return true;
      },
    );
    await assert.rejects(
      pb.messages.send({ from_mailbox: "nope", to: "a@example.com", subject: "x", body: "x" }),
      (e: any) => e.status === 404,
    );
  });
});
