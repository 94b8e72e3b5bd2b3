import assert from "node:assert/strict";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import yauzl from "yauzl";
import { startDnsServer, type Zone } from "../../../server/test/dns-server.ts";
import {
  DATABASE_URL,
  eventually,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
} from "../../../server/test/helpers.ts";
import { type CliResult, cli } from "../in-process.ts";
import { adminKeyOf, runCli, type ServiceProcess, startService, tempDataDir } from "../process.ts";

/**
 * The everyday commands against one real `postbox serve`: most run through the CLI's entry in this process (the
 * same parsing, output and exit codes, without a process start per command); the process-level contract (stdout,
 * stderr, exit status of bin/postbox.js) is checked with real processes where it matters.
 */
describe("the postbox CLI against a running service", {
  skip: Boolean(DATABASE_URL) && "runs once, on PGlite",
}, () => {
  let dataDir: string;
  let svc: ServiceProcess;
  let sink: Sink;
  let hooks: Server;
  let hookUrl: string;
  const hookHits: { path: string; body: string }[] = [];
  let env: Record<string, string>;
  const zone: Zone = {};
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  /** Runs a command as the admin (or with `key`). */
  const pb = (args: string[], opts: { key?: string; stdin?: string } = {}) =>
    cli(args, { ...env, ...(opts.key ? { POSTBOX_API_KEY: opts.key } : {}) }, { stdin: opts.stdin });
  const ok = (r: CliResult) => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    dataDir = await tempDataDir();
    sink = await startSink();
    dns = await startDnsServer(zone);
    hooks = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        hookHits.push({ path: req.url!, body });
        // /fail refuses for good: the delivery is abandoned at once (failed), and can be retried.
        res.writeHead(req.url === "/fail" ? 400 : 200).end("ok");
      });
    });
    await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", () => r()));
    hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    svc = await startService({
      POSTBOX_DATA_DIR: dataDir,
      POSTBOX_SMTP_RELAY: sink.url,
      POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
      POSTBOX_DNS_SERVERS: dns.address,
      POSTBOX_MX_HOST: "mx.test.local",
    });
    env = { POSTBOX_API_KEY: await adminKeyOf(dataDir), POSTBOX_URL: `http://127.0.0.1:${svc.httpPort}` };
  });
  after(async () => {
    await svc?.stop();
    await sink?.close();
    await dns?.close();
    await new Promise((r) => hooks?.close(r));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("manages mailboxes: create, get, update, list, delete", async () => {
    const made = ok(await pb(["mailboxes", "create", "alice", "--display-name", "Alice", "--json"])).json();
    assert.equal(made.address, "alice@test.local");
    ok(await pb(["mailboxes", "create", "bob"]));
    ok(await pb(["mailbox", "create", "scratch"]));
    const human = ok(await pb(["mailboxes", "get", "alice"]));
    assert.match(human.stdout, /^alice@test\.local {2}\(id [0-9a-f-]+\)\n {2}display name: +Alice/);
    const upd = ok(
      await pb(["mailboxes", "update", "alice", "--display-name", "Alice Agent", "--json"]),
    ).json();
    assert.equal(upd.display_name, "Alice Agent");
    const names = ok(await pb(["mailboxes", "list", "--json"]))
      .json()
      .map((m: { name: string }) => m.name);
    assert.deepEqual(names.filter((n: string) => ["alice", "bob", "scratch"].includes(n)).sort(), [
      "alice",
      "bob",
      "scratch",
    ]);
    const gone = ok(await pb(["mailboxes", "delete", "scratch", "--json"])).json();
    assert.equal(gone.deleted, true);
    const missing = await pb(["mailboxes", "get", "scratch", "--json"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, "");
    assert.equal(missing.error().code, "NOT_FOUND");
    assert.equal(typeof missing.error().error, "string");
  });

  it("manages domains: add, zone-file, verify, set-default, a mailbox on it, delete", async () => {
    const added = ok(await pb(["domains", "add", "cli.example", "--json"])).json();
    assert.equal(added.verification_status, "pending");
    const zoneFile = ok(await pb(["domains", "zone-file", "cli.example"])).stdout;
    assert.match(zoneFile, /^cli\.example\.\tIN\tMX\t10 mx\.test\.local\.$/m);
    const failed = await pb(["domains", "verify", "cli.example"]);
    assert.equal(failed.code, 1, "not verified yet");
    assert.match(failed.stdout, /missing +required +MX +cli\.example +10 mx\.test\.local/);
    for (const r of added.dns_records_json as { type: string; name: string; value: string }[])
      zone[r.name] =
        r.type === "MX"
          ? { ...zone[r.name], MX: [{ exchange: r.value, priority: 10 }] }
          : { ...zone[r.name], TXT: [...(zone[r.name]?.TXT ?? []), r.value] };
    const verified = ok(await pb(["domain", "verify", added.id, "--json"])).json();
    assert.equal(verified.verification_status, "verified");
    ok(await pb(["domains", "set-default", "cli.example"]));
    const listed = ok(await pb(["domains", "list"])).stdout;
    assert.match(listed, /cli\.example +custom +verified +default/);
    const mb = ok(await pb(["mailboxes", "create", "desk", "--json"])).json();
    assert.equal(mb.address, "desk@cli.example");
    const own = ok(await pb(["mailboxes", "create", "desk", "--domain", "test.local", "--json"])).json();
    assert.equal(own.address, "desk@test.local");
    const inUse = await pb(["domains", "delete", "cli.example", "--json"]);
    assert.equal(inUse.code, 1);
    assert.equal(inUse.error().code, "DOMAIN_IN_USE");
    ok(await pb(["mailboxes", "delete", mb.id]));
    ok(await pb(["mailboxes", "delete", own.id]));
    ok(await pb(["domains", "delete", "cli.example"]));
    const gone = await pb(["domains", "get", "cli.example", "--json"]);
    assert.equal(gone.error().code, "NOT_FOUND");
  });

  let first: string;
  it("sends, waits along the cursor, reads, marks read, stars, replies, deletes", async () => {
    for (const subject of ["One", "Two"])
      ok(
        await pb([
          "send",
          "--from",
          "alice",
          "--to",
          "bob@test.local",
          "--subject",
          subject,
          "--body",
          `${subject} body`,
        ]),
      );
    // wait follows the cursor: two messages, one JSON line each, then it stops (--count).
    const waited = ok(await pb(["wait", "bob", "--count", "2", "--timeout", "120", "--json"]));
    const lines = waited.lines();
    assert.deepEqual(
      lines.map((l) => l.message.subject),
      ["One", "Two"],
    );
    assert.ok(lines.every((l) => typeof l.cursor === "string"));
    first = lines[0].message.id;
    // From the last cursor nothing else arrives: the timeout ends it with a null line, exit 0.
    const rest = ok(await pb(["wait", "bob", "--since", lines[1].cursor, "--timeout", "1", "--json"]));
    assert.deepEqual(rest.lines(), [{ message: null, cursor: lines[1].cursor }]);

    const listed = ok(await pb(["messages", "list", "bob", "--direction", "inbound", "--json"])).json();
    assert.deepEqual(
      listed.data.map((m: { subject: string }) => m.subject),
      ["Two", "One"],
    );
    assert.equal(listed.has_more, false);
    const paged = ok(await pb(["messages", "list", "bob", "--limit", "1", "--json"])).json();
    assert.equal(paged.data.length, 1);
    assert.equal(paged.has_more, true);
    const next = ok(
      await pb(["messages", "list", "bob", "--limit", "1", "--cursor", paged.cursor, "--json"]),
    ).json();
    assert.notEqual(next.data[0].id, paged.data[0].id);

    const read = ok(await pb(["messages", "read", first]));
    assert.match(read.stdout, /^Id: +[0-9a-f-]+\nState: +available \(unread\)/);
    assert.match(read.stdout, /\nSubject: One\n[\s\S]*\n\nOne body/);
    assert.equal(
      ok(await pb(["messages", "read", first, "--json"]))
        .json()
        .body.text.trim(),
      "One body",
    );
    const raw = ok(await pb(["messages", "read", first, "--raw"]));
    assert.match(raw.stdout, /^Subject: One\r?$/m);

    assert.match(ok(await pb(["messages", "mark-read", first])).stdout, /^read: /);
    assert.deepEqual(
      ok(await pb(["messages", "list", "bob", "--unread", "--json"]))
        .json()
        .data.map((m: { subject: string }) => m.subject),
      ["Two"],
    );
    assert.equal(ok(await pb(["messages", "star", first, "--json"])).json().starred, true);
    assert.deepEqual(
      ok(await pb(["messages", "list", "bob", "--starred", "--json"]))
        .json()
        .data.map((m: { id: string }) => m.id),
      [first],
    );
    assert.equal(ok(await pb(["messages", "unstar", first, "--json"])).json().starred, false);

    const reply = ok(
      await pb(
        ["messages", "reply", first, "--body-file", "-", "--idempotency-key", "cli-e2e-reply-1", "--json"],
        {
          stdin: "Thanks, Bob here.\n",
        },
      ),
    ).json();
    assert.equal(reply.status, "sent");
    const again = ok(await pb(["messages", "outcome", "cli-e2e-reply-1", "--json"])).json();
    assert.equal(again.message_id, reply.message_id, "the key's stored outcome, without a second send");
    const got = ok(await pb(["wait", "alice", "--timeout", "120", "--json"])).lines();
    assert.equal(got[0].message.subject, "Re: One");

    const threads = ok(await pb(["threads", "list", "bob", "--json"])).json();
    const thread = threads.data.find((t: { subject: string }) => t.subject === "One");
    assert.equal(ok(await pb(["threads", "read", thread.id, "--json"])).json().messages.length, 2);

    assert.equal(ok(await pb(["messages", "delete", first, "--json"])).json().deleted, true);
    const left = ok(await pb(["messages", "list", "bob", "--direction", "inbound", "--json"])).json();
    assert.ok(!left.data.some((m: { id: string }) => m.id === first), "a deleted message leaves the lists");
  });

  it("waits with --from, --subject-contains and --thread, and shows the code it finds", async () => {
    ok(await pb(["mailboxes", "create", "codes"]));
    const start = ok(await pb(["wait", "codes", "--timeout", "1", "--json"])).lines()[0].cursor;
    const mail = (from: string, subject: string, body: string) =>
      smtpClient(svc.smtpPort).sendMail({
        envelope: { from, to: ["codes@test.local"] },
        raw: rawMessage({ from, to: "codes@test.local", subject, body }),
      });
    await mail("news@shop.example", "Your sign-in code is inside? No, a sale", "Prices from $49.");
    await mail("id@shop.example", "Weekly summary", "Nothing new.");
    await mail("id@shop.example", "Your sign-in code", "Your verification code is 604117.");
    const waited = ok(
      await pb([
        "wait",
        "codes",
        "--since",
        start,
        "--from",
        "ID@shop.example",
        "--subject-contains",
        "SIGN-IN",
        "--timeout",
        "120",
        "--json",
      ]),
    ).lines();
    assert.equal(waited.length, 1);
    assert.equal(waited[0].message.subject, "Your sign-in code");
    assert.equal(waited[0].message.verification.codes[0].value, "604117");
    // For a person: the whole message with the code on its own line.
    const human = ok(
      await pb([
        "wait",
        "codes",
        "--since",
        start,
        "--thread",
        waited[0].message.thread_id,
        "--timeout",
        "30",
      ]),
    );
    assert.match(human.stdout, /\nSubject: Your sign-in code\n/);
    assert.match(human.stdout, /\nCode: +604117\n/);
    const bad = await pb(["wait", "codes", "--from", "nobody", "--timeout", "1", "--json"]);
    assert.equal(bad.code, 1);
    assert.equal(bad.error().code, "VALIDATION_ERROR");
  });

  it("writes, edits, lists, sends and deletes drafts", async () => {
    const d = ok(
      await pb([
        "drafts",
        "create",
        "--from",
        "alice",
        "--to",
        "bob@test.local",
        "--subject",
        "Draft",
        "--body",
        "v1",
        "--json",
      ]),
    ).json();
    assert.equal(d.state, "draft");
    const edited = ok(await pb(["drafts", "update", d.id, "--body", "v2", "--json"])).json();
    assert.equal(edited.body.text, "v2");
    assert.match(
      ok(await pb(["drafts", "get", d.id])).stdout,
      /^Draft [0-9a-f-]+ \(draft\)\nTo: +bob@test\.local/,
    );
    assert.deepEqual(
      ok(await pb(["drafts", "list", "alice", "--json"]))
        .json()
        .data.map((x: { id: string }) => x.id),
      [d.id],
    );
    assert.equal(ok(await pb(["drafts", "send", d.id, "--json"])).json().status, "sent");
    const twice = await pb(["drafts", "send", d.id, "--json"]);
    assert.equal(twice.code, 1);
    assert.equal(twice.error().code, "DRAFT_ALREADY_SENT");
    const other = ok(
      await pb(["drafts", "create", "--from", "alice", "--subject", "Scrap", "--json"]),
    ).json();
    assert.equal(ok(await pb(["drafts", "delete", other.id, "--json"])).json().deleted, true);
    assert.equal(ok(await pb(["drafts", "list", "alice", "--json"])).json().data.length, 0);
  });

  it("stages, sends, downloads and previews attachments", async () => {
    ok(await pb(["mailboxes", "create", "att-out"]));
    ok(await pb(["mailboxes", "create", "att-in"]));
    const csv = "sku,qty\nA-1,3\nB-2,5\n";
    const file = `${dataDir}/orders.csv`;
    await writeFile(file, csv);
    const refused = await pb(["attachments", "upload", file, "--mailbox", "att-out", "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "OUTBOUND_ATTACHMENTS_DISABLED");
    const on = await fetch(`${env.POSTBOX_URL}/v1/mailboxes/att-out/attachment-access`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.POSTBOX_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ outbound_enabled: true }),
    });
    assert.equal(on.status, 200);
    const up = ok(
      await pb(["attachments", "upload", file, "--mailbox", "att-out", "--wait", "--json"]),
    ).json();
    assert.equal(up.content_scan_status, "clean");
    assert.equal(ok(await pb(["attachments", "get", up.id, "--json"])).json().status, "active");
    const before = sink.received.length;
    const sent = ok(
      await pb([
        "send",
        "--from",
        "att-out",
        "--to",
        "att-in@test.local",
        "--to",
        "ext@example.org",
        "--subject",
        "Orders",
        "--body",
        "Attached.",
        "--attachment-id",
        up.id,
        "--json",
      ]),
    ).json();
    assert.equal(sent.status, "sent");
    await sink.waitFor(before + 1);
    assert.ok(
      sink.received.at(-1)!.raw.toString().includes(Buffer.from(csv).toString("base64").slice(0, 20)),
    );
    const inbound = await eventually(async () => {
      const list = ok(await pb(["messages", "list", "att-in", "--json"])).json();
      return list.data?.[0] ?? list.messages?.[0] ?? null;
    });
    const out = `${dataDir}/got.csv`;
    ok(await pb(["attachments", "download", inbound.id, "0", "--output", out]));
    assert.equal(await readFile(out, "utf8"), csv);
    const url = ok(await pb(["attachments", "url", inbound.id, "0", "--json"])).json();
    assert.equal(Buffer.from(await (await fetch(url.url)).arrayBuffer()).toString(), csv);
    const preview = ok(await pb(["attachments", "preview", inbound.id, "0"]));
    assert.equal(preview.stdout.trim(), csv.trim());
    const again = await pb(["attachments", "delete", up.id, "--json"]);
    assert.equal(again.error().code, "ATTACHMENT_ALREADY_CONSUMED");
  });

  it("holds sends for review: a held send is exit 0; approve and deny with --reason", async () => {
    ok(await pb(["mailboxes", "update", "alice", "--hitl-mode", "all_outbound"]));
    const args = ["send", "--from", "alice", "--to", "bob@test.local", "--subject"];
    const held = ok(await pb([...args, "Held 1", "--body", "x"]));
    assert.match(held.stdout, /^pending_review: message /);
    const m1 = ok(await pb([...args, "Held 1", "--body", "x", "--json"])).json().message_id;
    const m2 = ok(await pb([...args, "Held 2", "--body", "y", "--json"])).json().message_id;
    const strict = await pb([...args, "Held 3", "--body", "z", "--strict", "--json"]);
    assert.equal(strict.code, 1, "--strict: a send that did not go out is an error");
    assert.equal(strict.error().code, "EMAIL_EFFECT_HELD");
    const queue = ok(await pb(["reviews", "list", "--mailbox", "alice", "--json"])).json();
    assert.ok(queue.data.some((m: { id: string }) => m.id === m1));
    const revised = ok(
      await pb(["reviews", "revise", m1, "--subject", "Held 1b", "--body", "x2", "--json"]),
    ).json();
    assert.deepEqual([revised.state, revised.subject], ["pending_review", "Held 1b"]);
    const rescan = await pb(["reviews", "revise", m1, "--body", "key AKIAIOSFODNN7EXAMPLE", "--json"]);
    assert.equal(rescan.error().code, "REVISION_REJECTED_BY_RESCAN");
    assert.equal(
      ok(await pb(["reviews", "approve", m1, "--reason", "fine", "--json"])).json().review.note,
      "fine",
    );
    const denied = ok(await pb(["reviews", "deny", m2, "--reason", "no", "--json"])).json();
    assert.equal(denied.state, "blocked");
    ok(await pb(["mailboxes", "update", "alice", "--hitl-mode", "disabled"]));
  });

  it("moderates quarantined mail: list, release, block, report", async () => {
    // Every inbound message to carol scores above this threshold: each is quarantined.
    ok(await pb(["mailboxes", "create", "carol"]));
    ok(await pb(["mailboxes", "update", "carol", "--injection-threshold", "0.0001"]));
    for (const subject of ["Q1", "Q2", "Q3"])
      ok(
        await pb([
          "send",
          "--from",
          "bob",
          "--to",
          "carol@test.local",
          "--subject",
          subject,
          "--body",
          "hello",
        ]),
      );
    const sim = ok(
      await pb(["simulate", "alice", "--scenario", "prompt_injection_quarantined", "--json"]),
    ).json();
    assert.ok(["quarantined", "pending"].includes(sim.status), sim.status);
    await eventually(async () =>
      ok(await pb(["quarantine", "list", "alice", "--json"]))
        .json()
        .data.some((m: { id: string }) => m.id === sim.message_id),
    );
    const held = await eventually(async () => {
      const page = ok(await pb(["quarantine", "list", "carol", "--json"])).json();
      return page.data.length === 3 ? page.data : null;
    });
    const id = (s: string) => held.find((m: { subject: string }) => m.subject === s).id;
    assert.equal(
      ok(await pb(["quarantine", "release", id("Q1"), "--reason", "known sender", "--json"])).json().state,
      "available",
    );
    assert.equal(ok(await pb(["quarantine", "block", id("Q2"), "--json"])).json().state, "blocked");
    assert.match(
      ok(await pb(["quarantine", "report", id("Q3")])).stdout,
      /bob@test\.local is on the inbound blocklist/,
    );
    const blocked = ok(await pb(["blocklist", "list", "--json"])).json();
    assert.ok(blocked.some((b: { address: string }) => b.address === "bob@test.local"));
    ok(await pb(["blocklist", "remove", "bob@test.local"]));
  });

  it("manages webhooks: create, test, deliveries, retry, rotate, update, delete", async () => {
    const hook = ok(
      await pb(["webhooks", "create", "--url", `${hookUrl}/hook`, "--events", "message.received", "--json"]),
    ).json();
    assert.match(hook.signing_secret, /^whsec_/);
    assert.deepEqual(
      ok(await pb(["webhooks", "list", "--json"]))
        .json()
        .map((w: { id: string }) => w.id),
      [hook.id],
    );
    const tested = ok(await pb(["webhooks", "test", hook.id, "--json"])).json();
    assert.equal(tested.state, "delivered");
    assert.ok(hookHits.some((h) => h.path === "/hook" && h.body.includes("webhook.test")));
    const deliveries = ok(await pb(["webhooks", "deliveries", "list", hook.id, "--json"])).json();
    assert.equal(deliveries.data[0].id, tested.id);
    const notFailed = await pb(["webhooks", "deliveries", "retry", hook.id, tested.id, "--json"]);
    assert.equal(notFailed.code, 1);
    assert.equal(notFailed.error().code, "DELIVERY_NOT_FAILED");

    ok(await pb(["webhooks", "update", hook.id, "--url", `${hookUrl}/fail`, "--description", "failing"]));
    const failed = ok(await pb(["webhooks", "test", hook.id, "--json"])).json();
    assert.equal(failed.state, "failed");
    assert.equal(
      ok(await pb(["webhooks", "deliveries", "retry", hook.id, failed.id, "--json"])).json().state,
      "pending",
    );

    const rotated = ok(
      await pb(["webhooks", "rotate-secret", hook.id, "--grace-seconds", "0", "--json"]),
    ).json();
    assert.notEqual(rotated.signing_secret, hook.signing_secret);
    const off = ok(await pb(["webhooks", "update", hook.id, "--disable", "--json"])).json();
    assert.equal(off.enabled, false);
    assert.equal(ok(await pb(["webhooks", "get", hook.id, "--json"])).json().description, "failing");
    assert.equal(ok(await pb(["webhooks", "delete", hook.id, "--json"])).json().deleted, true);
    assert.equal((await pb(["webhooks", "get", hook.id])).code, 1);
  });

  it("keeps suppressions and the outbound allowlist, and sends refused by them are exit 1", async () => {
    const send = (to: string) =>
      pb(["send", "--from", "alice", "--to", to, "--subject", "s", "--body", "b", "--json"]);
    ok(await pb(["suppressions", "add", "gone@ext.test", "--reason", "unsubscribe"]));
    assert.deepEqual(
      ok(await pb(["suppressions", "list", "--reason", "unsubscribe", "--json"]))
        .json()
        .data.map((s: { email: string }) => s.email),
      ["gone@ext.test"],
    );
    const suppressed = await send("gone@ext.test");
    assert.equal(suppressed.code, 1);
    assert.equal(suppressed.error().code, "RECIPIENT_SUPPRESSED");
    ok(await pb(["suppressions", "remove", "gone@ext.test"]));
    assert.equal(ok(await pb(["suppressions", "list", "--json"])).json().data.length, 0);

    ok(await pb(["allowlist", "add", "alice", "ok@ext.test", "@partner.test"]));
    assert.match(
      ok(await pb(["allowlist", "mode", "alice", "allowlist"])).stdout,
      /^mode: allowlist \(2 entries\)/,
    );
    const list = ok(await pb(["allowlist", "list", "alice", "--json"])).json();
    assert.equal(list.mode, "allowlist");
    assert.deepEqual(list.data.map((e: { email: string }) => e.email).sort(), [
      "@partner.test",
      "ok@ext.test",
    ]);
    const refused = await send("stranger@ext.test");
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "RECIPIENT_NOT_ON_ALLOWLIST");
    assert.equal(ok(await send("ok@ext.test")).json().status, "sent");
    await sink.waitFor(1);
    ok(await pb(["allowlist", "remove", "alice", "@partner.test"]));
    const last = await pb(["allowlist", "remove", "alice", "ok@ext.test", "--json"]);
    assert.equal(last.code, 1);
    assert.equal(last.error().code, "ALLOWLIST_LAST_ENTRY");
    ok(await pb(["allowlist", "remove", "alice", "ok@ext.test", "--force-empty"]));
    ok(await pb(["allowlist", "mode", "alice", "blocklist"]));
  });

  it("verifies recipients for a sandboxed mailbox, and reports usage", async () => {
    ok(await pb(["mailboxes", "create", "trial"]));
    assert.equal(
      ok(await pb(["mailboxes", "update", "trial", "--sandbox", "on", "--json"])).json().sandbox,
      true,
    );
    const send = (to: string) =>
      pb(["send", "--from", "trial", "--to", to, "--subject", "s", "--body", "b", "--json"]);
    const refused = await send("friend@ext.test");
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "RECIPIENT_NOT_VERIFIED");

    const before = sink.received.length;
    assert.match(ok(await pb(["recipients", "add", "friend@ext.test"])).stdout, /confirmation mail sent/);
    const listed = ok(await pb(["recipients", "list", "--json"])).json().data;
    assert.deepEqual(
      listed.map((r: { email: string; status: string }) => [r.email, r.status]),
      [["friend@ext.test", "pending"]],
    );
    const resend = await pb(["recipients", "resend", "friend@ext.test", "--json"]);
    assert.equal(resend.error().code, "RATE_LIMITED", "one confirmation mail a minute per address");

    // The friend opens the link in the mail and presses the button.
    // (Found among everything the sink got: another send of this test may arrive after it.)
    const link = await eventually(async () => {
      for (const m of sink.received.slice(before)) {
        const text = m.raw.toString().replace(/=\r\n/g, "").replace(/=3D/g, "=");
        const found = /http:\/\/\S+\/v1\/recipients\/confirm\?token=[\w.%-]+/.exec(text);
        if (found) return found[0];
      }
      return null;
    });
    assert.equal((await fetch(link, { method: "POST" })).status, 200);
    assert.equal(ok(await pb(["recipients", "list", "--json"])).json().data[0].status, "confirmed");
    assert.equal(ok(await send("friend@ext.test")).json().status, "sent");
    assert.match(ok(await pb(["recipients", "resend", "friend@ext.test"])).stdout, /already confirmed/);

    const usage = ok(await pb(["account", "usage"])).stdout;
    assert.match(usage, /^tier: self_hosted$/m);
    assert.match(usage, /raw MIME: .+ \(attachments in it: /);
    assert.equal(ok(await pb(["account", "usage", "--json"])).json().tier, "self_hosted");
    ok(await pb(["account", "sandbox", "on"]));
    assert.equal(ok(await pb(["usage", "--json"])).json().tier, "sandbox");
    ok(await pb(["account", "sandbox", "off"]));

    assert.match(
      ok(await pb(["recipients", "remove", "friend@ext.test"])).stdout,
      /removed: friend@ext\.test/,
    );
    assert.equal((await send("friend@ext.test")).error().code, "RECIPIENT_NOT_VERIFIED");
    ok(await pb(["mailboxes", "update", "trial", "--sandbox", "off"]));
  });

  it("manages keys: create, whoami, rebind, rotate, revoke; a refused key is exit 3", async () => {
    const agent = ok(
      await pb(["keys", "create", "--role", "agent", "--mailbox", "bob", "--label", "bot", "--json"]),
    ).json();
    const who = ok(await pb(["whoami", "--json"], { key: agent.api_key })).json();
    assert.equal(who.role, "agent");
    const denied = await pb(["mailboxes", "create", "nope", "--json"], { key: agent.api_key });
    assert.equal(denied.code, 1);
    assert.equal(denied.error().code, "INSUFFICIENT_SCOPE");
    const alice = ok(await pb(["mailboxes", "get", "alice", "--json"])).json();
    assert.deepEqual(
      ok(await pb(["keys", "rebind", agent.id, "--mailbox", "alice", "--json"])).json().mailbox_ids,
      [alice.id],
    );
    const rotated = ok(await pb(["keys", "rotate", "--json"], { key: agent.api_key })).json();
    assert.equal(rotated.replaces, agent.id);
    const old = await pb(["whoami", "--json"], { key: agent.api_key });
    assert.equal(old.code, 3, "the replaced key is refused: an authentication error");
    ok(await pb(["whoami"], { key: rotated.api_key }));
    ok(await pb(["keys", "revoke", rotated.id]));
    const keys = ok(await pb(["keys", "list", "--include-revoked", "--json"])).json();
    assert.equal(keys.find((k: { id: string }) => k.id === rotated.id).status, "revoked");
    assert.equal((await pb(["whoami"], { key: rotated.api_key })).code, 3);
  });

  it("deletes an account with --confirm, not while a hold is active, never the operator's", async () => {
    const tenant = ok(await pb(["accounts", "create", "Leaving Ltd", "--json"])).json();
    const key = tenant.admin_key;
    ok(await pb(["mailboxes", "create", "leaving"], { key }));
    assert.equal((await pb(["account", "delete"], { key })).code, 2, "--confirm is required");
    const hold = ok(await pb(["legal-holds", "apply", "--reason", "Audit", "--json"], { key })).json();
    const held = await pb(["account", "delete", "--confirm", "Leaving Ltd", "--json"], { key });
    assert.equal(held.code, 1);
    assert.equal(held.error().code, "LEGAL_HOLD_ACTIVE");
    ok(await pb(["legal-holds", "release", hold.id, "--reason", "Done"], { key }));
    const wrong = await pb(["account", "delete", "--confirm", "Someone Else", "--json"], { key });
    assert.equal(wrong.error().code, "CONFIRMATION_MISMATCH");
    const done = ok(await pb(["account", "delete", "--confirm", tenant.id, "--json"], { key })).json();
    assert.equal(done.status, "deleted");
    assert.equal(done.mailboxes_deleted, 1);
    assert.equal((await pb(["whoami"], { key })).code, 3, "its key is refused: an authentication error");
    const operator = await pb(["account", "delete", "--confirm", "default", "--json"]);
    assert.equal(operator.error().code, "OPERATOR_ACCOUNT_PROTECTED");
    ok(await pb(["whoami"]));
  });

  it("manages legal holds and writes the account export, byte for byte", async () => {
    ok(await pb(["mailboxes", "create", "evidence"]));
    const hold = ok(
      await pb([
        "legal-hold",
        "apply",
        "--scope",
        "mailbox",
        "--mailbox",
        "evidence",
        "--reason",
        "Inquiry",
        "--case",
        "C-9",
        "--json",
      ]),
    ).json();
    assert.equal(hold.scope, "mailbox");
    assert.equal(hold.case_reference, "C-9");
    assert.match(
      ok(await pb(["legal-holds", "get", hold.id])).stdout,
      /legal hold .* \(active\)\n {2}scope: +mailbox/,
    );
    assert.deepEqual(
      ok(await pb(["legal-holds", "list", "--json"]))
        .json()
        .map((h: { id: string }) => h.id),
      [hold.id],
    );
    const refused = await pb(["mailboxes", "delete", "evidence", "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.error().code, "LEGAL_HOLD_ACTIVE");
    const missing = await pb(["legal-holds", "apply", "--scope", "mailbox", "--reason", "x"]);
    assert.equal(missing.code, 2);
    const released = ok(await pb(["legal-holds", "release", hold.id, "--reason", "Closed", "--json"])).json();
    assert.equal(released.status, "released");
    assert.equal(ok(await pb(["legal-holds", "list", "--include-released", "--json"])).json().length, 1);

    const raw = rawMessage({ to: "evidence@test.local", subject: "For the record" });
    await smtpClient(svc.smtpPort).sendMail({
      envelope: { from: "alice@example.com", to: ["evidence@test.local"] },
      raw,
    });
    const listed = await eventually(async () => {
      const r = ok(await pb(["messages", "list", "evidence", "--json"])).json().data;
      return r.length > 0 ? r : null;
    });
    const out = path.join(dataDir, "export.zip");
    const written = ok(await pb(["account", "export", "--out", out, "--json"])).json();
    assert.equal(written.written, out);
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(out, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
    );
    const eml = await new Promise<Buffer | null>((resolve, reject) => {
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName !== `mailboxes/evidence/messages/${listed[0].id}.eml`) return zip.readEntry();
        zip.openReadStream(entry, (err, s) => {
          if (err) return reject(err);
          const chunks: Buffer[] = [];
          s.on("data", (c: Buffer) => chunks.push(c));
          s.on("end", () => resolve(Buffer.concat(chunks)));
        });
      });
      zip.on("end", () => resolve(null));
      zip.readEntry();
    });
    zip.close();
    assert.equal(eml?.toString(), raw);
  });

  it("keeps the process contract: output, JSON errors and exit codes of bin/postbox.js", async () => {
    const sent = await runCli(
      [
        "send",
        "--from",
        "alice",
        "--to",
        "bob@test.local",
        "--subject",
        "Piped",
        "--body-file",
        "-",
        "--json",
      ],
      env,
      "from a pipe\n",
    );
    assert.equal(sent.code, 0, sent.stderr);
    const id = JSON.parse(sent.stdout).message_id;
    const waited = await runCli(["wait", "bob", "--count", "0", "--timeout", "3", "--json"], env);
    assert.equal(waited.code, 0, waited.stderr);
    const lines = waited.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.message?.subject === "Piped"));
    assert.equal(lines.at(-1).message, null, "the timeout ends with a null line");
    assert.equal(typeof id, "string");

    const version = await runCli(["--version"], {});
    assert.match(version.stdout, /^postbox \d+\.\d+\.\d+\n$/);
    const usage = await runCli(["messages", "list", "--json"], env);
    assert.equal(usage.code, 2);
    assert.deepEqual(JSON.parse(usage.stderr), {
      error: "missing <mailbox>",
      code: "USAGE_ERROR",
      details: { usage: "postbox messages list <mailbox> [options]" },
    });
    const badKey = await runCli(["mailboxes", "list", "--json"], {
      ...env,
      POSTBOX_API_KEY: "pbx_live_nope.nope",
    });
    assert.equal(badKey.code, 3, badKey.stderr);
    assert.equal(JSON.parse(badKey.stderr).code.length > 0, true);
    const down = await runCli(["mailboxes", "list", "--json"], { ...env, POSTBOX_URL: "http://127.0.0.1:1" });
    assert.equal(down.code, 4);
    assert.equal(JSON.parse(down.stderr).code, "CONNECTION_ERROR");
  });
});
