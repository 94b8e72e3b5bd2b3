import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, eventually, startTestServer, type TestServer } from "../helpers.ts";

describe(`caps on event streams and long-polls, per key and per account (${dbLabel})`, () => {
  let t: TestServer;
  let key1: string;
  let key2: string;
  let otherAdmin: string;
  const opened: AbortController[] = [];

  before(async () => {
    t = await startTestServer({
      POSTBOX_MAX_STREAMS_PER_KEY: "2",
      POSTBOX_MAX_STREAMS_PER_ACCOUNT: "3",
      POSTBOX_MAX_WAITS_PER_KEY: "2",
      POSTBOX_MAX_WAITS_PER_ACCOUNT: "3",
    });
    await t.client().mailboxes.create({ name: "capped" });
    key1 = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["capped"] })).api_key;
    key2 = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["capped"] })).api_key;
    otherAdmin = (await t.client().accounts.create({ name: "other tenant" })).admin_key;
    await t.client(otherAdmin).mailboxes.create({ name: "elsewhere" });
  });
  after(async () => {
    for (const a of opened) a.abort();
    await t.stop();
  });

  const health = async () => (await t.api("GET", "/v1/health", { key: null })).body;

  /** Opens a live request and returns its response (headers only) and the way to hang up. */
  async function open(path: string, key: string) {
    const abort = new AbortController();
    opened.push(abort);
    const res = await fetch(t.baseUrl + path, {
      headers: { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    return { res, abort };
  }

  async function refused(res: Response, code: string, scope: string) {
    assert.equal(res.status, 429);
    // Long enough that the SDK's automatic retries do not hammer the server.
    assert.equal(res.headers.get("retry-after"), "5");
    const body = (await res.json()) as { code: string; error: string; details: { scope: string } };
    assert.equal(body.code, code);
    assert.equal(body.details.scope, scope);
    assert.match(body.error, /close one you no longer need/);
  }

  it("caps event streams per key, then per account; another account is not affected", async () => {
    const s1 = await open("/v1/events/stream", key1);
    const s2 = await open("/v1/events/stream", key1);
    assert.equal(s1.res.status, 200);
    assert.equal(s2.res.status, 200);
    await refused((await open("/v1/events/stream", key1)).res, "STREAM_LIMIT_REACHED", "key");
    const s3 = await open("/v1/events/stream", key2);
    assert.equal(s3.res.status, 200);
    await refused((await open("/v1/events/stream", key2)).res, "STREAM_LIMIT_REACHED", "account");
    assert.equal((await health()).streams_open, 3);

    // The SDK gives up on a refused stream instead of reconnecting in a loop.
    await assert.rejects(
      async () => {
        for await (const _ of t.client(key2).events.stream()) break;
      },
      (e: { status?: number; code?: string }) => e.status === 429 && e.code === "STREAM_LIMIT_REACHED",
    );

    const other = await open("/v1/events/stream", otherAdmin);
    assert.equal(other.res.status, 200);

    // A client that hangs up gives its slot back.
    s1.abort.abort();
    await eventually(async () => (await health()).streams_open === 3);
    const again = await open("/v1/events/stream", key1);
    assert.equal(again.res.status, 200);
    for (const s of [s2, s3, other, again]) s.abort.abort();
    await eventually(async () => (await health()).streams_open === 0);
  });

  it("caps pending waits per key, then per account; another account is not affected", async () => {
    const wait = (key: string, mailbox = "capped") =>
      open(`/v1/mailboxes/${mailbox}/messages/wait?timeout=60`, key).catch(() => null);
    // A pending wait answers only at its end: follow the count in /v1/health instead.
    const w1 = wait(key1);
    const w2 = wait(key1);
    await eventually(async () => (await health()).waits_open === 2);
    await refused(
      (await open("/v1/mailboxes/capped/messages/wait?timeout=60", key1)).res,
      "WAIT_LIMIT_REACHED",
      "key",
    );
    const w3 = wait(key2);
    await eventually(async () => (await health()).waits_open === 3);
    await refused(
      (await open("/v1/mailboxes/capped/messages/wait?timeout=60", key2)).res,
      "WAIT_LIMIT_REACHED",
      "account",
    );
    const w4 = wait(otherAdmin, "elsewhere");
    await eventually(async () => (await health()).waits_open === 4);

    // Hang up every wait of the first account: their slots come back.
    for (const a of opened) a.abort();
    await Promise.all([w1, w2, w3, w4]);
    await eventually(async () => (await health()).waits_open === 0);
    const fresh = await t.client(key1).messages.wait("capped", { timeout: 1 });
    assert.equal(fresh.message, null);
  });
});
