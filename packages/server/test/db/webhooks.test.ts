import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ConflictError, verifyWebhookSignature } from "@postbox/sdk";
import { ACCOUNT_CONCURRENCY } from "../../src/webhooks/dispatcher.ts";
import { createWebhookPoster } from "../../src/webhooks/post.ts";
import { nonPublicReason } from "../../src/webhooks/target.ts";
import { dbLabel, eventually, rawMessage, startTestServer, type TestServer } from "../helpers.ts";
import { startWebhookReceiver } from "../webhook-receiver.ts";

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe(`webhooks: signed, retried, abandoned, disabled, rotated (${dbLabel})`, () => {
  let t: TestServer;
  let rx: Receiver;

  before(async () => {
    t = await startTestServer({
      POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
      POSTBOX_WEBHOOK_TIMEOUT_MS: "400",
      POSTBOX_WEBHOOK_RETRY_SCHEDULE: "1s,1s,1s",
    });
    await t.client().mailboxes.create({ name: "hooks" });
    rx = await startWebhookReceiver();
  });
  after(async () => {
    await t.stop();
    await rx.close();
  });

  async function ingest(subject = "Hello", from = "sam@example.com") {
    const res = await t.api("POST", "/v1/ingest?rcpt_to=hooks@test.local", {
      raw: rawMessage({ from, to: "hooks@test.local", subject, body: "Can we meet on Thursday?" }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202);
    await t.pb.drain();
    return res.body.accepted[0].message_id as string;
  }

  async function createHook(events = ["message.received"], url = rx.url) {
    const res = await t.api("POST", "/v1/webhooks", {
      body: { url, enabled_events: events, description: "test" },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; signing_secret: string };
  }

  const deliveries = async (id: string) =>
    (await t.api("GET", `/v1/webhooks/${id}/deliveries?limit=100`)).body;

  it("validates subscriptions: the closed catalogue, the URL, admin keys only", async () => {
    const bad = await t.api("POST", "/v1/webhooks", {
      body: { url: rx.url, enabled_events: ["message.nope"] },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "VALIDATION_ERROR");
    assert.match(bad.body.error, /message\.nope/);
    for (const url of ["ftp://example.com/x", "not a url", "https://user:pw@example.com/x"]) {
      const r = await t.api("POST", "/v1/webhooks", { body: { url, enabled_events: ["message.received"] } });
      assert.equal(r.status, 400, url);
      assert.equal(r.body.code, "WEBHOOK_URL_INVALID", url);
    }
    const agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["hooks"] })).api_key;
    const agent = await t.api("POST", "/v1/webhooks", {
      key: agentKey,
      body: { url: rx.url, enabled_events: ["message.received"] },
    });
    assert.equal(agent.status, 403);
    assert.equal(agent.body.code, "INSUFFICIENT_SCOPE");
    assert.equal((await t.api("GET", "/v1/webhooks", { key: agentKey })).status, 403);
  });

  it("delivers a signed envelope for a subscribed event, once, with the event id", async () => {
    const hook = await createHook();
    assert.match(hook.signing_secret, /^whsec_/);
    const got = await t.api("GET", `/v1/webhooks/${hook.id}`);
    assert.equal(got.body.signing_secret, undefined, "the secret is shown once");
    const before = rx.received.length;
    const id = await ingest("Thursday");
    const [r] = (await rx.waitFor(before + 1)).slice(before);
    assert.ok(rx.verify(r!, hook.signing_secret), "the signature verifies with the secret");
    assert.ok(!rx.verify(r!, "whsec_wrong"));
    // The seed's receivers read X-ReplyLayer-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>.
    const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r!.headers["x-replylayer-signature"]))!;
    assert.equal(v1, createHmac("sha256", hook.signing_secret).update(`${ts}.${r!.body}`).digest("hex"));
    assert.ok(Math.abs(r!.timestamp - Date.now() / 1000) < 60);
    assert.equal(r!.json.event, "message.received");
    assert.match(r!.json.id, /^evt_\d+$/);
    assert.equal(r!.headers["x-postbox-event-id"], r!.json.id);
    assert.equal(r!.json.data.message_id, id);
    assert.equal(r!.json.data.subject, "Thursday");
    assert.equal(r!.json.data.sender, "sam@example.com");
    assert.ok(r!.json.data.mailbox_id);
    const list = await deliveries(hook.id);
    assert.equal(list.deliveries[0].state, "delivered");
    assert.equal(list.deliveries[0].event_id, r!.json.id);
    assert.equal(list.deliveries[0].last_status, 200);
    // The seed's clients read these names.
    const [seen] = list.deliveries;
    assert.deepEqual(
      [seen.delivery_id, seen.event_type, seen.status, seen.http_status, seen.attempt_count],
      [seen.id, "message.received", "delivered", 200, 1],
    );
    assert.equal((await t.api("GET", `/v1/webhooks/${hook.id}`)).body.consecutive_failures, 0);
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("retries timeouts, 5xx and 429 along the schedule, with the same event id, until delivered", async () => {
    const hook = await createHook();
    const before = rx.received.length;
    rx.answer(500, "hang", { status: 429, headers: { "retry-after": "1" } });
    await ingest("Retry me");
    const got = (await rx.waitFor(before + 4)).slice(before);
    assert.equal(new Set(got.map((r) => r.json.id)).size, 1, "every attempt carries the same event id");
    const d = await eventually(async () => {
      const [x] = (await deliveries(hook.id)).deliveries;
      return x.state === "delivered" ? x : null;
    });
    assert.equal(d.attempts, 4);
    // The webhook shows its health as the seed's clients read it: the last failure and why, then the success.
    const h = (await t.api("GET", `/v1/webhooks/${hook.id}`)).body;
    assert.ok(h.last_success_at && h.last_failure_at, JSON.stringify(h));
    assert.ok(Date.parse(h.last_success_at) >= Date.parse(h.last_failure_at));
    assert.match(h.last_error, /^HTTP 429/, "the last failed attempt was the 429");
    assert.equal(h.consecutive_failures, 0, "retried deliveries that succeed are no abandoned ones");
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("abandons a 410 at once, records it, and lets an admin retry it by hand", async () => {
    const hook = await createHook();
    const before = rx.received.length;
    rx.answer(410);
    await ingest("Gone");
    await rx.waitFor(before + 1);
    const failed = await eventually(async () => {
      const [x] = (await deliveries(hook.id)).deliveries;
      return x.state === "failed" ? x : null;
    });
    assert.equal(failed.attempts, 1);
    assert.equal(failed.last_status, 410);
    assert.match(failed.last_error, /not retried/);
    const h = (await t.api("GET", `/v1/webhooks/${hook.id}`)).body;
    assert.equal(h.consecutive_abandoned, 1);
    assert.equal(h.consecutive_failures, 1);
    assert.equal(h.last_success_at, null);
    assert.ok(Date.parse(h.last_failure_at));
    assert.match(h.last_error, /HTTP 410: not retried/);
    assert.deepEqual(
      [failed.status, failed.http_status, failed.attempt_count, failed.event_type],
      ["failed", 410, 1, "message.received"],
    );
    assert.ok(failed.failed_at);
    // Redirects are answers too: not followed, not retried.
    rx.answer({ status: 302, headers: { location: "http://127.0.0.1:1/elsewhere" } });
    await ingest("Moved");
    await eventually(
      async () =>
        (await deliveries(hook.id)).deliveries.filter((x: { state: string }) => x.state === "failed")
          .length === 2,
    );

    const retried = await t.api("POST", `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.state, "pending");
    await eventually(async () => {
      const x = (await deliveries(hook.id)).deliveries.find((y: { id: string }) => y.id === failed.id);
      return x.state === "delivered";
    });
    const again = await t.api("POST", `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "DELIVERY_NOT_FAILED");
    const h2 = (await t.api("GET", `/v1/webhooks/${hook.id}`)).body;
    assert.equal(h2.consecutive_abandoned, 0, "a success ends the streak");
    assert.ok(h2.last_success_at, "the retried delivery succeeded");
    assert.match(h2.last_error, /HTTP 302/, "the last error stays, with its time, after a success");
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("disables a webhook after 20 abandoned deliveries in a row, says why, and emits webhook.disabled", async () => {
    const hook = await createHook(["message.received"]);
    const watcher = await createHook(["webhook.disabled"]);
    rx.answer(...Array<number>(20).fill(404));
    for (let i = 0; i < 20; i++) await ingest(`Lost ${i}`);
    const h = await eventually(async () => {
      const x = (await t.api("GET", `/v1/webhooks/${hook.id}`)).body;
      return x.disabled_at ? x : null;
    });
    assert.equal(h.enabled, false);
    assert.match(h.disabled_reason, /20 deliveries in a row were abandoned; the last: HTTP 404/);
    const note = await eventually(async () => rx.received.find((r) => r.json.event === "webhook.disabled"));
    assert.equal(note.json.data.webhook_id, hook.id);
    assert.ok(rx.verify(note, watcher.signing_secret));
    // Disabled: no new deliveries are attempted, and a manual retry is refused.
    const count = rx.received.length;
    await ingest("While disabled");
    const [failed] = (await deliveries(hook.id)).deliveries.filter(
      (x: { state: string }) => x.state === "failed",
    );
    const r = await t.api("POST", `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`);
    assert.equal(r.status, 409);
    assert.equal(r.body.code, "WEBHOOK_DISABLED");
    assert.equal(rx.received.filter((x) => x.json.event === "message.received").length, count - 1);
    // Re-enabled: cleared, and it delivers again.
    const on = await t.api("PATCH", `/v1/webhooks/${hook.id}`, { body: { enabled: true } });
    assert.equal(on.body.disabled_at, null);
    assert.equal(on.body.consecutive_abandoned, 0);
    const before = rx.received.length;
    await ingest("Back");
    await rx.waitFor(before + 1);
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
    await t.api("DELETE", `/v1/webhooks/${watcher.id}`);
  });

  it("rotates the secret: both signatures during the grace window, then only the new one", async () => {
    const hook = await createHook();
    const rotated = await t.api("POST", `/v1/webhooks/${hook.id}/rotate-secret`, {
      body: { grace_seconds: 3600 },
    });
    assert.equal(rotated.status, 200);
    const fresh = rotated.body.signing_secret as string;
    assert.notEqual(fresh, hook.signing_secret);
    assert.ok(rotated.body.previous_secret_expires_at);
    let before = rx.received.length;
    await ingest("During grace");
    let [r] = (await rx.waitFor(before + 1)).slice(before);
    assert.equal(r!.signatures.length, 2);
    assert.ok(r!.headers["x-postbox-signature"]!.toString().match(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/));
    assert.ok(rx.verify({ ...r!, signatures: [r!.signatures[0]!] }, fresh), "new secret first");
    assert.ok(rx.verify({ ...r!, signatures: [r!.signatures[1]!] }, hook.signing_secret), "then the old one");

    const third = (
      await t.api("POST", `/v1/webhooks/${hook.id}/rotate-secret`, { body: { grace_seconds: 0 } })
    ).body;
    assert.equal(third.previous_secret_expires_at, null);
    before = rx.received.length;
    await ingest("After grace");
    [r] = (await rx.waitFor(before + 1)).slice(before);
    assert.equal(r!.signatures.length, 1);
    assert.ok(rx.verify(r!, third.signing_secret));
    assert.ok(!rx.verify(r!, fresh));
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("sends real-shaped test events on demand", async () => {
    const hook = await createHook(["message.received"]);
    let before = rx.received.length;
    const res = await t.api("POST", `/v1/webhooks/${hook.id}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.state, "delivered");
    assert.equal(res.body.event, "webhook.test");
    let [r] = (await rx.waitFor(before + 1)).slice(before);
    assert.equal(r!.json.event, "webhook.test");
    assert.equal(r!.json.data.webhook_id, hook.id);
    assert.ok(rx.verify(r!, hook.signing_secret));
    before = rx.received.length;
    rx.answer(503);
    const shaped = await t.api("POST", `/v1/webhooks/${hook.id}/test`, {
      body: { event: "message.bounced" },
    });
    assert.equal(shaped.body.state, "pending", "a failed test is retried like any delivery");
    assert.equal(shaped.body.last_status, 503);
    [r] = (await rx.waitFor(before + 1)).slice(before);
    assert.equal(r!.json.event, "message.bounced");
    assert.equal(r!.json.data.recipient, "nobody@example.com");
    // The seed's test events include recipient_blocklist.added (rly's `webhook test --event`).
    const blocklisted = await t.api("POST", `/v1/webhooks/${hook.id}/test`, {
      body: { event: "recipient_blocklist.added" },
    });
    assert.equal(blocklisted.status, 200, JSON.stringify(blocklisted.body));
    // (The failed test above may be retried meanwhile: look for this one by its event name.)
    const got = await eventually(async () =>
      rx.received.find((x) => x.json.event === "recipient_blocklist.added"),
    );
    assert.equal(got.json.data.email, "nobody@example.com");
    const unknown = await t.api("POST", `/v1/webhooks/${hook.id}/test`, { body: { event: "nope" } });
    assert.equal(unknown.status, 400);
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("pages the delivery log by (created_at, id), and wants both cursor parts or neither", async () => {
    const hook = await createHook();
    for (let i = 0; i < 3; i++) await t.api("POST", `/v1/webhooks/${hook.id}/test`);
    const first = (await t.api("GET", `/v1/webhooks/${hook.id}/deliveries?limit=2`)).body;
    assert.equal(first.deliveries.length, 2);
    assert.equal(first.has_more, true);
    const second = (
      await t.api(
        "GET",
        `/v1/webhooks/${hook.id}/deliveries?limit=2&before_at=${encodeURIComponent(first.next_before_at)}&before_id=${first.next_before_id}`,
      )
    ).body;
    assert.equal(second.deliveries.length, 1);
    assert.equal(second.has_more, false);
    const all = [...first.deliveries, ...second.deliveries].map((d: { id: string }) => d.id);
    assert.equal(new Set(all).size, 3);
    const half = await t.api(
      "GET",
      `/v1/webhooks/${hook.id}/deliveries?before_at=${encodeURIComponent(first.next_before_at)}`,
    );
    assert.equal(half.status, 400);
    assert.match(half.body.error, /before_at and before_id go together/);
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("redacts addresses and subjects of message events for mailboxes in pii_mode redacted, before signing", async () => {
    await t.client().mailboxes.update("hooks", { pii_mode: "redacted" });
    const hook = await createHook();
    const id = await ingest("Salary details", "boss@example.com");
    const r = await eventually(async () => rx.received.find((x) => x.json.data.message_id === id));
    assert.equal(r!.json.data.sender, "<EMAIL_ADDRESS>");
    assert.equal(r!.json.data.subject, "<REDACTED>");
    assert.ok(!r!.body.includes("boss@example.com"));
    assert.ok(rx.verify(r!, hook.signing_secret), "the signature covers the redacted body");
    await t.client().mailboxes.update("hooks", { pii_mode: "passthrough" });
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });

  it("keeps accounts apart: another account neither sees our webhooks nor receives our events", async () => {
    const hook = await createHook();
    const other = await t.client().accounts.create({ name: "webhook-tenant" });
    const theirs = await t.api("POST", "/v1/webhooks", {
      key: other.admin_key,
      body: { url: `${rx.url}?tenant=b`, enabled_events: ["message.received"] },
    });
    assert.equal(theirs.status, 201);
    assert.equal((await t.api("GET", `/v1/webhooks/${hook.id}`, { key: other.admin_key })).status, 404);
    assert.equal((await t.api("DELETE", `/v1/webhooks/${hook.id}`, { key: other.admin_key })).status, 404);
    assert.equal(
      (await t.api("GET", `/v1/webhooks/${hook.id}/deliveries`, { key: other.admin_key })).status,
      404,
    );
    assert.deepEqual(
      (await t.api("GET", "/v1/webhooks", { key: other.admin_key })).body.webhooks.map(
        (w: { id: string }) => w.id,
      ),
      [theirs.body.id],
    );
    const id = await ingest("Ours only");
    await eventually(async () => rx.received.find((x) => x.json.data.message_id === id));
    await t.pb.drain();
    const theirDeliveries = await t.api("GET", `/v1/webhooks/${theirs.body.id}/deliveries`, {
      key: other.admin_key,
    });
    assert.equal(theirDeliveries.body.deliveries.length, 0, "their webhook got none of our events");
    await t.api("DELETE", `/v1/webhooks/${hook.id}`);
  });
});

describe(`webhook targets (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("refuses loopback and private targets unless the operator allows them", async () => {
    for (const url of [
      "http://127.0.0.1:9/x",
      "http://10.1.2.3/x",
      "http://[::1]/x",
      "http://localhost/x",
      "http://169.254.169.254/latest",
      // IPv6 forms that carry a private IPv4 address, and the deprecated site-local range.
      "http://[64:ff9b::7f00:1]/",
      "http://[64:ff9b::169.254.169.254]/latest",
      "http://[2002:a00:1::1]/x",
      "http://[::ffff:0:7f00:1]/x",
      "http://[::ffff:127.0.0.1]/x",
      "http://[::127.0.0.1]/x",
      "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x",
      "http://[fec0::1]/x",
    ]) {
      const r = await t.api("POST", "/v1/webhooks", { body: { url, enabled_events: ["message.received"] } });
      assert.equal(r.status, 400, url);
      assert.equal(r.body.code, "WEBHOOK_URL_PRIVATE", url);
      assert.match(r.body.error, /POSTBOX_WEBHOOK_ALLOW_PRIVATE/);
    }
    const nat64 = await t.api("POST", "/v1/webhooks", {
      body: { url: "http://[64:ff9b::7f00:1]/", enabled_events: ["message.received"] },
    });
    assert.match(nat64.body.error, /NAT64 form of 127\.0\.0\.1, loopback/);
    assert.deepEqual((await t.api("GET", "/v1/webhooks")).body.webhooks, [], "none was created");
  });

  it("checks the address again at connect time, for literals and for names", async () => {
    const rx = await startWebhookReceiver();
    const guarded = createWebhookPoster({ timeoutMs: 2000, allowPrivate: false });
    const open = createWebhookPoster({ timeoutMs: 2000, allowPrivate: true });
    try {
      const literal = await guarded.post("http://[64:ff9b::7f00:1]/", "{}", {});
      assert.equal(literal.status, null);
      assert.match(literal.error ?? "", /not a public address \(NAT64 form of 127\.0\.0\.1/);
      // "localhost" is looked up when connecting; the guarded lookup refuses what it resolves to.
      const named = await guarded.post(rx.url.replace("127.0.0.1", "localhost"), "{}", {});
      assert.equal(named.status, null);
      assert.match(named.error ?? "", /refused: localhost resolves to .*not a public address/);
      assert.equal(rx.received.length, 0, "nothing reached the receiver");
      const allowed = await open.post(rx.url, "{}", {});
      assert.equal(allowed.status, 200, "the operator's switch lets it through");
    } finally {
      guarded.close();
      open.close();
      await rx.close();
    }
  });

  it("keeps a checked connection alive, and checks the address again on the next one (DNS rebinding)", async () => {
    const rx = await startWebhookReceiver();
    // Seams for what cannot happen on this machine: a name whose DNS answer changes, and one private address
    // (the receiver's) taken as public. Everything else is the real check on a real connection.
    let answer = "127.0.0.1";
    let lookups = 0;
    const poster = createWebhookPoster({
      timeoutMs: 5000,
      allowPrivate: false,
      refusal: (ip) => (ip === "127.0.0.1" ? null : nonPublicReason(ip)),
      lookup: ((
        _host: string,
        _opts: unknown,
        cb: (e: null, a: { address: string; family: number }[]) => void,
      ) => {
        lookups++;
        cb(null, [{ address: answer, family: 4 }]);
      }) as never,
    });
    const url = rx.url.replace("127.0.0.1", "hooks.rebind.test");
    try {
      for (let i = 0; i < 3; i++) assert.equal((await poster.post(url, "{}", {})).status, 200);
      assert.equal(rx.connections, 1, "three deliveries over one connection");
      assert.equal(lookups, 1, "looked up once, when it connected");
      // The name now points at a private address; the next connection must not go there.
      answer = "127.0.0.2";
      rx.dropConnections();
      const rebound = await poster.post(url, "{}", {});
      assert.equal(rebound.status, null);
      assert.match(rebound.error ?? "", /refused: hooks\.rebind\.test resolves to 127\.0\.0\.2 \(loopback\)/);
      assert.equal(rx.received.length, 3, "nothing more reached the receiver");
      assert.equal(rx.connections, 1, "no new connection was made");
    } finally {
      poster.close();
      await rx.close();
    }
  });
});

describe(`webhooks and events through the SDK (${dbLabel})`, () => {
  let t: TestServer;
  let rx: Receiver;
  before(async () => {
    t = await startTestServer({ POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    await t.client().mailboxes.create({ name: "sdk-hooks" });
    rx = await startWebhookReceiver();
  });
  after(async () => {
    await t.stop();
    await rx.close();
  });

  it("delivers one after another to a target over one kept-alive connection", async () => {
    const one = await startWebhookReceiver();
    try {
      const hook = await t.client().webhooks.create({ url: one.url, enabled_events: ["message.received"] });
      // One at a time (each waits for its delivery), so none needs a second connection.
      for (const subject of ["First", "Second", "Third"]) {
        const res = await t.api("POST", "/v1/ingest?rcpt_to=sdk-hooks@test.local", {
          raw: rawMessage({ from: "sam@example.com", to: "sdk-hooks@test.local", subject, body: "Hello" }),
          headers: { "content-type": "message/rfc822" },
        });
        assert.equal(res.status, 202);
        await t.pb.drain();
      }
      await one.waitFor(3);
      assert.deepEqual(
        one.received.map((r) => r.json.data.subject),
        ["First", "Second", "Third"],
      );
      assert.equal(one.connections, 1, "three deliveries, one connection");
      await t.client().webhooks.delete(hook.id);
    } finally {
      await one.close();
    }
  });

  it("creates, verifies with verifyWebhookSignature, lists deliveries, and replays and streams events", async () => {
    const pb = t.client();
    const hook = await pb.webhooks.create({ url: rx.url, enabled_events: ["message.received"] });
    assert.match(hook.signing_secret, /^whsec_/);
    assert.deepEqual(
      (await pb.webhooks.list()).map((w) => w.id),
      [hook.id],
    );
    const controller = new AbortController();
    const streamed: string[] = [];
    // The stream resumes after a cursor taken now, so it sees the event whenever it connects: no race to win.
    const after = (await pb.events.list({ mailbox_id: "sdk-hooks" })).cursor;
    const following = (async () => {
      for await (const e of pb.events.stream({ mailbox_id: "sdk-hooks", after, signal: controller.signal })) {
        streamed.push(e.id);
        if (streamed.length === 1) controller.abort();
      }
    })();
    const res = await t.api("POST", "/v1/ingest?rcpt_to=sdk-hooks@test.local", {
      raw: rawMessage({ to: "sdk-hooks@test.local", subject: "SDK" }),
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const [r] = await rx.waitFor(1);
    const envelope = verifyWebhookSignature({
      payload: r!.body,
      signature: r!.headers["x-postbox-signature"] as string,
      secret: hook.signing_secret,
    });
    assert.equal(envelope.data.message_id, res.body.accepted[0].message_id);
    assert.throws(() =>
      verifyWebhookSignature({
        payload: r!.body,
        signature: r!.headers["x-postbox-signature"] as string,
        secret: "whsec_x",
      }),
    );
    await following;
    assert.deepEqual(streamed, [envelope.id], "the stream saw the same event the webhook got");
    const page = await pb.events.list({ types: ["message.received"] });
    assert.ok(page.data.some((e) => e.id === envelope.id));
    const deliveries = await pb.webhooks.listDeliveries(hook.id, { limit: 10 });
    assert.equal(deliveries.deliveries[0]!.state, "delivered");
    await assert.rejects(pb.webhooks.retryDelivery(hook.id, deliveries.deliveries[0]!.id), (e: unknown) => {
      return e instanceof ConflictError && e.code === "DELIVERY_NOT_FAILED";
    });
    const rotated = await pb.webhooks.rotateSecret(hook.id, { grace_seconds: 60 });
    assert.notEqual(rotated.signing_secret, hook.signing_secret);
    const tested = await pb.webhooks.test(hook.id);
    assert.equal(tested.state, "delivered");
    await pb.webhooks.update(hook.id, { enabled: false });
    assert.equal((await pb.webhooks.get(hook.id)).enabled, false);
    await pb.webhooks.delete(hook.id);
    assert.deepEqual(await pb.webhooks.list(), []);
  });
});

describe(`webhooks per account are capped (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1", POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT: "3" });
  });
  after(() => t.stop());

  const create = (key?: string) =>
    t.api("POST", "/v1/webhooks", {
      ...(key ? { key } : {}),
      body: { url: "http://127.0.0.1:9/hook", enabled_events: ["message.received"] },
    });

  it("refuses the webhook past the limit with 409 WEBHOOK_LIMIT_REACHED, even when created concurrently", async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => create()));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 409, 409]);
    const refused = results.find((r) => r.status === 409)!;
    assert.equal(refused.body.code, "WEBHOOK_LIMIT_REACHED");
    assert.deepEqual(refused.body.details, { limit: 3 });
    assert.match(refused.body.error, /already has 3 webhooks/);
    assert.match(refused.body.error, /POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT/);
    assert.equal((await t.api("GET", "/v1/webhooks")).body.webhooks.length, 3);

    // A disabled webhook still counts (it can be turned back on); deleting one makes room.
    const [first] = (await t.api("GET", "/v1/webhooks")).body.webhooks;
    await t.api("PATCH", `/v1/webhooks/${first.id}`, { body: { enabled: false } });
    assert.equal((await create()).status, 409);
    assert.equal((await t.api("DELETE", `/v1/webhooks/${first.id}`)).status, 200);
    assert.equal((await create()).status, 201);
    assert.equal((await create()).status, 409);
  });

  it("counts each account on its own", async () => {
    const other = await t.client().accounts.create({ name: "hooks-tenant" });
    for (let i = 0; i < 3; i++) assert.equal((await create(other.admin_key)).status, 201);
    assert.equal((await create(other.admin_key)).body.code, "WEBHOOK_LIMIT_REACHED");
    assert.equal((await t.api("GET", "/v1/webhooks")).body.webhooks.length, 3, "ours are untouched");
  });
});

describe(`webhook dispatch is fair across accounts (${dbLabel})`, () => {
  let t: TestServer;
  let slow: Receiver;
  let quick: Receiver;
  before(async () => {
    // Long enough that held requests stay in flight for the whole test; they end when released.
    t = await startTestServer({
      POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
      POSTBOX_WEBHOOK_TIMEOUT_MS: "120000",
      POSTBOX_WEBHOOK_RETRY_SCHEDULE: "1s,1s",
    });
    slow = await startWebhookReceiver();
    quick = await startWebhookReceiver();
  });
  after(async () => {
    slow.release();
    await t.stop();
    await slow.close();
    await quick.close();
  });

  const hook = async (url: string, key?: string) => {
    const r = await t.api("POST", "/v1/webhooks", {
      ...(key ? { key } : {}),
      body: { url, enabled_events: ["suppression.added"] },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };

  it("delivers another account's event while one account's backlog waits on a silent endpoint", async () => {
    const other = await t.client().accounts.create({ name: "fair-tenant" });
    const backlogHook = await hook(slow.url);
    const otherHook = await hook(quick.url, other.admin_key);
    slow.hold();

    // Account A: 200 events at once, to an endpoint that answers nothing until released.
    const emails = Array.from({ length: 200 }, (_, i) => `r${i}@backlog.example`);
    const bulk = await t.api("POST", "/v1/suppressions/bulk", { body: { emails } });
    assert.equal(bulk.body.counts.added, 200);
    await slow.waitFor(ACCOUNT_CONCURRENCY);

    // Account B: one event, created after all of A's; its first attempt fails, and the retry goes out on
    // schedule too, without waiting for A's requests to end.
    quick.answer(500);
    await t.api("POST", "/v1/suppressions", { key: other.admin_key, body: { email: "one@quick.example" } });
    const [first, retry] = await quick.waitFor(2);
    assert.equal(first!.json.data.email, "one@quick.example");
    assert.equal(retry!.json.id, first!.json.id, "the retry of the same event");
    await eventually(async () => {
      const log = (await t.api("GET", `/v1/webhooks/${otherHook}/deliveries`, { key: other.admin_key })).body;
      return log.deliveries[0]?.state === "delivered" && log.deliveries[0]?.attempts === 2;
    });

    // Meanwhile A's backlog is untouched beyond its share of the slots.
    assert.equal(slow.received.length, ACCOUNT_CONCURRENCY, "A holds only its share of the slots");
    const page = (await t.api("GET", `/v1/webhooks/${backlogHook}/deliveries?limit=100`)).body.deliveries;
    assert.ok(
      page.every((d: { state: string }) => d.state === "pending"),
      "none of A's deliveries has finished",
    );

    // Released, A's backlog drains, never more than its share at once, each delivery once.
    slow.release();
    await slow.waitFor(200);
    await t.pb.drain();
    assert.equal(slow.received.length, 200);
    assert.equal(new Set(slow.received.map((r) => r.headers["x-postbox-delivery"])).size, 200);
    assert.ok(
      slow.peakOpen <= ACCOUNT_CONCURRENCY,
      `at most ${ACCOUNT_CONCURRENCY} at once, saw ${slow.peakOpen}`,
    );
    const after = (await t.api("GET", `/v1/webhooks/${backlogHook}/deliveries?limit=100`)).body.deliveries;
    assert.ok(after.every((d: { state: string }) => d.state === "delivered"));
  });
});
