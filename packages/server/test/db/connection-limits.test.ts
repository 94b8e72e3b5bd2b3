import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { dbLabel, eventually, rawMessage, startTestServer, type TestServer } from "../helpers.ts";
import { smtpConnect } from "../smtp-lines.ts";
import { readUntil } from "../streams.ts";

/** A raw HTTP connection: what the server wrote, and when it closed. */
async function rawHttp(port: number) {
  const socket: Socket = connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => {});
  let received = "";
  socket.on("data", (d: Buffer) => {
    received += d.toString();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, closed, received: () => received };
}

/** The JSON body of a raw HTTP/1.1 response. */
function bodyOf(response: string): { error: string; code: string } {
  return JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
}

describe(`SMTP connection caps and the recipient cap (${dbLabel})`, () => {
  let t: TestServer;
  let port: number;

  before(async () => {
    t = await startTestServer({
      POSTBOX_SMTP_MAX_CONNECTIONS: "3",
      POSTBOX_SMTP_MAX_CONNECTIONS_PER_IP: "2",
    });
    port = t.pb.smtpPort!;
    await t.client().mailboxes.create({ name: "dup" });
  });
  after(() => t.stop());

  it("greets a client over its per-address cap, or over the total cap, with 421 and hangs up", async () => {
    const a1 = await smtpConnect(port, "127.0.0.1");
    const a2 = await smtpConnect(port, "127.0.0.1");
    assert.match((await a1.reply())!, /^220 /);
    assert.match((await a2.reply())!, /^220 /);
    const a3 = await smtpConnect(port, "127.0.0.1");
    assert.equal(await a3.reply(), "421 4.7.0 Too many connections from your address, try again later");
    await a3.closed;

    // Another address still gets in, up to the total.
    const b1 = await smtpConnect(port, "127.0.0.2");
    assert.match((await b1.reply())!, /^220 /);
    const c1 = await smtpConnect(port, "127.0.0.3");
    assert.equal(await c1.reply(), "421 4.7.0 Too many connections, try again later");
    await c1.closed;
    // The sessions that got in work normally.
    assert.match((await b1.command("EHLO b.example"))!, /^250/);

    // A session that ends gives its place back.
    assert.match((await a1.command("QUIT"))!, /^221 /);
    await a1.closed;
    await eventually(async () => {
      const again = await smtpConnect(port, "127.0.0.1");
      const greeting = await again.reply();
      if (greeting?.startsWith("220 ")) {
        await again.command("QUIT");
        return true;
      }
      again.close();
      return false;
    });
    for (const s of [a2, b1]) {
      await s.command("QUIT");
      await s.closed;
    }
  });

  it("counts a repeated RCPT TO toward the 100-recipient cap and keeps the address once", async () => {
    const s = await smtpConnect(port);
    assert.match((await s.reply())!, /^220 /);
    assert.match((await s.command("EHLO repeat.example"))!, /^250/);
    assert.match((await s.command("MAIL FROM:<sender@example.org>"))!, /^250/);
    for (let i = 0; i < 100; i++) {
      // Mixed case is the same address to SMTP: it counts, and is still stored once.
      const rcpt = i % 2 ? "RCPT TO:<dup@test.local>" : "RCPT TO:<DUP@test.local>";
      assert.match((await s.command(rcpt))!, /^250 /, `RCPT ${i + 1}`);
    }
    assert.equal(await s.command("RCPT TO:<dup@test.local>"), "452 4.5.3 Too many recipients");
    assert.match((await s.command("DATA"))!, /^354 /);
    s.write(
      `${rawMessage({ to: "dup@test.local", subject: "Repeated" }).replace(/\r\n\.\r\n/g, "\r\n..\r\n")}.\r\n`,
    );
    assert.match((await s.reply())!, /^250 /);
    assert.match((await s.command("QUIT"))!, /^221 /);
    await t.pb.drain();
    const page = await t.client().messages.list("dup");
    assert.equal(page.data.length, 1);
    const [msg] = page.data;
    assert.equal(msg!.subject, "Repeated");
    assert.deepEqual(
      msg!.envelope?.rcpt_to.map((a) => a.toLowerCase()),
      ["dup@test.local"],
    );
  });
});

