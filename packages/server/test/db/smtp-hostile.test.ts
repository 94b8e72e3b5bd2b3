import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { dbLabel, eventually, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

/** A raw SMTP conversation: what a hostile client sends, byte for byte, and every reply the server gave. */
class RawSmtp {
  private buffer = "";
  private waiting: (() => void) | null = null;
  readonly replies: string[] = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.buffer += d.toString("latin1");
      // A reply ends with a line whose code is followed by a space (multi-line replies use a hyphen).
      for (let m = /^(\d{3}) .*\r\n/m.exec(this.buffer); m; m = /^(\d{3}) .*\r\n/m.exec(this.buffer)) {
        const end = m.index + m[0].length;
        this.replies.push(this.buffer.slice(0, end).trimEnd());
        this.buffer = this.buffer.slice(end);
      }
      this.waiting?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on("error", () => {});
  }

  static async open(port: number): Promise<RawSmtp> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const c = new RawSmtp(socket);
    await c.until(1);
    return c;
  }

  /** Waits until `n` replies have arrived in all (or the server closed the connection). */
  async until(n: number): Promise<string[]> {
    while (this.replies.length < n && !this.closed) await new Promise<void>((r) => (this.waiting = r));
    return this.replies;
  }

  write(data: string | Buffer): void {
    if (!this.closed) this.socket.write(data);
  }

  /** Sends one command and returns its reply. */
  async command(line: string): Promise<string> {
    const n = this.replies.length + 1;
    this.write(`${line}\r\n`);
    await this.until(n);
    return this.replies[n - 1] ?? "(closed)";
  }

  end(): void {
    this.socket.end();
  }
}

const MX = "victim@test.local";

/** One complete transaction with an arbitrary message body; returns the final reply. */
async function transaction(port: number, body: string | Buffer): Promise<string> {
  const c = await RawSmtp.open(port);
  try {
    assert.match(await c.command("EHLO hostile.example"), /^250/);
    assert.match(await c.command("MAIL FROM:<eve@hostile.example>"), /^250/);
    assert.match(await c.command(`RCPT TO:<${MX}>`), /^250/);
    assert.match(await c.command("DATA"), /^354/);
    const n = c.replies.length + 1;
    c.write(body);
    c.write("\r\n.\r\n");
    await c.until(n);
    await c.command("QUIT");
    return c.replies[n - 1] ?? "(closed)";
  } finally {
    c.end();
  }
}

