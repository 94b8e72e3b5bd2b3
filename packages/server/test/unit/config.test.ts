import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/platform/config.ts";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    assert.equal(c.dataDir, path.resolve("./data"));
    assert.equal(c.databaseUrl, null);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.httpPort, 8025);
    assert.equal(c.smtpPort, 2525);
    assert.equal(c.domain, "localhost");
    assert.equal(c.adminKey, null);
    assert.equal(c.smtpRelay, null);
    assert.deepEqual([...c.roles].sort(), ["api", "smtp", "worker"]);
    assert.equal(c.maxMessageBytes, 25 * 1024 * 1024);
    assert.equal(c.smtpPolicyTimeoutMs, 10_000);
    assert.equal(c.authTimeoutMs, 8_000);
    assert.equal(c.maxWebhooksPerAccount, 25);
    // Limits (docs/operations.md#limits).
    assert.equal(c.smtpMaxConnections, 1000);
    assert.equal(c.smtpMaxConnectionsPerIp, 20);
    assert.equal(c.smtpIdleTimeoutMs, 300_000);
    assert.equal(c.smtpGreetingDelayMs, 0);
    assert.deepEqual(c.metrics, { onApi: false, port: null, host: "127.0.0.1", token: null });
    assert.equal(c.httpMaxConnections, 5000);
    assert.equal(c.httpHeadersTimeoutMs, 10_000);
    assert.equal(c.httpBodyTimeoutMs, 60_000);
    assert.equal(c.httpKeepAliveTimeoutMs, 65_000);
    assert.equal(c.maxStreamsPerKey, 10);
    assert.equal(c.maxStreamsPerAccount, 50);
    assert.equal(c.maxWaitsPerKey, 50);
    assert.equal(c.maxWaitsPerAccount, 200);
    assert.equal(c.shutdownGraceMs, 4000);
    assert.deepEqual(c.rules, { autoReplyRequireAuth: true, autoRepliesPerHour: 60, forwardsPerHour: 120 });
    assert.equal(c.blobStore, "fs");
  });

  it("keeps blobs in PostgreSQL by default with DATABASE_URL, on disk when told", () => {
    const url = "postgres://u@db.example/postbox";
    const pg = loadConfig({ DATABASE_URL: url });
    assert.equal(pg.blobStore, "postgres");
    assert.equal(pg.blobStoreChosen, false);
    const fs = loadConfig({ DATABASE_URL: url, POSTBOX_BLOB_STORE: "fs" });
    assert.equal(fs.blobStore, "fs");
    assert.equal(fs.blobStoreChosen, true);
    assert.equal(loadConfig({ DATABASE_URL: url, POSTBOX_BLOB_STORE: "postgres" }).blobStoreChosen, true);
    assert.equal(loadConfig({ POSTBOX_BLOB_STORE: "fs" }).blobStore, "fs");
  });

  it("has the dashboard on, from the repository's bundle, with 12-hour sessions; no proxy trusted", () => {
    const c = loadConfig({});
    assert.equal(c.dashboard.enabled, true);
    assert.equal(c.dashboard.sessionHours, 12);
    assert.equal(c.dashboard.dir, path.resolve(import.meta.dirname, "../../../dashboard/dist"));
    assert.equal(c.trustProxy, false);
    const set = loadConfig({
      POSTBOX_DASHBOARD: "0",
      POSTBOX_DASHBOARD_DIR: "./ui",
      POSTBOX_DASHBOARD_SESSION_HOURS: "720",
      POSTBOX_TRUST_PROXY: "1",
    });
    assert.deepEqual(set.dashboard, { enabled: false, dir: path.resolve("./ui"), sessionHours: 720 });
    assert.equal(set.trustProxy, true);
  });

  it("reads the limits of rules' automatic mail", () => {
    const c = loadConfig({
      POSTBOX_AUTO_REPLY_REQUIRE_AUTH: "0",
      POSTBOX_AUTO_REPLIES_PER_HOUR: "5",
      POSTBOX_RULE_FORWARDS_PER_HOUR: "7",
    });
    assert.deepEqual(c.rules, { autoReplyRequireAuth: false, autoRepliesPerHour: 5, forwardsPerHour: 7 });
  });

  it("reads where /metrics is served", () => {
    const c = loadConfig({
      POSTBOX_METRICS: "1",
      POSTBOX_METRICS_PORT: "9464",
      POSTBOX_METRICS_HOST: "0.0.0.0",
      POSTBOX_METRICS_TOKEN: "0123456789abcdef0123",
    });
    assert.deepEqual(c.metrics, { onApi: true, port: 9464, host: "0.0.0.0", token: "0123456789abcdef0123" });
    assert.equal(loadConfig({ POSTBOX_ROLES: "worker", POSTBOX_METRICS_PORT: "0" }).metrics.port, 0);
  });

  it("parses a relay URL", () => {
    const c = loadConfig({ POSTBOX_SMTP_RELAY: "smtp://user:p%40ss@127.0.0.1:2526" });
    assert.deepEqual(c.smtpRelay, {
      host: "127.0.0.1",
      port: 2526,
      secure: false,
      user: "user",
      pass: "p@ss",
    });
    assert.equal(loadConfig({ POSTBOX_SMTP_RELAY: "smtps://relay.example" }).smtpRelay?.port, 465);
  });

  const cases: [Record<string, string>, RegExp][] = [
    [{ POSTBOX_HTTP_PORT: "eighty" }, /^POSTBOX_HTTP_PORT: .*port number/],
    [{ POSTBOX_SMTP_PORT: "70000" }, /^POSTBOX_SMTP_PORT/],
    [{ POSTBOX_ROLES: "api,mail" }, /^POSTBOX_ROLES: unknown role "mail"/],
    [{ POSTBOX_ROLES: "," }, /^POSTBOX_ROLES/],
    [{ POSTBOX_DOMAIN: "not a domain" }, /^POSTBOX_DOMAIN/],
    [{ POSTBOX_SMTP_RELAY: "http://x" }, /^POSTBOX_SMTP_RELAY: scheme/],
    [{ POSTBOX_SMTP_RELAY: "::::" }, /^POSTBOX_SMTP_RELAY: .*not a URL/],
    [{ DATABASE_URL: "mysql://x" }, /^DATABASE_URL/],
    [{ POSTBOX_ADMIN_KEY: "secret" }, /^POSTBOX_ADMIN_KEY: must have the form/],
    [{ POSTBOX_TLS_CERT: "/x.pem" }, /^POSTBOX_TLS_CERT and POSTBOX_TLS_KEY/],
    [{ POSTBOX_MAX_MESSAGE_BYTES: "0" }, /^POSTBOX_MAX_MESSAGE_BYTES/],
    [{ POSTBOX_RETRY_SCHEDULE: "1m,often" }, /^POSTBOX_RETRY_SCHEDULE/],
    [{ POSTBOX_SMTP_POLICY_TIMEOUT_MS: "-5" }, /^POSTBOX_SMTP_POLICY_TIMEOUT_MS/],
    [{ POSTBOX_AUTH_TIMEOUT_MS: "soon" }, /^POSTBOX_AUTH_TIMEOUT_MS/],
    [{ POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT: "0" }, /^POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT/],
    [{ POSTBOX_AUTO_REPLY_REQUIRE_AUTH: "maybe" }, /^POSTBOX_AUTO_REPLY_REQUIRE_AUTH: .*1 or 0/],
    [{ POSTBOX_AUTO_REPLIES_PER_HOUR: "0" }, /^POSTBOX_AUTO_REPLIES_PER_HOUR/],
    [{ POSTBOX_RULE_FORWARDS_PER_HOUR: "lots" }, /^POSTBOX_RULE_FORWARDS_PER_HOUR/],
    [{ POSTBOX_SMTP_MAX_CONNECTIONS_PER_IP: "0" }, /^POSTBOX_SMTP_MAX_CONNECTIONS_PER_IP/],
    [{ POSTBOX_MAX_STREAMS_PER_KEY: "ten" }, /^POSTBOX_MAX_STREAMS_PER_KEY/],
    [{ POSTBOX_DASHBOARD: "off" }, /^POSTBOX_DASHBOARD: .*1 or 0/],
    [{ POSTBOX_DASHBOARD_SESSION_HOURS: "0" }, /^POSTBOX_DASHBOARD_SESSION_HOURS/],
    [{ POSTBOX_DASHBOARD_SESSION_HOURS: "721" }, /^POSTBOX_DASHBOARD_SESSION_HOURS: 721 is more than 720/],
    [{ POSTBOX_TRUST_PROXY: "yes please" }, /^POSTBOX_TRUST_PROXY/],
    [{ POSTBOX_BLOB_STORE: "s3" }, /^POSTBOX_BLOB_STORE: "s3" is not one of fs, postgres/],
    [{ POSTBOX_BLOB_STORE: "postgres" }, /^POSTBOX_BLOB_STORE: postgres needs DATABASE_URL/],
    [{ POSTBOX_SMTP_GREETING_DELAY_MS: "-1" }, /^POSTBOX_SMTP_GREETING_DELAY_MS: .*from 0 to 300000/],
    [{ POSTBOX_SMTP_GREETING_DELAY_MS: "300001" }, /^POSTBOX_SMTP_GREETING_DELAY_MS/],
    [{ POSTBOX_METRICS: "1", POSTBOX_ROLES: "worker" }, /^POSTBOX_METRICS: .*set POSTBOX_METRICS_PORT/],
    [{ POSTBOX_METRICS: "on" }, /^POSTBOX_METRICS: .*1 or 0/],
    [{ POSTBOX_METRICS_PORT: "ninety" }, /^POSTBOX_METRICS_PORT/],
    [{ POSTBOX_METRICS_TOKEN: "short" }, /^POSTBOX_METRICS_TOKEN: .*16/],
    [
      { POSTBOX_HTTP_HEADERS_TIMEOUT_MS: "20000", POSTBOX_HTTP_BODY_TIMEOUT_MS: "5000" },
      /^POSTBOX_HTTP_HEADERS_TIMEOUT_MS: .*must not exceed POSTBOX_HTTP_BODY_TIMEOUT_MS/,
    ],
  ];
  for (const [env, message] of cases) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes("\n"),
      );
    });
  }
});