describe(`HTTP and SMTP time limits (${dbLabel})`, () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({
      POSTBOX_HTTP_HEADERS_TIMEOUT_MS: "500",
      POSTBOX_HTTP_BODY_TIMEOUT_MS: "1000",
      POSTBOX_SMTP_IDLE_TIMEOUT_MS: "1000",
    });
    await t.client().mailboxes.create({ name: "slow" });
  });
  after(() => t.stop());

  // The timeouts are safety nets: without the limit these connections would stay open forever.
  it("cuts a body trickled slower than the body timeout with 408 REQUEST_TIMEOUT", {
    timeout: 30_000,
  }, async () => {
    const c = await rawHttp(t.pb.httpPort!);
    c.socket.write(
      `POST /v1/mailboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.adminKey}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    // One byte every 100 ms, until the server closes the connection.
    const drip = setInterval(() => c.socket.writable && c.socket.write(" "), 100);
    await c.closed;
    clearInterval(drip);
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
    assert.equal(bodyOf(c.received()).code, "REQUEST_TIMEOUT");
    // Nothing was created from the partial body.
    assert.deepEqual(
      (await t.client().mailboxes.list()).data.map((m) => m.name),
      ["slow"],
    );
  });

  it("cuts a connection that never finishes its headers", { timeout: 30_000 }, async () => {
    const c = await rawHttp(t.pb.httpPort!);
    c.socket.write("GET /v1/health HTTP/1.1\r\nHost: x\r\n");
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
    assert.equal(bodyOf(c.received()).code, "REQUEST_TIMEOUT");
  });

  it("keeps a 3 s long-poll and an event stream open past the 1 s body timeout", async () => {
    const abort = new AbortController();
    const stream = await fetch(`${t.baseUrl}/v1/events/stream`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
      signal: abort.signal,
    });
    assert.equal(stream.status, 200);
    const wait = await t.api("GET", "/v1/mailboxes/slow/messages/wait?timeout=3");
    assert.equal(wait.status, 200);
    assert.equal(wait.body.message, null);
    assert.ok(wait.body.cursor);
    // The stream outlived the body timeout too: an event now still arrives on it.
    const ingest = await t.api("POST", "/v1/ingest?rcpt_to=slow@test.local", {
      raw: rawMessage({ to: "slow@test.local", subject: "After the wait" }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(ingest.status, 202);
    await t.pb.drain();
    await readUntil(stream, "event: message.received");
    abort.abort();
  });

  it("says 421 to an SMTP client that stays idle past the idle timeout", { timeout: 30_000 }, async () => {
    const s = await smtpConnect(t.pb.smtpPort!);
    assert.match((await s.reply())!, /^220 /);
    assert.match((await s.command("EHLO idle.example"))!, /^250/);
    assert.match((await s.reply())!, /^421 /);
    await s.closed;
  });
});

describe(`HTTP connection cap (${dbLabel})`, () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ POSTBOX_HTTP_MAX_CONNECTIONS: "2" });
  });
  after(() => t.stop());

  it("closes connections past the cap as they arrive, and takes new ones once a place is free", async () => {
    const first = await rawHttp(t.pb.httpPort!);
    const second = await rawHttp(t.pb.httpPort!);
    const third = await rawHttp(t.pb.httpPort!);
    await third.closed;
    assert.equal(third.received(), "");
    // The two within the cap are served.
    second.socket.write("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
    await eventually(async () => second.received().includes("\r\n\r\n{"));
    assert.match(second.received(), /^HTTP\/1\.1 200 /);
    first.socket.destroy();
    await first.closed;
    await eventually(async () => {
      const next = await rawHttp(t.pb.httpPort!);
      next.socket.write("GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await next.closed;
      return next.received().startsWith("HTTP/1.1 200 ");
    });
    second.socket.destroy();
  });
});
