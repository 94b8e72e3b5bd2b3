import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, eventually, startTestServer, type TestServer } from "../helpers.ts";
import { streamEnds } from "../streams.ts";

describe(`a revoked or rotated key stops everywhere at once (${dbLabel})`, () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
    await t.client().mailboxes.create({ name: "rev" });
  });
  after(() => t.stop());

  const health = async () => (await t.api("GET", "/v1/health", { key: null })).body;

  it("rotation: the old key's reads, writes, event stream and pending wait all end; the new key works", async () => {
    const old = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["rev"], label: "rotating" }))
      .api_key;
    // Warm this process's cache with the old key.
    assert.equal((await t.api("GET", "/v1/mailboxes/rev", { key: old })).status, 200);
    const abort = new AbortController();
    const stream = await fetch(`${t.baseUrl}/v1/events/stream`, {
      headers: { authorization: `Bearer ${old}` },
      signal: abort.signal,
    });
    assert.equal(stream.status, 200);
    const ended = streamEnds(stream);
    const waiting = t.api("GET", "/v1/mailboxes/rev/messages/wait?timeout=60", { key: old });
    await eventually(async () => (await health()).waits_open === 1);

    const rotated = await t.api("POST", "/v1/accounts/api-keys/rotate", { key: old });
    assert.equal(rotated.status, 201);

    assert.equal((await t.api("GET", "/v1/mailboxes/rev", { key: old })).body.code, "INVALID_API_KEY");
    const write = await t.api("POST", "/v1/accounts/api-keys/rotate", { key: old });
    assert.equal(write.status, 401);
    assert.equal(write.body.code, "INVALID_API_KEY");
    // The stream and the wait were told by the key notification, not by a client hanging up.
    await ended;
    const waited = await waiting;
    assert.equal(waited.status, 401);
    assert.equal(waited.body.code, "INVALID_API_KEY");
    await eventually(async () => (await health()).streams_open === 0 && (await health()).waits_open === 0);

    assert.equal((await t.api("GET", "/v1/mailboxes/rev", { key: rotated.body.api_key })).status, 200);
    abort.abort();
  });

  it("revocation by an admin: the revoked key can no longer mutate or read", async () => {
    const created = await t.client().apiKeys.create({ role: "admin", label: "to revoke" });
    assert.equal((await t.api("GET", "/v1/accounts/api-keys", { key: created.api_key })).status, 200);
    const revoked = await t.api("DELETE", `/v1/accounts/api-keys/${created.id}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    // Creating a new admin key with the revoked one (the escalation a stale cache would allow) is refused.
    const escalate = await t.api("POST", "/v1/accounts/api-keys", {
      key: created.api_key,
      body: { role: "admin" },
    });
    assert.equal(escalate.status, 401);
    assert.equal((await t.api("GET", "/v1/accounts/api-keys", { key: created.api_key })).status, 401);
  });
});
