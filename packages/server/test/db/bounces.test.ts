import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { dbLabel, type Sink, smtpClient, startSink, startTestServer, type TestServer } from "../helpers.ts";

/** An RFC 3464 delivery status notification, as a receiving MTA writes it. */
function dsn(opts: { to: string; recipient: string; status: string; action?: string; diagnostic: string }) {
  const b = "dsn-boundary-1";
  return [
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>",
    `To: ${opts.to}`,
    "Subject: Undelivered Mail Returned to Sender",
    "Date: Sun, 22 Nov 2026 10:00:00 +0000",
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"`,
    "",
    `--${b}`,
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "I'm sorry to have to inform you that your message could not be delivered.",
    "",
    `--${b}`,
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.example.com",
    "Arrival-Date: Sun, 22 Nov 2026 09:59:58 +0000",
    "",
    `Final-Recipient: rfc822; ${opts.recipient}`,
    `Original-Recipient: rfc822;${opts.recipient}`,
    `Action: ${opts.action ?? "failed"}`,
    `Status: ${opts.status}`,
    "Remote-MTA: dns; mx.example.com",
    `Diagnostic-Code: smtp; ${opts.diagnostic}`,
    "",
    `--${b}`,
    "Content-Type: text/rfc822-headers",
    "",
    "Subject: the original",
    "",
    `--${b}--`,
    "",
  ].join("\r\n");
}

