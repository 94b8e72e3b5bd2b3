import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  dbLabel,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";
import { smtpConnect } from "../smtp-lines.ts";
import { startWebhookReceiver } from "../webhook-receiver.ts";

type Samples = Map<string, number>;

/**
 * A small reader of the Prometheus text format: every line is empty, a # HELP / # TYPE comment or a sample
 * `name{label="value",…} number`, and every sample belongs to a family declared by # TYPE. Fails on anything else.
 * Samples are keyed by name and labels as written ("x_total{a=\"b\"}").
 */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  const label = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"`;
  const sample = new RegExp(
    String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:${label}(?:,${label})*)?\})? (NaN|[+-]Inf|[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)$`,
  );
  assert.ok(text.endsWith("\n"), "the exposition ends with a line feed");
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line === "" || /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = sample.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(m[1]!) || types.has(family), `${m[1]} has no # TYPE`);
    samples.set(m[1]! + (m[2] ?? ""), Number(m[3]));
  }
  return samples;
}

const value = (s: Samples, key: string) => {
  assert.ok(s.has(key), `${key} is exposed`);
  return s.get(key)!;
};

describe(`GET /metrics on the API port, with processing (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;

  before(async () => {
    sink = await startSink();
    rx = await startWebhookReceiver();
    t = await startTestServer({
      POSTBOX_METRICS: "1",
      POSTBOX_SMTP_RELAY: sink.url,
      POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
    });
    await t.client().mailboxes.create({ name: "watched" });
    await t.client().webhooks.create({ url: rx.url, enabled_events: ["message.received"] });
  });
  after(async () => {
    await t.stop();
    await rx.close();
    await sink.close();
  });

  async function scrape(key = t.adminKey) {
    const res = await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
  }

  it("counts what mail over SMTP did: connections, replies, acceptance, processing, delivery, webhooks", async () => {
    // A client that talks before the greeting: with no greeting delay it is served, the greeting first.
    const early = await smtpConnect(t.pb.smtpPort!);
    early.write("EHLO early.example\r\n");
    assert.match((await early.reply())!, /^220 /);
    assert.match((await early.reply())!, /^250[- ]/);
    assert.match((await early.command("QUIT"))!, /^221 /);
    await early.closed;

    const mx = smtpClient(t.pb.smtpPort!);
    for (const subject of ["One", "Two"])
      await mx.sendMail({
        envelope: { from: "sam@example.com", to: ["watched@test.local"] },
        raw: rawMessage({ from: "sam@example.com", to: "watched@test.local", subject, body: "Hello" }),
      });
    mx.close();
    await t
      .client()
      .messages.send({ from_mailbox: "watched", to: "bob@example.com", subject: "Out", body: "Hi" });
    await t.pb.drain();
    await sink.waitFor(1);
    await rx.waitFor(2);

    const res = await scrape();
    assert.equal(res.status, 200, res.text);
    assert.match(res.type, /^text\/plain; version=0\.0\.4/);
    const s = parseExposition(res.text);
    assert.ok(value(s, "postbox_smtp_connections_total") >= 2);
    assert.ok(value(s, 'postbox_smtp_replies_total{class="2xx",code="220"}') >= 2, "greetings");
    assert.ok(value(s, 'postbox_smtp_replies_total{class="2xx",code="250"}') >= 6, "EHLO, MAIL, RCPT, DATA…");
    assert.equal(value(s, 'postbox_messages_accepted_total{transport="smtp"}'), 2);
    assert.equal(value(s, 'postbox_messages_processed_total{outcome="available"}'), 2);
    assert.equal(value(s, "postbox_processing_latency_seconds_count"), 2);
    assert.equal(value(s, 'postbox_processing_latency_seconds_bucket{le="+Inf"}'), 2);
    assert.equal(value(s, 'postbox_delivery_attempts_total{outcome="delivered"}'), 1);
    assert.equal(value(s, "postbox_delivery_latency_seconds_count"), 1);
    assert.equal(value(s, 'postbox_webhook_deliveries_total{outcome="delivered",status_class="2xx"}'), 2);
    // Everything was worked through: the queues read empty, from the database.
    assert.equal(value(s, "postbox_inbound_queue_depth"), 0);
    assert.equal(value(s, "postbox_inbound_queue_oldest_age_seconds"), 0);
    assert.equal(value(s, "postbox_delivery_queue_depth"), 0);
    assert.equal(value(s, "postbox_delivery_queue_oldest_age_seconds"), 0);
    // Node's own: memory and the event loop's delay (perf_hooks).
    assert.ok(value(s, "process_resident_memory_bytes") > 0);
    assert.ok(value(s, "nodejs_eventloop_lag_p99_seconds") >= 0);
  });

  it("answers only the operator's admin keys on the API port", async () => {
    const none = await fetch(`${t.baseUrl}/metrics`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { code: string }).code, "UNAUTHENTICATED");
    assert.equal((await scrape("pbx_live_aaaaaaaaaaaaaaaa.bad")).status, 401);
    const agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["watched"] })).api_key;
    const agent = await scrape(agentKey);
    assert.equal(agent.status, 403);
    assert.equal(JSON.parse(agent.text).code, "INSUFFICIENT_SCOPE");
    // A tenant's admin key sees its own account only, never the installation's figures.
    const tenant = await t.client().accounts.create({ name: "Tenant metrics" });
    const tenantAdmin = await scrape(tenant.admin_key);
    assert.equal(tenantAdmin.status, 403);
    assert.equal(JSON.parse(tenantAdmin.text).code, "INSUFFICIENT_SCOPE");
  });
});

describe(`GET /metrics on its own port, without the worker role (${dbLabel})`, () => {
  let t: TestServer;
  const token = "scrape-token-0123456789abcdef";

  before(async () => {
    t = await startTestServer({
      POSTBOX_ROLES: "api,smtp",
      POSTBOX_METRICS_PORT: "0",
      POSTBOX_METRICS_TOKEN: token,
    });
    await t.client().mailboxes.create({ name: "queued" });
  });
  after(() => t.stop());

  it("is off on the API port unless POSTBOX_METRICS=1", async () => {
    const res = await t.api("GET", "/metrics");
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "ROUTE_NOT_FOUND");
  });

  it("asks for the token when one is set, and shows mail waiting for processing", async () => {
    const url = `http://127.0.0.1:${t.pb.metricsPort}/metrics`;
    const bare = await fetch(url);
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { code: string }).code, "UNAUTHENTICATED");
    assert.equal((await fetch(url, { headers: { authorization: `Bearer ${t.adminKey}` } })).status, 401);
    const other = await fetch(`http://127.0.0.1:${t.pb.metricsPort}/v1/health`);
    assert.equal(other.status, 404);

    const mx = smtpClient(t.pb.smtpPort!);
    await mx.sendMail({
      envelope: { from: "sam@example.com", to: ["queued@test.local"] },
      raw: rawMessage({ from: "sam@example.com", to: "queued@test.local", subject: "Waiting", body: "Hi" }),
    });
    mx.close();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const s = parseExposition(await res.text());
    assert.equal(value(s, 'postbox_messages_accepted_total{transport="smtp"}'), 1);
    // No worker here: the message waits, and the gauge reads it from the database.
    assert.equal(value(s, "postbox_inbound_queue_depth"), 1);
    assert.ok(value(s, "postbox_inbound_queue_oldest_age_seconds") >= 0);
    assert.equal(s.has('postbox_messages_processed_total{outcome="available"}'), false);
  });
});
