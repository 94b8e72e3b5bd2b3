import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  settle,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

/** The confirmation link in a mail the sink received, read as a person's mail client would. */
async function linkIn(raw: Buffer): Promise<string> {
  const mail = await simpleParser(raw);
  const m = /https?:\/\/\S+\/v1\/recipients\/confirm\?token=\S+/.exec(mail.text ?? "");
  assert.ok(m, `no link in: ${mail.text}`);
  return m[0];
}

describe(`verified recipients and sandbox mode (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let agentKey: string;
  let otherAdmin: string;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    for (const name of ["trial", "open", "elsewhere"]) await t.client().mailboxes.create({ name });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["trial", "open"] })).api_key;
    otherAdmin = (await t.api("POST", "/v1/operator/accounts", { body: { name: "Other Co" } })).body
      .admin_key;
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  /** Mail the sink got for one address, in arrival order. */
  const mailTo = (address: string) => sink.received.filter((m) => m.to.includes(address));
  const add = (email: string, key?: string) => t.api("POST", "/v1/recipients", { body: { email }, key });
  const send = (from: string, to: string | string[], key = agentKey) =>
    t.api("POST", "/v1/messages/send", {
      key,
      body: { from_mailbox: from, to, subject: "Hi", body: "Hello" },
    });
  const open = (link: string, method = "GET", html = false) =>
    fetch(link, { method, headers: html ? { accept: "text/html" } : {} }).then(async (r) => ({
      status: r.status,
      headers: r.headers,
      text: await r.text(),
    }));

  it("mails a signed link from the service address; the link from the received mail confirms", async () => {
    const added = await add("Jane@Example.com");
    assert.equal(added.status, 201);
    assert.equal(added.body.email, "jane@example.com");
    assert.equal(added.body.status, "pending");
    assert.equal(added.body.already_existed, false);
    assert.equal(added.body.links_sent, 1);

    await eventually(async () => mailTo("jane@example.com").length === 1);
    const [mail] = mailTo("jane@example.com");
    const parsed = await simpleParser(mail!.raw);
    assert.equal(parsed.from?.value[0]?.address, "postbox-verify@test.local");
    assert.equal(parsed.headers.get("auto-submitted"), "auto-generated");
    assert.match(mail!.from, /^bounces\+[0-9a-f-]+@test\.local$/, "a VERP return path, as any delivery");
    const link = await linkIn(mail!.raw);
    assert.ok(
      link.startsWith(t.baseUrl),
      "without POSTBOX_PUBLIC_URL the link points where the admin called",
    );

    // Opening the link shows the page; it confirms nothing (a mail scanner follows links too).
    const page = await open(link, "GET", true);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.match(page.text, /<form method="post"/);
    assert.match(page.text, /jane@example\.com/);
    const state = await open(link);
    assert.deepEqual(JSON.parse(state.text).status, "pending");
    assert.equal((await t.api("GET", "/v1/recipients")).body.recipients[0].status, "pending");

    // The page's button.
    const confirmed = await open(link, "POST", true);
    assert.equal(confirmed.status, 200);
    assert.match(confirmed.text, /is now<\/?\w*>? ?confirmed|is now confirmed/);
    const list = (await t.api("GET", "/v1/recipients", { key: agentKey })).body;
    const jane = list.recipients.find((r: { email: string }) => r.email === "jane@example.com");
    assert.equal(jane.status, "confirmed");
    assert.ok(jane.confirmed_at);
    assert.equal(list.has_more, false);

    // A second press changes nothing; adding again mails nothing; resend has nothing to do.
    assert.equal(JSON.parse((await open(link, "POST")).text).status, "confirmed");
    const again = await add("jane@example.com");
    assert.deepEqual([again.status, again.body.already_existed, again.body.status], [200, true, "confirmed"]);
    const resent = await t.api("POST", `/v1/recipients/${jane.id}/resend`, { body: {} });
    assert.equal(resent.body.status, "already_confirmed");
    await settle(t);
    assert.equal(mailTo("jane@example.com").length, 1);
  });

  it("refuses forged, altered and superseded links, and rate-limits resends", async () => {
    const added = await add("kim@example.com");
    await eventually(async () => mailTo("kim@example.com").length === 1);
    const first = await linkIn(mailTo("kim@example.com")[0]!.raw);

    const token = new URL(first).searchParams.get("token")!;
    const [id, n, exp, sig] = token.split(".");
    const forged = `${t.baseUrl}/v1/recipients/confirm?token=${id}.${n}.${Number(exp) + 3600}.${sig}`;
    const refused = await open(forged, "POST");
    assert.equal(refused.status, 400);
    assert.equal(JSON.parse(refused.text).code, "CONFIRMATION_LINK_INVALID");
    const page = await open(forged, "POST", true);
    assert.match(page.text, /does not work/, "a browser gets a page saying so");
    assert.equal((await open(`${t.baseUrl}/v1/recipients/confirm?token=nonsense`)).status, 400);
    assert.equal((await open(`${t.baseUrl}/v1/recipients/confirm`)).status, 400);

    // One mail a minute per address.
    const soon = await t.api("POST", `/v1/recipients/${added.body.id}/resend`, { body: {} });
    assert.equal(soon.status, 429);
    assert.equal(soon.body.code, "RATE_LIMITED");
    assert.ok(Number(soon.headers.get("retry-after")) > 0);

    // A minute later (the clock moved by rewriting when the last link went), a new link replaces the old one.
    await t.pb.db.query(
      "update verified_recipients set link_sent_at = link_sent_at - interval '2 minutes' where id = $1",
      [added.body.id],
    );
    const resent = await t.api("POST", `/v1/recipients/${added.body.id}/resend`, { body: {} });
    assert.deepEqual([resent.status, resent.body.status, resent.body.recipient.links_sent], [200, "sent", 2]);
    await eventually(async () => mailTo("kim@example.com").length === 2);
    const second = await linkIn(mailTo("kim@example.com")[1]!.raw);
    assert.notEqual(second, first);
    assert.equal((await open(first, "POST")).status, 400, "the older link stops working");
    assert.equal(JSON.parse((await open(second, "POST")).text).status, "confirmed");
  });

  it("reports a pending recipient whose link ran out as expired; resend revives it", async () => {
    const added = await add("late@example.com");
    await eventually(async () => mailTo("late@example.com").length === 1);
    await t.pb.db.query(
      `update verified_recipients set link_sent_at = now() - interval '4 days',
         link_expires_at = now() - interval '1 day' where id = $1`,
      [added.body.id],
    );
    const list = (await t.api("GET", "/v1/recipients")).body.recipients;
    assert.equal(list.find((r: { id: string }) => r.id === added.body.id).status, "expired");
    const resent = await t.api("POST", `/v1/recipients/${added.body.id}/resend`, { body: {} });
    assert.equal(resent.body.recipient.status, "pending");
  });

  it("keeps each account's recipients to itself; agent keys may only read", async () => {
    const mine = (await add("mine@example.com")).body;
    await eventually(async () => mailTo("mine@example.com").length === 1);

    // The other account sees none of ours and cannot touch them; nor we theirs.
    const theirs = await add("theirs@example.com", otherAdmin);
    assert.equal(theirs.status, 201);
    const otherList = (await t.api("GET", "/v1/recipients", { key: otherAdmin })).body.recipients;
    assert.deepEqual(
      otherList.map((r: { email: string }) => r.email),
      ["theirs@example.com"],
    );
    assert.equal((await t.api("DELETE", `/v1/recipients/${mine.id}`, { key: otherAdmin })).status, 404);
    assert.equal(
      (await t.api("POST", `/v1/recipients/${mine.id}/resend`, { key: otherAdmin, body: {} })).status,
      404,
    );
    const ourList = (await t.api("GET", "/v1/recipients")).body.recipients;
    assert.ok(!ourList.some((r: { email: string }) => r.email === "theirs@example.com"));
    assert.equal((await t.api("DELETE", `/v1/recipients/${theirs.body.id}`)).status, 404);

    // Agent keys: the list, nothing else.
    assert.equal((await t.api("GET", "/v1/recipients", { key: agentKey })).status, 200);
    for (const [method, path, body] of [
      ["POST", "/v1/recipients", { email: "x@example.com" }],
      ["DELETE", `/v1/recipients/${mine.id}`, undefined],
      ["POST", `/v1/recipients/${mine.id}/resend`, {}],
    ] as const) {
      const r = await t.api(method, path, { key: agentKey, body });
      assert.deepEqual([r.status, r.body.code], [403, "INSUFFICIENT_SCOPE"], `${method} ${path}`);
    }

    // Removing one withdraws its link.
    const link = await linkIn(mailTo("mine@example.com")[0]!.raw);
    const removed = await t.api("DELETE", `/v1/recipients/${mine.id}`);
    assert.deepEqual(
      [removed.status, removed.body.status, removed.body.email],
      [200, "deleted", "mine@example.com"],
    );
    assert.equal((await open(link, "POST")).status, 400);
    assert.equal((await t.api("DELETE", `/v1/recipients/${mine.id}`)).status, 404);
  });

  it("lets a sandboxed mailbox mail confirmed recipients only, and says so in the policy preview", async () => {
    assert.equal(
      (await t.api("PATCH", "/v1/mailboxes/trial", { body: { sandbox: true } })).body.sandbox,
      true,
    );

    const refused = await send("trial", ["jane@example.com", "stranger@example.com"]);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "RECIPIENT_NOT_VERIFIED");
    const { agent_instructions, ...details } = refused.body.details;
    assert.deepEqual(details, {
      emails: ["stranger@example.com"],
      reason: "not_verified",
      sandbox: "mailbox",
    });
    assert.ok(agent_instructions.length > 0);

    const preview = await t.api("POST", "/v1/mailboxes/trial/policy/preview", {
      body: { to: "stranger@example.com" },
    });
    assert.equal(preview.body.result, "would_block");
    const step = preview.body.trace.find((s: { gate: string }) => s.gate === "recipient_authority");
    assert.equal(step.outcome, "would_block");
    assert.equal(step.details.code, "RECIPIENT_NOT_VERIFIED");
    assert.ok(step.details.agent_instructions.length > 0);

    // A mailbox not in sandbox mode sends as before; the agent bound elsewhere cannot reach this one at all.
    assert.equal((await send("open", "stranger@example.com")).status, 200);
    const elsewhereKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["elsewhere"] }))
      .api_key;
    assert.equal((await send("trial", "jane@example.com", elsewhereKey)).body.code, "MAILBOX_FORBIDDEN");

    // After the stranger confirms, the same send goes out and reaches them.
    await add("stranger@example.com");
    await eventually(async () => mailTo("stranger@example.com").length >= 2);
    const confirmation = mailTo("stranger@example.com").find(
      (m) => m.from.length > 0 && /postbox-verify/.test(m.raw.toString()),
    );
    await open(await linkIn(confirmation!.raw), "POST");
    const ok = await send("trial", ["jane@example.com", "stranger@example.com"]);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, "sent");
    await eventually(async () =>
      sink.received.some((m) => m.to.includes("jane@example.com") && /Subject: Hi/.test(m.raw.toString())),
    );
    const passing = await t.api("POST", "/v1/mailboxes/trial/policy/preview", {
      body: { to: "jane@example.com" },
    });
    assert.equal(passing.body.trace[1].details.sandbox, true);
  });

  it("puts every mailbox of a sandboxed account in sandbox mode, and reports the sandbox tier", async () => {
    const policy = await t.api("PATCH", "/v1/account/policy", { body: { sandbox: true } });
    assert.equal(policy.body.sandbox, true);
    const refused = await send("open", "someone-new@example.com");
    assert.deepEqual([refused.status, refused.body.details.sandbox], [403, "account"]);
    assert.equal((await send("open", "jane@example.com")).status, 200);
    assert.equal((await t.api("GET", "/v1/accounts")).body.tier, "sandbox");
    assert.equal((await t.api("GET", "/v1/accounts/usage")).body.tier, "sandbox");
    // The other account is not sandboxed by ours.
    assert.equal((await t.api("GET", "/v1/accounts", { key: otherAdmin })).body.tier, "self_hosted");
    await t.api("PATCH", "/v1/account/policy", { body: { sandbox: false } });
    assert.equal((await send("open", "someone-new@example.com")).status, 200);
  });

  it("sends confirmation mail through the queue without a mailbox: bounces settle, nobody reads it", async () => {
    sink.rcptHook = (address) =>
      address === "nobody@example.com" ? { code: 550, text: "no such user" } : null;
    const added = await add("nobody@example.com");
    assert.equal(added.status, 201);
    await settle(t);
    const [row] = await t.pb.db.query<{ id: string; state: string; mailbox_id: string | null }>(
      `select m.id, d.state, m.mailbox_id from deliveries d join messages m on m.id = d.message_id
       where d.recipient = 'nobody@example.com'`,
    );
    assert.equal(row!.state, "bounced");
    assert.equal(row!.mailbox_id, null);
    assert.equal(
      (await t.api("GET", `/v1/messages/${row!.id}`)).status,
      404,
      "service mail is nobody's to read",
    );
    const events = (await t.api("GET", "/v1/events?limit=500")).body.events as {
      data: { message_id?: string };
    }[];
    assert.ok(!events.some((e) => e.data.message_id === row!.id));
    sink.rcptHook = null;
  });
});

describe(`account usage: sends, held sends, storage with its breakdown (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let admin: string;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    // A fresh account of its own, so every byte counted is one this test stored.
    admin = (await t.api("POST", "/v1/operator/accounts", { body: { name: "Metered" } })).body.admin_key;
    await t.api("POST", "/v1/mailboxes", { key: admin, body: { name: "meter" } });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  it("counts what the account stored: raw MIME, the attachments in it, the text parsed out", async () => {
    const attachment = Buffer.from("col1,col2\n".repeat(300));
    const boundary = "b-usage";
    const raw = [
      "From: Alice <alice@example.com>",
      "To: meter@test.local",
      "Subject: Figures",
      "Message-ID: <usage-1@example.com>",
      "MIME-Version: 1.0",
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      "",
      `--${boundary}`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Here are the figures.",
      `--${boundary}`,
      'Content-Type: text/csv; name="figures.csv"',
      'Content-Disposition: attachment; filename="figures.csv"',
      "Content-Transfer-Encoding: base64",
      "",
      attachment.toString("base64").replace(/.{76}/g, "$&\r\n"),
      `--${boundary}--`,
      "",
    ].join("\r\n");
    const plain = rawMessage({ to: "meter@test.local", body: "Just text." });
    for (const r of [raw, plain])
      assert.equal(
        (
          await t.api("POST", "/v1/ingest?rcpt_to=meter@test.local", {
            key: admin,
            raw: r,
            headers: { "content-type": "message/rfc822" },
          })
        ).status,
        202,
      );
    await settle(t);

    // A send today, and one held for review (the UTC day is noted: a run across midnight splits them over two days).
    const dayBefore = new Date().toISOString().slice(0, 10);
    assert.equal(
      (
        await t.api("POST", "/v1/messages/send", {
          key: admin,
          body: { from_mailbox: "meter", to: "bob@example.com", subject: "S", body: "Sent." },
        })
      ).status,
      200,
    );
    await t.api("PATCH", "/v1/mailboxes/meter", { key: admin, body: { hitl_mode: "all_outbound" } });
    const held = await t.api("POST", "/v1/messages/send", {
      key: admin,
      body: { from_mailbox: "meter", to: "carol@example.com", subject: "H", body: "Held." },
    });
    assert.equal(held.body.status, "pending_review");

    const u = (await t.api("GET", "/v1/accounts/usage", { key: admin })).body;
    assert.equal(u.mailbox_count, 1);
    assert.equal(u.pending_review_count, 1);
    if (u.today.day === dayBefore) {
      assert.equal(u.today.count, 2, "both sends count against today's budget");
      assert.equal(u.history.length, 1);
      assert.deepEqual(u.history[0], { day: u.today.day, count: 2 });
    } else {
      // Midnight passed between the sends and the read: the two are in the history, over one or two days.
      assert.equal(
        u.history.reduce((n: number, h: { count: number }) => n + h.count, 0),
        2,
        "both sends are in the history",
      );
    }
    assert.equal(u.tier, "self_hosted");

    // Against what was stored: the messages' raw bytes (two inbound as sent, two outbound as composed), the CSV,
    // and the bodies the parser kept.
    const stored = await t.pb.db.query<{
      raw_size: number;
      body_text: string | null;
      body_html: string | null;
    }>(
      "select raw_size, body_text, body_html from messages where account_id = (select account_id from mailboxes where name = 'meter')",
    );
    assert.equal(stored.length, 4);
    const rawBytes = stored.reduce((n, m) => n + m.raw_size, 0);
    assert.ok(rawBytes > Buffer.byteLength(raw) + Buffer.byteLength(plain));
    const derived = stored.reduce(
      (n, m) => n + Buffer.byteLength(m.body_text ?? "") + Buffer.byteLength(m.body_html ?? ""),
      0,
    );
    assert.ok(derived >= "Here are the figures.Just text.Sent.Held.".length);
    assert.deepEqual(u.storage.breakdown, {
      raw_mime_bytes: rawBytes,
      attachment_bytes: attachment.length,
      derivative_bytes: derived,
    });
    assert.equal(u.storage.used_bytes, rawBytes + derived);
    assert.equal(u.storage.state, "normal");

    // The operator's account stored none of it.
    const mine = (await t.api("GET", "/v1/accounts/usage")).body;
    assert.equal(mine.storage.breakdown.attachment_bytes, 0);
  });
});