/** An RFC 5965 abuse report (a mailbox provider's "this is spam" button). */
function arf(opts: { to: string; recipient: string }) {
  const b = "arf-boundary-1";
  return [
    "From: feedback@provider.example",
    `To: ${opts.to}`,
    "Subject: Abuse report",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=feedback-report; boundary="${b}"`,
    "",
    `--${b}`,
    "Content-Type: text/plain",
    "",
    "This is an email abuse report.",
    "",
    `--${b}`,
    "Content-Type: message/feedback-report",
    "",
    "Feedback-Type: abuse",
    "User-Agent: SomeGenerator/1.0",
    "Version: 1",
    `Original-Rcpt-To: ${opts.recipient}`,
    "",
    `--${b}--`,
    "",
  ].join("\r\n");
}

describe(`bounces: VERP return paths, DSNs over SMTP, complaints (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    await t.client().mailboxes.create({ name: "sender" });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  /** Sends from the mailbox and waits until the relay (the sink) has it; returns the message and its return path. */
  async function sendAndCapture(to: string) {
    const before = sink.received.length;
    const sent = await t.client().messages.send({ from_mailbox: "sender", to, subject: "Hello", body: "Hi" });
    await t.pb.drain();
    await sink.waitFor(before + 1);
    const got = sink.received[before]!;
    return { id: sent.message_id, returnPath: got.from };
  }

  async function deliverToPostbox(from: string, to: string, raw: string) {
    const smtp = smtpClient(t.pb.smtpPort!);
    try {
      return await smtp.sendMail({ envelope: { from, to: [to] }, raw });
    } finally {
      smtp.close();
    }
  }

  it("sends each delivery with its own VERP return path", async () => {
    const a = await sendAndCapture("one@example.com");
    const b = await sendAndCapture("two@example.com");
    assert.match(a.returnPath, /^bounces\+[0-9a-f]{32}@test\.local$/);
    assert.notEqual(a.returnPath, b.returnPath);
    const [delivery] = await t.pb.db.query<{ id: string }>(
      "select id from deliveries where message_id = $1",
      [a.id],
    );
    assert.equal(a.returnPath, `bounces+${delivery!.id.replace(/-/g, "")}@test.local`);
  });

  it("ties a DSN arriving at the return path to its message and recipient: bounced, suppressed, announced", async () => {
    const { id, returnPath } = await sendAndCapture("ghost@example.com");
    assert.equal((await t.client().messages.get(id)).state, "delivered", "the relay accepted it first");
    const info = await deliverToPostbox(
      "",
      returnPath,
      dsn({
        to: returnPath,
        recipient: "ghost@example.com",
        status: "5.1.1",
        diagnostic: "550 5.1.1 <ghost@example.com>: Recipient address rejected: User unknown",
      }),
    );
    assert.match(String(info.response), /^250 /);
    const m = await t.client().messages.get(id);
    assert.equal(m.state, "bounced");
    const suppressions = (await t.api("GET", "/v1/suppressions?reason=hard_bounce")).body.suppressions;
    const s = suppressions.find((x: { email: string }) => x.email === "ghost@example.com");
    assert.equal(s.source, "dsn");
    assert.match(s.detail, /5\.1\.1/);
    const events = (await t.api("GET", "/v1/events?types=message.bounced,suppression.added")).body.events;
    const bounced = events.find(
      (e: { event: string; data: { message_id?: string } }) =>
        e.event === "message.bounced" && e.data.message_id === id,
    );
    assert.equal(bounced.data.recipient, "ghost@example.com");
    assert.equal(bounced.data.source, "dsn");
    assert.equal(bounced.data.hard, true);
    const retry = await t.api("POST", "/v1/messages/send", {
      body: { from_mailbox: "sender", to: "ghost@example.com", subject: "again", body: "?" },
    });
    assert.equal(retry.body.code, "RECIPIENT_SUPPRESSED");
    assert.equal(retry.body.details.reason, "suppressed");
    assert.equal(retry.body.details.suppression_reason, "hard_bounce");
    const listed = (await t.api("GET", "/v1/suppressions?reason=hard_bounce")).body.suppressions.find(
      (s: { email: string }) => s.email === "ghost@example.com",
    );
    assert.deepEqual(
      [listed.source, listed.added_by_actor_type, listed.pattern_type],
      ["dsn", "system", "email"],
      "added by bounce handling, not by a key",
    );
  });

  it("marks a permanent failure that is not about the address as bounced without suppressing it", async () => {
    const { id, returnPath } = await sendAndCapture("full@example.com");
    await deliverToPostbox(
      "",
      returnPath,
      dsn({
        to: returnPath,
        recipient: "full@example.com",
        status: "5.2.2",
        diagnostic: "552 5.2.2 Mailbox full",
      }),
    );
    assert.equal((await t.client().messages.get(id)).state, "bounced");
    const list = (await t.api("GET", "/v1/suppressions")).body.suppressions;
    assert.ok(!list.some((x: { email: string }) => x.email === "full@example.com"));
  });

  it("records a delay notice without changing anything", async () => {
    const { id, returnPath } = await sendAndCapture("slow@example.com");
    await deliverToPostbox(
      "",
      returnPath,
      dsn({
        to: returnPath,
        recipient: "slow@example.com",
        status: "4.4.1",
        action: "delayed",
        diagnostic: "451 4.4.1 try later",
      }),
    );
    assert.equal((await t.client().messages.get(id)).state, "delivered");
    const [r] = await t.pb.db.query<{ kind: string; effect: string }>(
      "select kind, effect from bounce_reports where message_id = $1",
      [id],
    );
    assert.deepEqual(r, { kind: "delay", effect: "recorded" });
  });

  it("reads a non-standard bounce from its prose", async () => {
    const { id, returnPath } = await sendAndCapture("nobody@example.com");
    const prose = [
      "From: postmaster@legacy.example",
      `To: ${returnPath}`,
      "Subject: failure notice",
      "",
      "Hi. This is the qmail-send program at legacy.example.",
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is a permanent error; I've given up. Sorry it didn't work out.",
      "",
      "<nobody@example.com>:",
      "Sorry, no mailbox here by that name. (#5.1.1)",
      "",
    ].join("\r\n");
    await deliverToPostbox("", returnPath, prose);
    assert.equal((await t.client().messages.get(id)).state, "bounced");
    const list = (await t.api("GET", "/v1/suppressions?reason=hard_bounce")).body.suppressions;
    assert.ok(list.some((x: { email: string }) => x.email === "nobody@example.com"));
  });

  it("turns an abuse report into a complaint suppression", async () => {
    const { returnPath } = await sendAndCapture("annoyed@example.com");
    await deliverToPostbox("", returnPath, arf({ to: returnPath, recipient: "annoyed@example.com" }));
    const list = (await t.api("GET", "/v1/suppressions?reason=complaint")).body.suppressions;
    assert.ok(list.some((x: { email: string }) => x.email === "annoyed@example.com"));
  });

  it("refuses return paths that name no delivery, and bounces are never stored as mail", async () => {
    await assert.rejects(
      deliverToPostbox(
        "",
        `bounces+${"0".repeat(32)}@test.local`,
        dsn({ to: "x", recipient: "x@example.com", status: "5.1.1", diagnostic: "x" }),
      ),
      /550/,
    );
    const count = await t.pb.db.query<{ n: number }>(
      "select count(*)::int as n from messages where direction = 'inbound'",
    );
    assert.equal(count[0]!.n, 0);
  });
});

describe(`the provider bounce webhook (${dbLabel})`, () => {
  const SECRET = "bounce-secret-for-tests";
  let t: TestServer;
  let sink: Sink;
  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url, POSTBOX_BOUNCE_SECRET: SECRET });
    await t.client().mailboxes.create({ name: "relayed" });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  const post = (body: unknown, secret = SECRET, raw?: string) => {
    const text = raw ?? JSON.stringify(body);
    return fetch(`${t.baseUrl}/v1/bounces/provider`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-postbox-bounce-signature": createHmac("sha256", secret).update(text).digest("hex"),
      },
      body: text,
    });
  };

  it("answers a wrong or missing signature with a bare 401", async () => {
    const r = await post(
      { RecordType: "Bounce", Type: "HardBounce", Email: "x@example.com" },
      "wrong-secret",
    );
    assert.equal(r.status, 401);
    const body = (await r.json()) as { error: string };
    assert.equal(body.error, "unauthorized");
    const none = await fetch(`${t.baseUrl}/v1/bounces/provider`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(none.status, 401);
    assert.equal(
      (await t.api("GET", "/v1/suppressions")).body.suppressions.length,
      0,
      "nothing was acted on",
    );
  });

  it("ties a HardBounce to our message: bounced, suppressed for 30 days, and written to the audit log", async () => {
    const sent = await t
      .client()
      .messages.send({ from_mailbox: "relayed", to: "gone@example.com", subject: "Hi", body: "x" });
    await t.pb.drain();
    await sink.waitFor(1);
    const msg = await t.client().messages.get(sent.message_id);
    const r = await post({
      RecordType: "Bounce",
      Type: "HardBounce",
      TypeCode: 1,
      MessageID: msg.internet_message_id!.replace(/^<|>$/g, ""),
      Email: "Gone@Example.com",
      Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
      Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
      BouncedAt: "2026-11-22T10:00:00Z",
    });
    assert.equal(r.status, 200);
    assert.deepEqual((await r.json()) as object, {
      received: true,
      kind: "bounce",
      effect: "suppressed",
      recipient: "gone@example.com",
      accounts: 1,
    });
    assert.equal((await t.client().messages.get(sent.message_id)).state, "bounced");
    const s = (await t.api("GET", "/v1/suppressions")).body.suppressions.find(
      (x: { email: string }) => x.email === "gone@example.com",
    );
    assert.equal(s.reason, "hard_bounce");
    assert.equal(s.source, "provider");
    const days = (Date.parse(s.expires_at) - Date.now()) / 86400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    const audit = (await t.api("GET", "/v1/mailboxes/relayed/audit")).body.entries;
    const row = audit.find((a: { transport: string }) => a.transport === "provider");
    assert.equal(row.action, "recipient_suppressed");
    assert.equal(row.message_id, sent.message_id);
    assert.equal((await t.api("GET", "/v1/mailboxes/relayed/audit/verify")).body.ok, true);
  });

  it("applies a complaint without a known message to every account that mailed the address; soft bounces are only recorded", async () => {
    await t
      .client()
      .messages.send({ from_mailbox: "relayed", to: "grumpy@example.com", subject: "Hi", body: "x" });
    await t.pb.drain();
    const r = await post({
      RecordType: "SpamComplaint",
      Type: "SpamComplaint",
      Email: "grumpy@example.com",
      MessageID: "00000000-0000-0000-0000-000000000000",
    });
    assert.equal(((await r.json()) as { effect: string }).effect, "suppressed");
    const s = (await t.api("GET", "/v1/suppressions?reason=complaint")).body.suppressions;
    assert.ok(s.some((x: { email: string }) => x.email === "grumpy@example.com"));
    const soft = await post({ RecordType: "Bounce", Type: "SoftBounce", Email: "grumpy2@example.com" });
    assert.equal(((await soft.json()) as { effect: string }).effect, "recorded");
    assert.ok(
      !(await t.api("GET", "/v1/suppressions")).body.suppressions.some(
        (x: { email: string }) => x.email === "grumpy2@example.com",
      ),
    );
    const bad = await post(null, SECRET, "not json");
    assert.equal(bad.status, 400);
  });
});

describe(`the provider bounce webhook when not configured (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());
  it("is off: 404 with a code that says how to turn it on", async () => {
    const r = await fetch(`${t.baseUrl}/v1/bounces/provider`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as { code: string }).code, "BOUNCE_WEBHOOK_DISABLED");
  });
});
