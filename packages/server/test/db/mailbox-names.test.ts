import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { bootstrap } from "../../src/tenancy/bootstrap.ts";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

/** A plain SMTP conversation: sends each command after the previous reply and returns every reply line. */
async function smtpDialog(port: number, commands: string[]): Promise<string[]> {
  const socket = connect(port, "127.0.0.1");
  socket.setEncoding("utf8");
  let buffer = "";
  const replies: string[] = [];
  const waiters: (() => void)[] = [];
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let i = buffer.indexOf("\r\n"); i >= 0; i = buffer.indexOf("\r\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      // The last line of a reply has a space after the code; continuation lines have a hyphen.
      if (/^\d{3} /.test(line)) {
        replies.push(line);
        waiters.shift()?.();
      }
    }
  });
  const next = () => new Promise<void>((resolve) => waiters.push(resolve));
  await next();
  for (const c of commands) {
    const got = next();
    socket.write(`${c}\r\n`);
    await got;
  }
  socket.end();
  return replies;
}

describe(`mailbox names: reserved, postmaster, retired (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let tenantKey: string;
  let tenantId: string;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    const tenant = await t.client().accounts.create({ name: "tenant" });
    tenantKey = tenant.admin_key;
    tenantId = tenant.id;
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  const create = (name: string, key?: string) => t.api("POST", "/v1/mailboxes", { body: { name }, key });

  it("keeps names with authority over the domain for the operator", async () => {
    for (const name of [
      "admin",
      "administrator",
      "hostmaster",
      "webmaster",
      "postmaster",
      "security",
      "root",
    ]) {
      const r = await create(name, tenantKey);
      assert.equal(r.status, 403, name);
      assert.equal(r.body.code, "MAILBOX_NAME_RESERVED", name);
      assert.equal(r.body.details.reserved_for, "operator");
      assert.match(r.body.error, /reserved for the operator's account/);
    }
    assert.match((await create("hostmaster", tenantKey)).body.error, /CA\/B Forum/);
    // RFC 2142's business names are a tenant's to take.
    for (const name of ["info", "sales", "support"])
      assert.equal((await create(name, tenantKey)).status, 201, name);
    // The operator may hold them…
    const admin = await create("admin");
    assert.equal(admin.status, 201);
    // …and plus-addressing still lands on the base name.
    const res = await t.api("POST", "/v1/ingest?rcpt_to=admin%2Bcerts@test.local", {
      raw: rawMessage({ to: "admin+certs@test.local", subject: "Validate your domain" }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202);
    assert.equal(res.body.accepted[0].mailbox_id, admin.body.id);
    // The VERP prefix is nobody's.
    for (const key of [undefined, tenantKey]) {
      const r = await create("bounces", key);
      assert.equal(r.status, 403);
      assert.equal(r.body.details.reserved_for, "service");
    }
  });

  it("accepts postmaster@ and a bare <postmaster> at RCPT and delivers to the operator's postmaster", async () => {
    const replies = await smtpDialog(t.pb.smtpPort!, [
      "EHLO client.example",
      "MAIL FROM:<someone@example.com>",
      "RCPT TO:<Postmaster@TEST.LOCAL>",
      "RCPT TO:<postmaster>",
      "RCPT TO:<nobody-here@test.local>",
      "DATA",
      rawMessage({ to: "postmaster@test.local", subject: "Your server is an open relay?" }).replace(
        /\r\n$/,
        "\r\n.",
      ),
      "QUIT",
    ]);
    assert.match(replies[3]!, /^250 /, `postmaster@: ${replies[3]}`);
    assert.match(replies[4]!, /^250 /, `bare postmaster: ${replies[4]}`);
    assert.match(replies[5]!, /^550 /);
    assert.match(replies[7]!, /^250 /, replies[7]);
    const pm = await t.client().mailboxes.get("postmaster");
    const inbox = await eventually(async () => {
      await t.pb.drain();
      const page = await t.client().messages.list("postmaster");
      return page.data.length === 1 ? page : null;
    });
    assert.equal(inbox.data[0]!.subject, "Your server is an open relay?");
    const [owner] = await t.pb.db.query<{ is_default: boolean }>(
      "select a.is_default from mailboxes m join accounts a on a.id = m.account_id where m.id = $1",
      [pm.id],
    );
    assert.equal(owner!.is_default, true, "postmaster belongs to the operator");
    assert.equal((await t.api("GET", "/v1/mailboxes/postmaster", { key: tenantKey })).status, 404);
    // Deleted by the operator, it comes back with the next mail: postmaster@ always works.
    assert.equal((await t.api("DELETE", "/v1/mailboxes/postmaster")).status, 200);
    const again = await t.api("POST", "/v1/ingest?rcpt_to=postmaster@test.local", {
      raw: rawMessage({ to: "postmaster@test.local", subject: "Abuse report" }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    const recreated = await t.client().mailboxes.get("postmaster");
    assert.notEqual(recreated.id, pm.id);
    assert.equal(again.body.accepted[0].mailbox_id, recreated.id);
  });

  it("never hands a deleted mailbox's name to another account; its own account may take it back", async () => {
    const shop = await create("shop", tenantKey);
    assert.equal(shop.status, 201);
    assert.equal((await t.api("DELETE", "/v1/mailboxes/shop", { key: tenantKey })).status, 200);
    const taken = await create("shop");
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, "MAILBOX_NAME_RETIRED");
    assert.match(taken.body.error, /never handed to a new owner/);
    const other = await t.client().accounts.create({ name: "late-comer" });
    assert.equal((await create("shop", other.admin_key)).body.code, "MAILBOX_NAME_RETIRED");
    const back = await create("shop", tenantKey);
    assert.equal(back.status, 201);
    assert.notEqual(back.body.id, shop.body.id);
    // A live name is simply taken, for everyone else.
    assert.equal((await create("shop", other.admin_key)).body.code, "MAILBOX_NAME_TAKEN");
  });

  it("lets the operator take back a reserved name a tenant held before it was reserved", async () => {
    // As an installation upgraded from a version without the reservation would have it.
    const id = randomUUID();
    await t.pb.db.query("insert into mailboxes (id, account_id, name) values ($1, $2, 'webmaster')", [
      id,
      tenantId,
    ]);
    await t.pb.db.query("insert into mailbox_names (name, account_id) values ('webmaster', $1)", [tenantId]);
    assert.equal((await create("webmaster")).body.code, "MAILBOX_NAME_TAKEN", "not while the tenant has it");
    // Every start names such holdings (and logs a warning for each).
    const boot = await bootstrap(t.pb.db, { dataDir: t.dataDir, adminKey: null });
    assert.deepEqual(boot.reservedHeldByTenants, [{ name: "webmaster", account_id: tenantId }]);
    assert.equal(boot.createdAdminKey, null);
    assert.equal((await t.api("DELETE", `/v1/mailboxes/${id}`, { key: tenantKey })).status, 200);
    assert.equal((await create("webmaster", tenantKey)).body.code, "MAILBOX_NAME_RESERVED");
    assert.equal((await create("webmaster")).status, 201);
  });
});

describe(`deleting a mailbox cancels what it had scheduled (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  const draft = async (mailbox: string, sendAt: Date | null) => {
    const d = await t.api("POST", "/v1/drafts", {
      body: {
        from_mailbox: mailbox,
        to: "ann@example.com",
        subject: "Later",
        body: "x",
        send_at: sendAt?.toISOString() ?? null,
      },
    });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    return d.body.id as string;
  };
  const draftState = async (id: string) => (await t.api("GET", `/v1/drafts/${id}`)).body.state;
  /** The draft scheduler sleeps until the next send_at it knows of; moving one by hand needs a wake-up. */
  const wakeDrafts = () => t.pb.db.query("select pg_notify('postbox_drafts', '')");

  it("cancels drafts, queued deliveries, rules and rule runs in the same transaction", async () => {
    const mb = await t.client().mailboxes.create({ name: "leaving" });
    // A scheduled draft and an unsent one.
    const scheduled = await draft("leaving", new Date(Date.now() + 3_600_000));
    assert.equal((await t.api("POST", `/v1/drafts/${scheduled}/send`)).body.status, "scheduled");
    const unsent = await draft("leaving", null);
    // A delivery the remote side defers: it stays queued for its next attempt a minute away.
    sink.rcptHook = (a) => (a === "slow@example.com" ? { code: 451, text: "4.3.0 try later" } : null);
    const sent = await t.client().messages.send({
      from_mailbox: "leaving",
      to: "slow@example.com",
      subject: "Pending",
      body: "x",
    });
    await eventually(async () => {
      await t.pb.drain();
      const m = await t.client().messages.get(sent.message_id);
      return m.deliveries?.[0]?.attempts === 1 && m.deliveries[0].state === "queued";
    });
    // Rules, and a rule run still queued (held by nobody yet).
    await t.client().setRules("leaving", { rules: [{ action: { type: "label", label: "x" } }] });
    await t.pb.db.query(
      "insert into rule_jobs (message_id, mailbox_id, locked_until) values ($1, $2, now() + interval '1 hour')",
      [sent.message_id, mb.id],
    );

    assert.equal((await t.api("DELETE", "/v1/mailboxes/leaving")).status, 200);

    assert.equal(await draftState(scheduled), "cancelled");
    assert.equal(await draftState(unsent), "cancelled");
    const msg = await t.client().messages.get(sent.message_id);
    assert.equal(msg.state, "cancelled");
    assert.equal(msg.deliveries![0]!.state, "cancelled");
    assert.equal(msg.deliveries![0]!.last_response, "cancelled: the sending mailbox was deleted");
    const left = await t.pb.db.query<{ jobs: number; rules: number }>(
      `select (select count(*)::int from rule_jobs where mailbox_id = $1) as jobs,
              (select count(*)::int from mailbox_rules where mailbox_id = $1) as rules`,
      [mb.id],
    );
    assert.deepEqual(left[0], { jobs: 0, rules: 0 });
    // Even when its time comes, a cancelled draft is not sent: a draft of another mailbox due at the same moment
    // goes out, and the cancelled one stays as it is.
    await t.client().mailboxes.create({ name: "staying" });
    const control = await draft("staying", new Date(Date.now() + 3_600_000));
    await t.api("POST", `/v1/drafts/${control}/send`);
    await t.pb.db.query(
      "update drafts set send_at = now() - interval '1 minute' where id = any($1::uuid[])",
      [[scheduled, control]],
    );
    await wakeDrafts();
    await eventually(async () => (await draftState(control)) === "sent");
    assert.equal(await draftState(scheduled), "cancelled");
    sink.rcptHook = null;
  });

  it("sends nothing in a deleted mailbox's name, even what was already on its way", async () => {
    const mb = await t.client().mailboxes.create({ name: "racing" });
    // Claimed before the deletion: a draft that comes due, and a delivery that comes up for retry.
    const scheduled = await draft("racing", new Date(Date.now() + 3_600_000));
    await t.api("POST", `/v1/drafts/${scheduled}/send`);
    sink.rcptHook = (a) => (a === "retry@example.com" ? { code: 451, text: "4.3.0 try later" } : null);
    const sent = await t.client().messages.send({
      from_mailbox: "racing",
      to: "retry@example.com",
      subject: "Retry",
      body: "x",
    });
    await eventually(async () => {
      await t.pb.drain();
      return (await t.client().messages.get(sent.message_id)).deliveries?.[0]?.attempts === 1;
    });
    sink.rcptHook = null;
    // The deletion commits while both are in a worker's hands (here: marked deleted behind the route's back).
    await t.pb.db.query("update mailboxes set deleted_at = now() where id = $1", [mb.id]);
    await t.pb.db.query("update drafts set send_at = now() - interval '1 minute' where id = $1", [scheduled]);
    await t.pb.db.query("update deliveries set next_attempt_at = now() where message_id = $1", [
      sent.message_id,
    ]);
    const before = sink.received.length;
    await wakeDrafts();
    await t.pb.drain();
    await eventually(async () => (await draftState(scheduled)) === "cancelled");
    const msg = await t.client().messages.get(sent.message_id);
    assert.equal(msg.deliveries![0]!.state, "cancelled");
    assert.equal(msg.state, "cancelled");
    assert.equal(sink.received.length, before, "nothing went out");
    const [n] = await t.pb.db.query<{ n: number }>(
      "select count(*)::int as n from messages where mailbox_id = $1 and direction = 'outbound'",
      [mb.id],
    );
    assert.equal(n!.n, 1, "the draft was not turned into a message");
  });
});