function nested(depth: number): string {
  let body = "innermost";
  for (let i = depth; i > 0; i--)
    body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--`;
  return `From: eve@hostile.example\r\nTo: ${MX}\r\nSubject: deep\r\nMIME-Version: 1.0\r\n${body}\r\n`;
}

/** Every one of these is accepted or refused cleanly; what is accepted ends readable or failed, never stuck. */
const HOSTILE_MESSAGES: { name: string; body: () => string | Buffer }[] = [
  { name: "no headers at all", body: () => "just text, no header block" },
  { name: "empty message", body: () => "" },
  { name: "bare LF line endings", body: () => rawMessage({ to: MX }).replace(/\r\n/g, "\n") },
  { name: "bare CR line endings", body: () => rawMessage({ to: MX }).replace(/\r\n/g, "\r") },
  {
    name: "NUL bytes in headers and body",
    body: () => rawMessage({ to: MX, subject: "a\u0000b", body: "c\u0000d" }),
  },
  {
    name: "8-bit bytes without a charset",
    body: () =>
      Buffer.concat([
        Buffer.from(`From: eve@hostile.example\r\nTo: ${MX}\r\nSubject: `),
        Buffer.from([0xff, 0xfe, 0x80, 0xc3]),
        Buffer.from("\r\n\r\n"),
        Buffer.from([0xe9, 0x00, 0xf0, 0x9f, 0x98]),
      ]),
  },
  {
    name: "unpaired surrogates in encoded words",
    body: () =>
      rawMessage({
        to: MX,
        subject: "=?UTF-16LE?B?ANg=?= =?UTF-16BE?B?3AA=?=",
        from: "=?UTF-16BE?B?2AA=?= <eve@hostile.example>",
      }),
  },
  {
    name: "an encoded word in an unknown charset",
    body: () => rawMessage({ to: MX, subject: "=?x-nonsense?B?AAAA?=" }),
  },
  {
    name: "a 60 KB header line",
    body: () => rawMessage({ to: MX, extraHeaders: `X-Long: ${"a".repeat(60_000)}` }),
  },
  {
    name: "a thousand headers",
    body: () =>
      rawMessage({ to: MX, extraHeaders: Array.from({ length: 1000 }, (_, i) => `X-H${i}: v`).join("\r\n") }),
  },
  { name: "multipart nested 500 deep", body: () => nested(500) },
  {
    name: "multipart with no closing boundary and a missing boundary parameter",
    body: () =>
      `From: eve@hostile.example\r\nTo: ${MX}\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\npart\r\n--y\r\n`,
  },
  {
    name: "a base64 part that is one 2 MB line",
    body: () =>
      `From: eve@hostile.example\r\nTo: ${MX}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${"A".repeat(2 * 1024 * 1024)}`,
  },
  {
    name: "base64 that is not base64",
    body: () =>
      `From: eve@hostile.example\r\nTo: ${MX}\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!****\u00ff\u00fe====`,
  },
  {
    name: "an attachment with NUL and path tricks in its name and type",
    body: () =>
      [
        `From: eve@hostile.example`,
        `To: ${MX}`,
        'Content-Type: multipart/mixed; boundary="b"',
        "",
        "--b",
        'Content-Type: text/x\u0000y; name="..\\..\\evil\u0000.exe"',
        'Content-Disposition: attachment; filename="../../etc/\u202epasswd"',
        "",
        "x",
        "--b--",
      ].join("\r\n"),
  },
  {
    name: "a Date in year 0 and a Message-ID of 10,000 characters",
    body: () =>
      rawMessage({ to: MX, messageId: `<${"m".repeat(10_000)}@x>` }).replace(
        /^Date: .*$/m,
        "Date: Mon, 1 Jan 0000 00:00:00 +0000",
      ),
  },
  {
    name: "a body line of a single dot escaped wrongly",
    body: () => rawMessage({ to: MX, body: "line\r\n..\r\n.x" }),
  },
];

describe(`hostile SMTP input is accepted or refused cleanly, and the service stays healthy (${dbLabel})`, () => {
  let t: TestServer;
  const accepted: string[] = [];

  before(async () => {
    t = await startTestServer({ POSTBOX_MAX_MESSAGE_BYTES: String(4 * 1024 * 1024) });
    await t.client().mailboxes.create({ name: "victim" });
  });
  after(() => t.stop());

  const healthy = async () => {
    const h = await t.api("GET", "/v1/health", { key: null });
    assert.equal(h.status, 200);
    const reply = await transaction(t.pb.smtpPort!, rawMessage({ to: MX, subject: "still works" }));
    assert.match(reply, /^250 /, "a normal message still goes through");
    accepted.push(/queued as (\S+)/.exec(reply)![1]!);
  };

  for (const m of HOSTILE_MESSAGES)
    it(m.name, async () => {
      const reply = await transaction(t.pb.smtpPort!, m.body());
      assert.match(reply, /^(250|4\d\d|5\d\d) /, reply);
      if (reply.startsWith("250")) accepted.push(/queued as (\S+)/.exec(reply)![1]!);
      await healthy();
    });

  it("commands after DATA without the final dot are message text, and a dropped connection stores nothing", async () => {
    const before = (await t.pb.db.query<{ n: number }>("select count(*)::int as n from messages"))[0]!.n;
    const c = await RawSmtp.open(t.pb.smtpPort!);
    await c.command("EHLO hostile.example");
    await c.command("MAIL FROM:<eve@hostile.example>");
    await c.command(`RCPT TO:<${MX}>`);
    assert.match(await c.command("DATA"), /^354/);
    const n = c.replies.length;
    // Without the final dot these are message text; the server is still reading the message and owes no reply.
    c.write("Subject: half\r\n\r\nno dot follows\r\nQUIT\r\nRSET\r\nMAIL FROM:<x@y>\r\n");
    // The client vanishes; the server has read everything once it closes its side too.
    c.end();
    await c.until(Number.MAX_SAFE_INTEGER);
    assert.ok(c.closed);
    assert.ok(
      !c.replies.slice(n).some((r) => r.startsWith("250")),
      `no acceptance: ${c.replies.slice(n).join(" | ")}`,
    );
    await healthy();
    const after = (await t.pb.db.query<{ n: number }>("select count(*)::int as n from messages"))[0]!.n;
    assert.equal(after, before + 1, "only the health check's message was stored");
  });

  it("pipelined floods of commands and transactions get an answer each and no stray acceptance", async () => {
    const c = await RawSmtp.open(t.pb.smtpPort!);
    await c.command("EHLO hostile.example");
    const start = c.replies.length;
    const tx = `MAIL FROM:<eve@hostile.example>\r\nRCPT TO:<${MX}>\r\nRCPT TO:<nobody@test.local>\r\nDATA\r\n`;
    const msg = `${rawMessage({ to: MX, subject: "pipelined" })}\r\n.\r\n`;
    c.write(`${tx}${msg}${tx}${msg}${"NOOP\r\n".repeat(50)}${"GARBAGE COMMAND\r\n".repeat(5)}QUIT\r\n`);
    await c.until(start + 2 * 5 + 50 + 5 + 1);
    const replies = c.replies.slice(start);
    const queued = replies.filter((r) => r.startsWith("250 2.0.0 Ok: queued"));
    assert.equal(queued.length, 2, replies.join("\n"));
    for (const q of queued) accepted.push(/queued as (\S+)/.exec(q)![1]!);
    assert.ok(
      replies.some((r) => /^550 /.test(r)),
      "the unknown recipient was refused",
    );
    assert.ok(
      replies.some((r) => /^5\d\d /.test(r) && !/^550 /.test(r)),
      "garbage commands were refused",
    );
    c.end();
    await healthy();
  });

  it("processes everything it accepted: each message available or failed, none stuck", async () => {
    assert.ok(accepted.length > HOSTILE_MESSAGES.length);
    await t.pb.drain();
    const rows = await eventually(async () => {
      const r = await t.pb.db.query<{ id: string; state: string }>(
        "select id, state from messages where id = any($1::uuid[])",
        [accepted],
      );
      return r.every((x) => x.state !== "received") ? r : null;
    });
    assert.equal(rows.length, accepted.length);
    for (const r of rows)
      assert.ok(["available", "failed", "quarantined"].includes(r.state), `${r.id}: ${r.state}`);
    // Every accepted message reads back through the API.
    for (const id of accepted) assert.equal((await t.api("GET", `/v1/messages/${id}`)).status, 200);
  });
});
