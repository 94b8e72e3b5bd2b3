import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appendEvent } from "../../src/store/events.ts";
import {
  DATABASE_URL,
  dbLabel,
  eventually,
  rawMessage,
  startTestServer,
  type TestServer,
  WAIT_LIMIT_MS,
} from "../helpers.ts";

/** A promise with its resolve function at hand. */
function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface SseMessage {
  id: string;
  event: string;
  data: { id: string; event: string; data: Record<string, unknown>; cursor: string };
}

/** Reads Server-Sent Events from a response until `n` messages arrived (comments and retry lines skipped). */
async function readSse(res: Response, n: number, timeoutMs = WAIT_LIMIT_MS): Promise<SseMessage[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const out: SseMessage[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`got ${out.length} of ${n} events`)),
          deadline - Date.now(),
        );
      }),
    ]).finally(() => clearTimeout(timer)); // a pending guard would keep the test process alive
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((l) => l && !l.startsWith(":"))
          .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trimStart()]),
      );
      if (fields.data)
        out.push({ id: fields.id ?? "", event: fields.event ?? "", data: JSON.parse(fields.data) });
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return out;
}

describe(`the event log: replay and live stream (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;

  before(async () => {
    t = await startTestServer();
    await t.client().mailboxes.create({ name: "ev-a" });
    await t.client().mailboxes.create({ name: "ev-b" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["ev-a"] })).api_key;
  });
  after(() => t.stop());

  async function ingest(mailbox: string, subject: string, from = "sam@example.com") {
    const res = await t.api("POST", `/v1/ingest?rcpt_to=${mailbox}@test.local`, {
      raw: rawMessage({ from, to: `${mailbox}@test.local`, subject, body: "Hello there." }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202);
    await t.pb.drain();
    return res.body.accepted[0].message_id as string;
  }

  it("replays events in commit order from a cursor, with filters", async () => {
    const a1 = await ingest("ev-a", "first");
    const b1 = await ingest("ev-b", "second");
    const a2 = await ingest("ev-a", "third");
    const all = (await t.api("GET", "/v1/events")).body;
    const ids = all.events.map((e: { data: { message_id: string } }) => e.data.message_id);
    assert.deepEqual(ids.slice(-3), [a1, b1, a2]);
    for (const e of all.events) {
      assert.match(e.id, /^evt_\d+$/);
      assert.equal(e.event, "message.received");
      assert.ok(e.cursor && e.created_at);
    }
    // Page by page, following the cursor, gives the same events once each.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = (await t.api("GET", `/v1/events?limit=1${cursor ? `&after=${cursor}` : ""}`)).body;
      seen.push(...page.events.map((e: { id: string }) => e.id));
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    assert.deepEqual(
      seen,
      all.events.map((e: { id: string }) => e.id),
    );
    // Nothing new: an empty page that still hands back a cursor to poll with.
    const idle = (await t.api("GET", `/v1/events?after=${cursor}`)).body;
    assert.deepEqual(idle.events, []);
    assert.equal(idle.next_cursor, cursor);
    const onlyB = (await t.api("GET", "/v1/events?mailbox_id=ev-b")).body.events;
    assert.deepEqual(
      onlyB.map((e: { data: { message_id: string } }) => e.data.message_id),
      [b1],
    );
    const typed = (await t.api("GET", "/v1/events?types=message.sent,message.bounced")).body.events;
    assert.deepEqual(typed, []);
  });

  it("refuses unknown types and bad cursors with a clear error", async () => {
    const r = await t.api("GET", "/v1/events?types=message.received,message.exploded");
    assert.equal(r.status, 400);
    assert.match(r.body.error, /unknown event type message\.exploded; known types: .*message\.received/);
    const c = await t.api("GET", "/v1/events?after=garbage");
    assert.equal(c.status, 400);
    assert.match(c.body.error, /after is not valid/);
  });

  it("shows an agent key only its own mailboxes' events, redacted where the mailbox redacts", async () => {
    const mine = await ingest("ev-a", "for the agent");
    await ingest("ev-b", "not for the agent");
    const seen = (await t.api("GET", "/v1/events", { key: agentKey })).body.events;
    assert.ok(seen.length > 0);
    assert.ok(seen.every((e: { mailbox_id: string }) => e.mailbox_id === seen[0].mailbox_id));
    assert.ok(seen.some((e: { data: { message_id: string } }) => e.data.message_id === mine));
    const forbidden = await t.api("GET", "/v1/events?mailbox_id=ev-b", { key: agentKey });
    assert.equal(forbidden.status, 403);
    await t.client().mailboxes.update("ev-a", { pii_mode: "redacted" });
    const secret = await ingest("ev-a", "Payroll for March", "hr@example.com");
    const agentView = (await t.api("GET", "/v1/events", { key: agentKey })).body.events.find(
      (e: { data: { message_id: string } }) => e.data.message_id === secret,
    );
    assert.equal(agentView.data.subject, "<REDACTED>");
    assert.equal(agentView.data.sender, "<EMAIL_ADDRESS>");
    const adminView = (await t.api("GET", "/v1/events")).body.events.find(
      (e: { data: { message_id: string } }) => e.data.message_id === secret,
    );
    assert.equal(adminView.data.subject, "Payroll for March", "admin keys read the log as recorded");
    await t.client().mailboxes.update("ev-a", { pii_mode: "passthrough" });
  });

  it("keeps accounts apart", async () => {
    const other = await t.client().accounts.create({ name: "events-tenant" });
    const theirs = (await t.api("GET", "/v1/events", { key: other.admin_key })).body;
    assert.deepEqual(theirs.events, []);
    const r = await t.api("GET", "/v1/events?mailbox_id=ev-a", { key: other.admin_key });
    assert.equal(r.status, 404);
  });

  it("streams new events live over SSE and resumes after Last-Event-ID", async () => {
    const res = await fetch(`${t.baseUrl}/v1/events/stream?mailbox_id=ev-a`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reading = readSse(res, 2);
    const first = await ingest("ev-a", "live one");
    await ingest("ev-b", "elsewhere");
    const second = await ingest("ev-a", "live two");
    const got = await reading;
    assert.deepEqual(
      got.map((m) => m.data.data.message_id),
      [first, second],
      "only new events of the filtered mailbox, in order",
    );
    assert.equal(got[0]!.event, "message.received");
    assert.equal(got[0]!.id, got[0]!.data.cursor);
    // Reconnect after the first: the second comes again, then what happened while away.
    const third = await ingest("ev-a", "while away");
    const again = await fetch(`${t.baseUrl}/v1/events/stream?mailbox_id=ev-a`, {
      headers: { authorization: `Bearer ${t.adminKey}`, "last-event-id": got[0]!.id },
    });
    const resumed = await readSse(again, 2);
    assert.deepEqual(
      resumed.map((m) => m.data.data.message_id),
      [second, third],
    );
    const unauth = await fetch(`${t.baseUrl}/v1/events/stream`);
    assert.equal(unauth.status, 401);
  });
});

describe(`the event log never skips a late commit (${dbLabel})`, {
  skip: !DATABASE_URL && "needs concurrent transactions (PostgreSQL)",
}, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("hands out one account's events in commit order: a later writer waits for an open one, then both come in order", async () => {
    const mb = await t.client().mailboxes.create({ name: "late" });
    const start = (await t.api("GET", "/v1/events")).body.next_cursor;
    const accountId = t.pb.accountId;
    const event = (account: string, mailboxId: string, id: string) => ({
      accountId: account,
      mailboxId,
      type: "message.blocked" as const,
      data: { message_id: id },
    });
    const gate = deferred();
    const written = deferred();
    // The slow transaction writes its event first and stays open.
    const slow = t.pb.db.tx(async (sql) => {
      await appendEvent(sql, event(accountId, mb.id, "slow"));
      written.resolve();
      await gate.promise;
    });
    await written.promise;
    let fastDone = false;
    const fast = t.pb.db
      .tx((sql) => appendEvent(sql, event(accountId, mb.id, "fast")))
      .then(() => {
        fastDone = true;
      });
    // Observed, not slept on: the second writer is queued on the account's event lock.
    await eventually(async () => {
      const [row] = await t.pb.db.query<{ n: number }>(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted",
      );
      return row!.n > 0;
    });
    assert.equal(fastDone, false, "the second writer of the account waits for the first to commit");
    const meanwhile = (await t.api("GET", `/v1/events?after=${start}`)).body;
    assert.deepEqual(meanwhile.events, []);
    gate.resolve();
    await slow;
    await fast;
    const after = (await t.api("GET", `/v1/events?after=${meanwhile.next_cursor}`)).body;
    assert.deepEqual(
      after.events.map((e: { data: { message_id: string } }) => e.data.message_id),
      ["slow", "fast"],
    );
    // Another account's writers are not held up by this account's open transaction.
    const other = await t.client().accounts.create({ name: "late-other" });
    const otherMb = await t.api("POST", "/v1/mailboxes", {
      key: other.admin_key,
      body: { name: "other-late" },
    });
    const gate2 = deferred();
    const holding = deferred();
    const open = t.pb.db.tx(async (sql) => {
      await appendEvent(sql, event(accountId, mb.id, "held"));
      holding.resolve();
      await gate2.promise;
    });
    await holding.promise;
    await t.pb.db.tx((sql) => appendEvent(sql, event(other.id, otherMb.body.id, "theirs")));
    const theirs = (await t.api("GET", "/v1/events", { key: other.admin_key })).body.events;
    assert.ok(theirs.some((e: { data: { message_id: string } }) => e.data.message_id === "theirs"));
    gate2.resolve();
    await open;
  });
});
