import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm, stat } from "node:fs/promises";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { Postbox } from "@postbox/sdk";
import { DATABASE_URL, eventually, type Sink, startSink } from "../../../server/test/helpers.ts";
import { adminKeyOf, runCli, type ServiceProcess, startService, tempDataDir } from "../process.ts";

const exec = promisify(execFile);

/** Sends with Python's smtplib: an SMTP client that shares no code with ours. */
async function pythonSend(port: number, from: string, to: string[], raw: string) {
  const script = `
import smtplib, sys, json
args = json.loads(sys.argv[1])
with smtplib.SMTP("127.0.0.1", args["port"], timeout=30) as s:
    s.ehlo("python.test")
    print(json.dumps(s.sendmail(args["from"], args["to"], args["raw"].encode())))
`;
  const { stdout } = await exec("python3", ["-c", script, JSON.stringify({ port, from, to, raw })]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("postbox serve, as a user runs it (embedded database)", {
  skip: Boolean(DATABASE_URL) && "runs once, on PGlite",
}, () => {
  let dataDir: string;
  let svc: ServiceProcess;
  let sink: Sink;
  let pb: Postbox;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await tempDataDir();
    sink = await startSink();
    svc = await startService({ POSTBOX_DATA_DIR: dataDir, POSTBOX_SMTP_RELAY: sink.url });
    const apiKey = await adminKeyOf(dataDir);
    pb = new Postbox({ apiKey, baseUrl: `http://127.0.0.1:${svc.httpPort}` });
    env = { POSTBOX_API_KEY: apiKey, POSTBOX_URL: `http://127.0.0.1:${svc.httpPort}` };
  });
  after(async () => {
    await svc?.stop();
    await sink?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the admin key once and keeps it in admin.key (0600)", async () => {
    const key = await adminKeyOf(dataDir);
    // The banner goes to stdout right after the "listening" log line on stderr: it may arrive a moment later.
    await eventually(async () => svc.stdout.includes(key));
    assert.ok(svc.stdout.includes(key));
    assert.equal((await stat(`${dataDir}/admin.key`)).mode & 0o777, 0o600);
  });

  it("runs the quick start: create, receive over SMTP, wait, reply with threading", async () => {
    const mb = await pb.mailboxes.create({ name: "support" });
    const waiting = pb.messages.wait(mb.id, { timeout: 60 });
    const refused = await pythonSend(
      svc.smtpPort,
      "customer@example.org",
      ["support@test.local"],
      "From: Customer <customer@example.org>\r\nTo: support@test.local\r\nSubject: Broken widget\r\nMessage-ID: <w1@example.org>\r\n\r\nIt broke.\r\n",
    );
    assert.deepEqual(refused, {});
    const { message } = await waiting;
    assert.ok(message);
    assert.equal(message.subject, "Broken widget");
    await pb.messages.reply(message.id, { body: "Thanks — on it." });
    await sink.waitFor(1);
    const out = sink.received[0]!;
    assert.deepEqual(out.to, ["customer@example.org"]);
    const text = out.raw.toString();
    assert.match(text, /^In-Reply-To: <w1@example\.org>\r?$/m);
    assert.match(text, /^References: <w1@example\.org>\r?$/m);
    assert.match(text, /^Subject: Re: Broken widget\r?$/m);
    assert.match(text, /Thanks =E2=80=94 on it\.|Thanks — on it\./);
  });

  it("runs examples/quickstart.ts as the README says", async () => {
    const root = new URL("../../../../", import.meta.url).pathname;
    const { stdout } = await exec(process.execPath, ["--import", "tsx", "examples/quickstart.ts"], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    assert.match(stdout, /support got: "My widget broke" from customer-[0-9a-f]{6}@test\.local/);
    assert.match(stdout, /customer got: "Re: My widget broke" \(In-Reply-To <[0-9a-f-]+@test\.local>\)/);
  });

  it("drives the CLI: mailbox, keys, send and wait with --json", async () => {
    const created = await runCli(["mailbox", "create", "cli-box", "--json"], env);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).address, "cli-box@test.local");
    const list = await runCli(["mailbox", "list", "--json"], env);
    assert.ok(JSON.parse(list.stdout).some((m: { name: string }) => m.name === "cli-box"));
    const key = await runCli(["keys", "create", "--role", "agent", "--mailbox", "cli-box", "--json"], env);
    assert.equal(key.code, 0, key.stderr);
    const agentKey = JSON.parse(key.stdout).api_key as string;
    const agentEnv = { ...env, POSTBOX_API_KEY: agentKey };
    const sent = await runCli(
      [
        "send",
        "--from",
        "support",
        "--to",
        "cli-box@test.local",
        "--subject",
        "From the shell",
        "--body-file",
        "-",
        "--json",
      ],
      env,
      "piped body\n",
    );
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(JSON.parse(sent.stdout).status, "sent");
    const waited = await runCli(["wait", "cli-box", "--timeout", "60", "--json"], agentEnv);
    assert.equal(waited.code, 0, waited.stderr);
    const got = JSON.parse(waited.stdout);
    assert.equal(got.message.subject, "From the shell");
    assert.match(
      got.message.body_preview,
      /piped body/,
      "--json prints the wire: a summary with its preview",
    );
    const events = await runCli(
      ["events", "--mailbox", "cli-box", "--types", "message.received", "--json"],
      env,
    );
    assert.equal(events.code, 0, events.stderr);
    const log = JSON.parse(events.stdout);
    assert.deepEqual(
      log.data.map((e: { event: string; data: { subject: string } }) => [e.event, e.data.subject]),
      [["message.received", "From the shell"]],
    );
    assert.ok(log.cursor);
    const badType = await runCli(["events", "--types", "message.nope"], env);
    assert.equal(badType.code, 1);
    assert.match(badType.stderr, /unknown event type message\.nope/);
    const keys = await runCli(["keys", "list"], env);
    assert.match(keys.stdout, /agent/);
    const denied = await runCli(["mailbox", "create", "nope"], agentEnv);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /INSUFFICIENT_SCOPE/);
    const usage = await runCli(["frobnicate"], env);
    assert.equal(usage.code, 2);
    const noKey = await runCli(["mailbox", "list"], { POSTBOX_URL: env.POSTBOX_URL! });
    assert.equal(noKey.code, 3, "no key is an authentication error");
    assert.match(noKey.stderr, /POSTBOX_API_KEY/);
  });

  it("drives the MailPolicy from the CLI: set, dry run, a refusal over SMTP, audit and verify", async () => {
    assert.equal((await runCli(["mailbox", "create", "guarded"], env)).code, 0);
    const invalid = await runCli(
      ["policy", "set", "guarded", "-"],
      env,
      JSON.stringify({ defaultAction: "reject", senders: [], auditLog: { retentionDays: 0 } }),
    );
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /VALIDATION_ERROR/);
    assert.match(invalid.stderr, /- auditLog\.retentionDays must be >= 1/);
    assert.match(invalid.stderr, /- defaultAction must be one of "bounce", "drop"/);
    const policy = {
      defaultAction: "bounce",
      senders: [{ match: { domain: "friends.test" }, capabilities: ["chat"] }],
      auditLog: { retentionDays: 7 },
    };
    const set = await runCli(["policy", "set", "guarded", "-"], env, JSON.stringify(policy));
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /warning: .*"chat"/);
    const dry = await runCli(["policy", "test", "guarded", "--from", "x@enemies.test"], env);
    assert.equal(dry.code, 5, "a dry run that would refuse: a check said no");
    assert.match(dry.stdout, /^rejected_at_policy: sender is not allowed/);
    assert.match(dry.stdout, /sender_match\s+fail/);
    // A real, independent SMTP client sees the refusal in the session.
    await assert.rejects(
      pythonSend(
        svc.smtpPort,
        "x@enemies.test",
        ["guarded@test.local"],
        "From: x@enemies.test\r\nSubject: hi\r\n\r\nhi\r\n",
      ),
      /550.*5\.7\.1 sender is not allowed by the mailbox policy/s,
    );
    await pythonSend(
      svc.smtpPort,
      "ann@friends.test",
      ["guarded@test.local"],
      "From: ann@friends.test\r\nSubject: ok\r\n\r\nhi\r\n",
    );
    const audit = await runCli(["audit", "guarded", "--json"], env);
    assert.equal(audit.code, 0, audit.stderr);
    assert.deepEqual(
      JSON.parse(audit.stdout).map((e: { outcome: string; action: string }) => `${e.outcome}/${e.action}`),
      ["accepted/delivered", "rejected_at_policy/rejected_in_session"],
    );
    const verify = await runCli(["audit", "verify", "guarded"], env);
    assert.equal(verify.code, 0);
    assert.match(verify.stdout, /^ok: 2 entries verified/);
  });

  it("answers a 10 MB header block with 552 and stays healthy", async () => {
    const status = await new Promise<string>((resolve, reject) => {
      const sock = connect(svc.smtpPort, "127.0.0.1");
      let buf = "";
      let stage = 0;
      const line = "X-Junk: " + "j".repeat(990) + "\r\n";
      sock.on("data", (d) => {
        buf += d.toString();
        const replies = buf.split("\r\n").filter((l) => /^\d{3} /.test(l));
        if (stage === 0 && replies.length >= 1) {
          stage = 1;
          sock.write(
            "EHLO raw.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<support@test.local>\r\nDATA\r\n",
          );
        } else if (stage === 1 && replies.some((r) => r.startsWith("354"))) {
          stage = 2;
          const chunk = line.repeat(1000);
          for (let i = 0; i < 10; i++) sock.write(chunk);
          sock.write("\r\nbody\r\n.\r\n");
        } else if (stage === 2) {
          const last = replies.at(-1)!;
          if (!last.startsWith("354")) {
            sock.end("QUIT\r\n");
            resolve(last);
          }
        }
      });
      sock.on("error", reject);
    });
    assert.match(status, /^552 /);
    assert.equal((await pb.health.check()).status, "ok");
  });

  it("refuses bad configuration with one clear line", async () => {
    const res = await runCli(["serve"], { POSTBOX_HTTP_PORT: "http", POSTBOX_DATA_DIR: dataDir });
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim().split("\n").length, 1);
    assert.match(res.stderr, /POSTBOX_HTTP_PORT/);
  });

  it("refuses a busy port and an unreachable database with one clear line", async () => {
    const other = await tempDataDir();
    try {
      const busy = await runCli(["serve"], {
        POSTBOX_HTTP_PORT: String(svc.httpPort),
        POSTBOX_SMTP_PORT: "0",
        POSTBOX_DATA_DIR: other,
      });
      assert.equal(busy.code, 2, busy.stderr);
      // Log lines (JSON) may come first; the last line says what is wrong.
      const last = (text: string) => text.trim().split("\n").at(-1)!;
      assert.match(
        last(busy.stderr),
        /^postbox: configuration error: POSTBOX_HTTP_PORT: 127\.0\.0\.1:\d+ is already in use/,
      );
      const noDb = await runCli(["serve"], {
        DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
        POSTBOX_HTTP_PORT: "0",
        POSTBOX_SMTP_PORT: "0",
        POSTBOX_DATA_DIR: other,
      });
      assert.equal(noDb.code, 2, noDb.stderr);
      assert.match(
        last(noDb.stderr),
        /^postbox: configuration error: DATABASE_URL: cannot connect to PostgreSQL/,
      );
      // A second process on the same embedded database is refused before it can touch it.
      const twice = await runCli(["serve"], {
        POSTBOX_HTTP_PORT: "0",
        POSTBOX_SMTP_PORT: "0",
        POSTBOX_DATA_DIR: dataDir,
      });
      assert.equal(twice.code, 2, twice.stderr);
      assert.match(last(twice.stderr), /POSTBOX_DATA_DIR: .* is in use by process \d+/);
      assert.equal((await pb.health.check()).status, "ok");
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
