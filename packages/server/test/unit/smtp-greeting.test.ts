import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { PostboxSmtpServer } from "../../src/inbound/smtp/postbox-smtp-server.ts";
import { smtpConnect } from "../smtp-lines.ts";

/** A bare server of our class on loopback: counts the sessions that reached onConnect and every reply code. */
async function serve(greetingDelayMs: number) {
  const seen = { sessions: 0, opened: 0, closed: 0, replies: [] as number[] };
  const server = new PostboxSmtpServer({
    greetingDelayMs,
    observer: {
      opened: () => seen.opened++,
      closed: () => seen.closed++,
      replied: (code) => seen.replies.push(code),
    },
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, cb) {
      seen.sessions++;
      cb();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { server, port, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("SMTP greeting delay (POSTBOX_SMTP_GREETING_DELAY_MS)", () => {
  const servers: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it("0: the greeting is the first thing sent, and a client that talks first is served after it", async () => {
    const s = await serve(0);
    servers.push(s);
    const c = await smtpConnect(s.port);
    // Sent before reading anything: under smtp-server's fixed 100 ms wait this got "421 You talk too soon".
    c.write("EHLO early.example\r\n");
    assert.match((await c.reply())!, /^220 /);
    assert.match((await c.reply())!, /^250[- ]/);
    assert.match((await c.command("QUIT"))!, /^221 /);
    await c.closed;
    assert.equal(s.seen.sessions, 1);
  });

  it("> 0: an early talker is refused with 421 and its session never starts", async () => {
    // Long enough that the client's first line always lands inside it, however loaded the machine.
    const s = await serve(60_000);
    servers.push(s);
    const c = await smtpConnect(s.port);
    c.write("EHLO early.example\r\n");
    assert.match((await c.reply())!, /^421 .*talk too soon/i);
    await c.closed;
    assert.equal(s.seen.sessions, 0, "onConnect never ran");
    assert.equal(s.seen.replies.includes(220), false, "no greeting was sent");
  });

  it("> 0: a client that waits for the greeting gets it and is served", async () => {
    const s = await serve(20);
    servers.push(s);
    const c = await smtpConnect(s.port);
    assert.match((await c.reply())!, /^220 /);
    assert.match((await c.command("EHLO patient.example"))!, /^250[- ]/);
    assert.match((await c.command("QUIT"))!, /^221 /);
    await c.closed;
    assert.equal(s.seen.sessions, 1);
  });

  it("reports every connection and reply to its observer", async () => {
    const s = await serve(0);
    servers.push(s);
    const c = await smtpConnect(s.port);
    assert.match((await c.reply())!, /^220 /);
    assert.match((await c.command("NOOP"))!, /^250 /);
    assert.match((await c.command("FROB"))!, /^500 /);
    assert.match((await c.command("QUIT"))!, /^221 /);
    await c.closed;
    while (s.seen.closed < 1) await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.seen.replies, [220, 250, 500, 221]);
    assert.equal(s.seen.opened, 1);
  });
});
