import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { Transporter } from "nodemailer";
import { dbLabel, eventually, rawMessage, smtpClient, startTestServer, type TestServer } from "../helpers.ts";

const MAIL_DIR = new URL("../../../../../shared/data/mail/", import.meta.url);
// The corpus lives beside the repository (../shared), not in it: a checkout without it skips the corpus test.
const corpusMissing = existsSync(MAIL_DIR)
  ? false
  : `the shared mail corpus is absent (${MAIL_DIR.pathname})`;

describe(`inbound SMTP and ingest (${dbLabel})`, () => {
  let t: TestServer;
  let smtp: Transporter;
  before(async () => {
    t = await startTestServer({
      POSTBOX_MAX_MESSAGE_BYTES: String(256 * 1024),
      POSTBOX_MAX_HEADER_BYTES: String(64 * 1024),
    });
    smtp = smtpClient(t.pb.smtpPort!);
    const pb = t.client();
    await pb.mailboxes.create({ name: "support" });
    await pb.mailboxes.create({ name: "sales" });
  });
  after(async () => {
    smtp.close();
    await t.stop();
  });

  const send = (to: string[], raw: string, from = "alice@example.com") =>
    smtp.sendMail({ envelope: { from, to }, raw });

  it("accepts mail for a mailbox and wakes a waiting client", async () => {
    const pb = t.client();
    const waiting = pb.messages.wait("support", { timeout: 20 });
    const info = await send(
      ["support@test.local"],
      rawMessage({ to: "support@test.local", subject: "First", body: "Hello support" }),
    );
    assert.match(String(info.response), /^250 2\.0\.0 Ok: queued as /);
    const { message, cursor } = await waiting;
    assert.ok(message);
    assert.equal(message.subject, "First");
    assert.equal(message.sender, "alice@example.com");
    assert.equal(message.recipient, "support@test.local");
    assert.equal(message.direction, "inbound");
    assert.equal(message.state, "available");
    assert.match(message.body_preview ?? "", /Hello support/);
    assert.deepEqual(message.envelope?.rcpt_to, ["support@test.local"]);
    assert.equal(message.envelope?.mail_from, "alice@example.com");
    assert.equal(message.envelope?.client_ip, "127.0.0.1");
    assert.equal(message.agent_safety_context?.untrusted_content, true);
    assert.ok(cursor);
    // Nothing newer after that cursor: the next wait times out with a cursor.
    const next = await pb.messages.wait("support", { timeout: 1, since: cursor });
    assert.equal(next.message, null);
    assert.ok(next.cursor);
    // The seed's clients wait "since" a moment: the next arrival strictly after it.
    const justBefore = new Date(Date.parse(message.created_at) - 1).toISOString();
    const fromMoment = await t.api(
      "GET",
      `/v1/mailboxes/support/messages/wait?timeout=1&since=${justBefore}`,
    );
    assert.equal(fromMoment.body.message?.id, message.id);
    const atIt = await t.api(
      "GET",
      `/v1/mailboxes/support/messages/wait?timeout=1&since=${message.created_at}`,
    );
    assert.equal(atIt.body.message, null);
  });

  it("frees a waiter when the client goes away", async () => {
    // "sales" has no mail yet, so this wait blocks.
    const health = async () => (await t.api("GET", "/v1/health", { key: null })).body.waits_open as number;
    assert.equal(await health(), 0);
    const abort = new AbortController();
    const pending = fetch(`${t.baseUrl}/v1/mailboxes/sales/messages/wait?timeout=60`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
      signal: abort.signal,
    }).catch(() => null);
    await eventually(async () => (await health()) === 1);
    abort.abort();
    await pending;
    await eventually(async () => (await health()) === 0);
  });

  it("rejects unknown recipients and foreign domains at RCPT", async () => {
    await assert.rejects(send(["nobody@test.local"], rawMessage({ to: "nobody@test.local" })), (e: any) => {
      assert.equal(e.responseCode, 550);
      assert.match(e.response, /5\.1\.1/);
      return true;
    });
    await assert.rejects(
      send(["x@elsewhere.example"], rawMessage({ to: "x@elsewhere.example" })),
      (e: any) => e.responseCode === 550,
    );
  });

  it("delivers plus-addressed mail to the base mailbox, one copy per mailbox", async () => {
    const pb = t.client();
    const before = (await pb.messages.list("sales")).data.length;
    const supportBefore = (await pb.messages.list("support")).data.length;
    await send(
      ["sales+leads@test.local", "sales@test.local", "support@test.local"],
      rawMessage({ to: "sales+leads@test.local", subject: "Multi" }),
    );
    await t.pb.drain();
    const sales = await pb.messages.list("sales");
    const support = await pb.messages.list("support");
    assert.equal(sales.data.length, before + 1);
    assert.equal(support.data.length, supportBefore + 1);
    assert.equal(sales.data[0]!.subject, "Multi");
    assert.equal(sales.data[0]!.recipient, "sales+leads@test.local");
  });

  it("answers 552 to an oversized message and to a huge header block, and stays healthy", async () => {
    const big = rawMessage({ to: "support@test.local", body: "x".repeat(300 * 1024) });
    await assert.rejects(send(["support@test.local"], big), (e: any) => e.responseCode === 552);
    const hugeHeader = `X-Filler: ${"a".repeat(70 * 1024)}\r\n${rawMessage({ to: "support@test.local" })}`;
    await assert.rejects(send(["support@test.local"], hugeHeader), (e: any) => {
      assert.equal(e.responseCode, 552);
      assert.match(e.response, /header/);
      return true;
    });
    const ok = await send(["support@test.local"], rawMessage({ to: "support@test.local", subject: "After" }));
    assert.match(String(ok.response), /^250/);
  });

  it("stores malformed MIME without loss", async () => {
    const junk =
      "This is not\r\na MIME message at all \x00\x01\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n";
    const info = await send(["support@test.local"], junk);
    const id = /queued as ([0-9a-f-]{36})/.exec(String(info.response))![1]!;
    await t.pb.drain();
    const msg = await t.client().messages.get(id);
    assert.equal(msg.state, "available");
    const raw = await t.client().messages.getRaw(id);
    assert.equal(Buffer.from(raw).toString("latin1"), junk);
  });

  it("keeps text with NUL characters, which PostgreSQL text cannot hold", async () => {
    const raw = rawMessage({
      to: "support@test.local",
      subject: "Nul\u0000subject",
      body: "before\u0000after",
    });
    const res = await t.api("POST", "/v1/ingest?rcpt_to=support@test.local", {
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const msg = await t.client().messages.get(res.body.accepted[0].message_id);
    assert.equal(msg.parse_error, null);
    assert.match(msg.body.text ?? "", /before\uFFFDafter/);
    assert.equal(Buffer.from(await t.client().messages.getRaw(msg.id)).toString("latin1"), raw);
  });

  it("threads replies by In-Reply-To / References and falls back to the subject", async () => {
    const pb = t.client();
    const root = "<root-thread@example.com>";
    await send(
      ["support@test.local"],
      rawMessage({ to: "support@test.local", subject: "Order 42", messageId: root }),
    );
    await send(
      ["support@test.local"],
      rawMessage({
        to: "support@test.local",
        subject: "Re: Order 42",
        messageId: "<r1@example.com>",
        inReplyTo: root,
        references: root,
      }),
    );
    // A client that dropped the headers: same sender, reply prefix.
    await send(
      ["support@test.local"],
      rawMessage({ to: "support@test.local", subject: "RE: Order 42", messageId: "<r2@example.com>" }),
    );
    // Someone else with the same subject does not join.
    await send(
      ["support@test.local"],
      rawMessage({
        from: "mallory@evil.example",
        to: "support@test.local",
        subject: "Re: Order 42",
        messageId: "<r3@example.com>",
      }),
      "mallory@evil.example",
    );
    await t.pb.drain();
    const msgs = (await pb.messages.list("support", { limit: 10 })).data;
    const byId = (mid: string) => msgs.find((m) => m.internet_message_id === mid)!;
    const threadId = byId(root).thread_id!;
    assert.equal(byId("<r1@example.com>").thread_id, threadId);
    assert.equal(byId("<r2@example.com>").thread_id, threadId);
    assert.notEqual(byId("<r3@example.com>").thread_id, threadId);
    const thread = await pb.threads.get(threadId);
    assert.equal(thread.message_count, 3);
    assert.deepEqual(
      thread.messages.map((m) => m.internet_message_id),
      [root, "<r1@example.com>", "<r2@example.com>"],
    );
    const threads = await pb.threads.list("support");
    assert.ok(threads.data.some((th) => th.id === threadId && th.subject === "Order 42"));
  });

  it("lists with filters and marks messages read", async () => {
    const pb = t.client();
    const unread = await pb.messages.list("support", { unread: true, direction: "inbound" });
    assert.ok(unread.data.length > 0);
    const first = unread.data[0]!;
    const read = await pb.messages.markRead(first.id);
    assert.ok(read.read_at);
    assert.equal(
      (read as unknown as { message_id: string }).message_id,
      first.id,
      "the seed's clients read message_id",
    );
    const after = await pb.messages.list("support", { unread: true });
    assert.ok(after.data.every((m) => m.id !== first.id));
    const none = await pb.messages.list("support", { since: new Date(Date.now() + 60_000) });
    assert.equal(none.data.length, 0);
    const paged = [];
    for await (const m of pb.messages.list("support", { limit: 2, autoPaginate: true })) paged.push(m.id);
    assert.equal(new Set(paged).size, paged.length);
    assert.equal(paged.length, (await pb.messages.list("support", { limit: 100 })).data.length);
  });

  it("accepts raw MIME over HTTP ingest with an ingest key", async () => {
    const pb = t.client();
    const ingest = await pb.apiKeys.create({ role: "ingest", label: "mta" });
    const raw = rawMessage({ to: "sales@test.local", subject: "Via ingest" });
    const res = await t.api(
      "POST",
      "/v1/ingest?rcpt_to=sales@test.local,ghost@test.local&mail_from=bob@example.org&client_ip=192.0.2.7&helo=mx.example.org",
      {
        key: ingest.api_key,
        raw,
        headers: { "content-type": "message/rfc822" },
      },
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.accepted.length, 1);
    assert.deepEqual(res.body.rejected, [
      { recipient: "ghost@test.local", code: "UNKNOWN_RECIPIENT", reason: "no such mailbox" },
    ]);
    await t.pb.drain();
    const msg = await pb.messages.get(res.body.accepted[0].message_id);
    assert.equal(msg.subject, "Via ingest");
    assert.equal(msg.envelope?.client_ip, "192.0.2.7");
    assert.equal(msg.envelope?.transport, "http");
    // An ingest key reads nothing, and bad ingest input is refused clearly.
    assert.equal((await t.api("GET", "/v1/mailboxes/sales", { key: ingest.api_key })).status, 403);
    const none = await t.api("POST", "/v1/ingest?rcpt_to=ghost@test.local", {
      key: ingest.api_key,
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(none.status, 422);
    assert.equal(none.body.code, "NO_VALID_RECIPIENTS");
    const noRcpt = await t.api("POST", "/v1/ingest", {
      key: ingest.api_key,
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(noRcpt.status, 400);
    const json = await t.api("POST", "/v1/ingest?rcpt_to=sales@test.local", {
      key: ingest.api_key,
      body: { raw },
    });
    assert.equal(json.status, 415);
    const huge = await t.api("POST", "/v1/ingest?rcpt_to=sales@test.local", {
      key: ingest.api_key,
      raw: `X-Big: ${"b".repeat(70 * 1024)}\r\n${raw}`,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, "HEADER_TOO_LARGE");
    const agentKey = await pb.apiKeys.create({ role: "agent", mailbox_ids: ["sales"] });
    const byAgent = await t.api("POST", "/v1/ingest?rcpt_to=sales@test.local", {
      key: agentKey.api_key,
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(byAgent.status, 403);
  });

  it("ingests every message of the shared corpus and reads back identical bytes", {
    skip: corpusMissing,
  }, async () => {
    const files = (await readdir(MAIL_DIR)).filter((f) => !f.startsWith("."));
    assert.ok(files.length >= 80, `corpus has ${files.length} files`);
    const ids = new Map<string, Buffer>();
    for (const file of files) {
      const raw = await readFile(new URL(file, MAIL_DIR));
      const res = await t.api("POST", "/v1/ingest?rcpt_to=sales@test.local", {
        raw,
        headers: { "content-type": "message/rfc822" },
      });
      assert.equal(res.status, 202, `${file}: ${JSON.stringify(res.body)}`);
      ids.set(res.body.accepted[0].message_id, raw);
    }
    await t.pb.drain();
    const pb = t.client();
    let quarantined = 0;
    for (const [id, raw] of ids) {
      const msg = await pb.messages.get(id);
      // Processed either way; a quarantined message is held from the agent, not lost.
      assert.ok(["available", "quarantined"].includes(msg.state), `${id}: ${msg.state}`);
      if (msg.state === "quarantined") quarantined++;
      assert.equal(msg.parse_error, null, id);
      const back = await pb.messages.getRaw(id);
      assert.ok(Buffer.from(back).equals(raw), `raw bytes differ for ${id}`);
    }
    // Real mail: the target is a false-positive rate of at most 1 % at the quarantine threshold.
    assert.ok(
      quarantined <= Math.floor(0.01 * ids.size),
      `${quarantined} of ${ids.size} real messages quarantined`,
    );
  });
});
