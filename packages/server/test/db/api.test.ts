import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError, NotFoundError, ValidationError } from "@postbox/sdk";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

describe(`API: keys, mailboxes, isolation and errors (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("reports health without a key", async () => {
    const res = await t.api("GET", "/v1/health", { key: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "ok");
    assert.equal(res.body.database, true);
    assert.ok(["pglite", "postgres"].includes(res.body.database_kind));
    assert.equal(typeof res.body.queue.deliveries_pending, "number");
    assert.equal(res.body.queue_depth, res.body.queue.deliveries_pending + res.body.queue.inbound_pending);
    assert.ok(!Number.isNaN(Date.parse(res.body.timestamp)));
    // The seed's CLI probes this before it sends has_attachment.
    assert.ok(res.body.capabilities.includes("messages.has_attachment_filter"));
    for (const c of ["wait", "webhooks", "drafts", "bridge", "smtp", "dkim"])
      assert.ok(res.body.capabilities.includes(c), c);
    assert.match(res.body.version, /^\d+\.\d+\.\d+/);
  });

  it("writes the first admin key to admin.key with mode 0600", async () => {
    const { stat, readFile } = await import("node:fs/promises");
    const st = await stat(`${t.dataDir}/admin.key`);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal((await readFile(`${t.dataDir}/admin.key`, "utf8")).trim(), t.adminKey);
  });

  it("refuses missing, malformed and unknown keys with 401", async () => {
    for (const key of [
      null,
      "nope",
      "pbx_live_aaaaaaaaaaaaaaaa.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ]) {
      const res = await t.api("GET", "/v1/mailboxes", { key });
      assert.equal(res.status, 401, String(key));
      assert.match(res.body.code, /UNAUTHENTICATED|INVALID_API_KEY/);
      assert.equal(typeof res.body.error, "string");
    }
  });

  it("creates, reads, updates and deletes mailboxes by id or name", async () => {
    const pb = t.client();
    const mb = await pb.mailboxes.create({ name: "crud", display_name: "CRUD Desk" });
    assert.equal(mb.address, "crud@test.local");
    assert.equal((await pb.mailboxes.get("crud")).id, mb.id);
    assert.equal((await pb.mailboxes.get(mb.id)).name, "crud");
    assert.equal((await pb.mailboxes.update("crud", { display_name: "Desk" })).display_name, "Desk");
    const dup = await t.api("POST", "/v1/mailboxes", { body: { name: "crud" } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, "MAILBOX_NAME_TAKEN");
    await pb.mailboxes.delete(mb.id);
    await assert.rejects(pb.mailboxes.get("crud"), NotFoundError);
    // The name is free again once the mailbox is gone.
    const again = await pb.mailboxes.create({ name: "crud" });
    assert.notEqual(again.id, mb.id);
  });

  it("validates mailbox names with a field error", async () => {
    for (const name of ["Bad Name", "a+b", "", "x".repeat(65)]) {
      const res = await t.api("POST", "/v1/mailboxes", { body: { name } });
      assert.equal(res.status, 400, name);
      assert.equal(res.body.code, "VALIDATION_ERROR");
      assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0);
    }
    await assert.rejects(t.client().mailboxes.create({ name: "UPPER" }), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.match(e.fieldErrors[0]!, /lowercase/);
      return true;
    });
  });

  it("pages through mailboxes with an opaque cursor", async () => {
    const pb = t.client();
    for (let i = 0; i < 5; i++) await pb.mailboxes.create({ name: `page-${i}` });
    const first = await pb.mailboxes.list({ limit: 2 });
    assert.equal(first.data.length, 2);
    assert.equal(first.hasMore, true);
    const all = [];
    for await (const m of pb.mailboxes.list({ limit: 2, autoPaginate: true })) all.push(m.name);
    assert.equal(new Set(all).size, all.length);
    for (let i = 0; i < 5; i++) assert.ok(all.includes(`page-${i}`));
  });

  it("binds agent keys to their mailboxes", async () => {
    const pb = t.client();
    const a = await pb.mailboxes.create({ name: "agent-a" });
    const b = await pb.mailboxes.create({ name: "agent-b" });
    const key = await pb.apiKeys.create({ role: "agent", mailbox_ids: ["agent-a"], label: "bot" });
    assert.deepEqual(key.mailbox_ids, [a.id]);
    const agent = t.client(key.api_key);
    assert.equal((await agent.mailboxes.get(a.id)).name, "agent-a");
    await assert.rejects(
      agent.mailboxes.get(b.id),
      (e: unknown) => e instanceof ForbiddenError && e.code === "MAILBOX_FORBIDDEN",
    );
    await assert.rejects(agent.messages.list(b.id), ForbiddenError);
    await assert.rejects(agent.messages.wait(b.id, { timeout: 1 }), ForbiddenError);
    await assert.rejects(
      agent.messages.send({ from_mailbox: "agent-b", to: "x@example.com", subject: "s", body: "b" }),
      ForbiddenError,
    );
    const listed = await agent.mailboxes.list();
    assert.deepEqual(
      listed.data.map((m) => m.id),
      [a.id],
    );
    // Nor any message or thread of B, even by id.
    const ingested = await t.api("POST", "/v1/ingest?rcpt_to=agent-b@test.local", {
      raw: "From: a@example.org\r\nSubject: for b\r\n\r\nx\r\n",
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const inB = await pb.messages.get(ingested.body.accepted[0].message_id);
    await assert.rejects(agent.messages.get(inB.id), NotFoundError);
    await assert.rejects(agent.messages.getRaw(inB.id), NotFoundError);
    await assert.rejects(agent.messages.reply(inB.id, { body: "x" }), NotFoundError);
    await assert.rejects(agent.threads.get(inB.thread_id!), NotFoundError);
    // Agents cannot administer.
    await assert.rejects(
      agent.mailboxes.create({ name: "agent-c" }),
      (e: unknown) => e instanceof ForbiddenError && e.code === "INSUFFICIENT_SCOPE",
    );
    await assert.rejects(agent.apiKeys.create({ role: "admin" }), ForbiddenError);
    // An agent key needs at least one mailbox.
    const bad = await t.api("POST", "/v1/accounts/api-keys", { body: { role: "agent" } });
    assert.equal(bad.status, 400);
  });

  it("revokes and rotates keys", async () => {
    const pb = t.client();
    const extra = await pb.apiKeys.create({ role: "admin", label: "temp" });
    const temp = t.client(extra.api_key);
    assert.equal((await temp.health.check()).status, "ok");
    const rotated = await temp.apiKeys.rotate();
    assert.equal(rotated.replaces, extra.id);
    assert.equal((await t.api("GET", "/v1/mailboxes", { key: extra.api_key })).status, 401);
    assert.equal((await t.api("GET", "/v1/mailboxes", { key: rotated.api_key })).status, 200);
    await pb.apiKeys.revoke(rotated.id);
    assert.equal((await t.api("GET", "/v1/mailboxes", { key: rotated.api_key })).status, 401);
    const keys = await pb.apiKeys.list({ includeRevoked: true });
    assert.ok(keys.data.every((k) => !("secret_hash" in k) && !("api_key" in k)));
    const gone = keys.data.find((k) => k.id === rotated.id);
    assert.equal(gone?.status, "revoked");
    assert.ok(gone?.revoked_at);
    assert.ok(
      !(await pb.apiKeys.list()).data.some((k) => k.id === rotated.id),
      "active keys only by default",
    );
  });

  it("rebinds an agent key in place: the same key reaches the new mailboxes only", async () => {
    const pb = t.client();
    const [one, two] = [
      await pb.mailboxes.create({ name: "bind-one" }),
      await pb.mailboxes.create({ name: "bind-two" }),
    ];
    const agentKey = await pb.apiKeys.create({ role: "agent", mailbox_ids: ["bind-one"], label: "mover" });
    assert.equal(agentKey.label, "mover");
    assert.ok(agentKey.prefix.startsWith("pbx_live_"));
    const agent = t.client(agentKey.api_key);
    assert.equal((await agent.mailboxes.get(one.id)).name, "bind-one");
    const rebound = await pb.apiKeys.rebind(agentKey.id, ["bind-two"]);
    assert.deepEqual(rebound.mailbox_ids, [two.id]);
    await assert.rejects(agent.mailboxes.get(one.id), ForbiddenError);
    assert.equal((await agent.mailboxes.get(two.id)).name, "bind-two");
    const admin = (await pb.apiKeys.list()).data.find((k) => k.role === "admin")!;
    const notAgent = await t.api("PATCH", `/v1/accounts/api-keys/${admin.id}`, { body: { mailbox_ids: [] } });
    assert.equal(notAgent.status, 400);
    assert.equal(notAgent.body.code, "NOT_AN_AGENT_KEY");
    const asAgent = await t.api("PATCH", `/v1/accounts/api-keys/${agentKey.id}`, {
      key: agentKey.api_key,
      body: { mailbox_ids: ["bind-one"] },
    });
    assert.equal(asAgent.status, 403, "an agent cannot rebind itself");
  });

  it("refuses to revoke the last admin key", async () => {
    const keys = await t.client().apiKeys.list();
    const admins = keys.data.filter((k) => k.role === "admin" && !k.revoked_at);
    assert.equal(admins.length, 1);
    const res = await t.api("DELETE", `/v1/accounts/api-keys/${admins[0]!.id}`);
    assert.equal(res.status, 409);
    assert.equal(res.body.code, "LAST_ADMIN_KEY");
  });

  it("answers the seed's account, identity, usage and quota reads", async () => {
    const pb = t.client();
    const me = await pb.accounts.me();
    assert.equal(me.account_id, me.id);
    assert.equal(me.status, "active");
    assert.equal(me.tier, "self_hosted");
    const who = await pb.accounts.whoami();
    assert.equal(who.account_id, me.id);
    assert.equal(who.role, "admin");
    await pb.mailboxes.create({ name: "usage-box" });
    const sent = await pb.messages.send({
      from_mailbox: "usage-box",
      to: "someone@example.com",
      subject: "u",
      body: "u",
    });
    assert.equal(sent.status, "sent");
    const usage = await pb.accounts.usage();
    assert.ok(usage.today.count >= 1, "the send is counted today");
    assert.equal(usage.today.day, new Date().toISOString().slice(0, 10));
    assert.equal(usage.history.at(-1)?.day, usage.today.day);
    assert.ok(usage.mailbox_count >= 1);
    assert.ok(usage.storage.used_bytes > 0);
    const { raw_mime_bytes, derivative_bytes } = usage.storage.breakdown;
    assert.equal(raw_mime_bytes + derivative_bytes, usage.storage.used_bytes);
    assert.ok(derivative_bytes > 0, "the parsed bodies are counted apart from the raw messages");
    const quota = await pb.accounts.quota();
    assert.equal(quota.scope, "admin");
    assert.deepEqual(quota.bound_mailbox_ids, []);
    assert.equal(quota.sends_remaining, quota.today.limit - quota.today.count);
    const agent = await pb.apiKeys.create({ role: "agent", mailbox_ids: ["usage-box"] });
    const agentQuota = await t.client(agent.api_key).accounts.quota();
    assert.equal(agentQuota.scope, "agent");
    assert.equal(agentQuota.bound_mailbox_ids.length, 1);
    await assert.rejects(t.client(agent.api_key).accounts.usage(), ForbiddenError);
    assert.equal((await t.client(agent.api_key).accounts.whoami()).role, "agent");
  });

  it("keeps accounts apart in both directions", async () => {
    const created = await t.client().accounts.create({ name: "other" });
    assert.equal(created.is_default, false);
    const other = { key: created.admin_key, row: { id: created.admin_key_id } };
    const mine = await t.client().mailboxes.create({ name: "tenant-one" });
    const them = t.client(other.key);
    const theirs = await them.mailboxes.create({ name: "tenant-two" });
    await assert.rejects(them.mailboxes.get(mine.id), NotFoundError);
    await assert.rejects(them.mailboxes.get("tenant-one"), NotFoundError);
    await assert.rejects(them.messages.list(mine.id), NotFoundError);
    await assert.rejects(them.messages.wait(mine.id, { timeout: 1 }), NotFoundError);
    await assert.rejects(them.threads.list(mine.id), NotFoundError);
    // A message of ours, by id: invisible to them, in every form.
    const raw = "From: a@example.org\r\nTo: tenant-one@test.local\r\nSubject: private\r\n\r\nsecret\r\n";
    const ingested = await t.api("POST", "/v1/ingest?rcpt_to=tenant-one@test.local", {
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const msgId = ingested.body.accepted[0].message_id as string;
    const msg = await t.client().messages.get(msgId);
    await assert.rejects(them.messages.get(msgId), NotFoundError);
    await assert.rejects(them.messages.getRaw(msgId), NotFoundError);
    await assert.rejects(them.messages.markRead(msgId), NotFoundError);
    await assert.rejects(them.messages.reply(msgId, { body: "x" }), NotFoundError);
    await assert.rejects(them.threads.get(msg.thread_id!), NotFoundError);
    // Their ingest key cannot deliver into our mailbox either.
    const theirIngest = await them.apiKeys.create({ role: "ingest" });
    const cross = await t.api("POST", "/v1/ingest?rcpt_to=tenant-one@test.local", {
      key: theirIngest.api_key,
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(cross.status, 422);
    assert.ok((await them.mailboxes.list()).data.every((m) => m.id !== mine.id));
    await assert.rejects(t.client().mailboxes.get(theirs.id), NotFoundError);
    assert.ok((await t.client().apiKeys.list()).data.every((k) => k.id !== other.row.id));
    const revoke = await t.api("DELETE", `/v1/accounts/api-keys/${other.row.id}`);
    assert.equal(revoke.status, 404);
    // Names are one address space: the other account cannot take ours.
    const clash = await t.api("POST", "/v1/mailboxes", { key: other.key, body: { name: "tenant-one" } });
    assert.equal(clash.status, 409);
    // Only the operator (default account) manages accounts.
    assert.equal((await them.accounts.me()).id, created.id);
    await assert.rejects(
      them.accounts.create({ name: "third" }),
      (e: unknown) => e instanceof ForbiddenError && e.code === "INSUFFICIENT_SCOPE",
    );
    await assert.rejects(them.accounts.list(), ForbiddenError);
    const all = await t.client().accounts.list();
    assert.deepEqual(all.data.map((a) => a.name).sort(), ["default", "other"]);
  });

  it("answers bad input with a clear error and a code", async () => {
    const cases: [
      string,
      string,
      { body?: unknown; raw?: string; headers?: Record<string, string> },
      number,
      string,
    ][] = [
      [
        "POST",
        "/v1/mailboxes",
        { raw: "{not json", headers: { "content-type": "application/json" } },
        400,
        "INVALID_JSON",
      ],
      ["POST", "/v1/mailboxes", { body: {} }, 400, "VALIDATION_ERROR"],
      ["POST", "/v1/mailboxes", { body: { name: 42 } }, 400, "VALIDATION_ERROR"],
      ["POST", "/v1/mailboxes", { body: { name: "ok-name", extra: true } }, 400, "VALIDATION_ERROR"],
      [
        "POST",
        "/v1/mailboxes",
        { raw: "name=x", headers: { "content-type": "text/plain" } },
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      ["GET", "/v1/mailboxes/does-not-exist", {}, 404, "NOT_FOUND"],
      ["GET", "/v1/messages/not-a-uuid", {}, 404, "NOT_FOUND"],
      ["GET", "/v1/messages/0b7e4a3c-1f1a-4d7c-9a7e-1a2b3c4d5e6f", {}, 404, "NOT_FOUND"],
      ["GET", "/v1/threads/0b7e4a3c-1f1a-4d7c-9a7e-1a2b3c4d5e6f", {}, 404, "NOT_FOUND"],
      ["GET", "/v1/mailboxes?limit=0", {}, 400, "VALIDATION_ERROR"],
      ["GET", "/v1/mailboxes?cursor=garbage", {}, 400, "INVALID_CURSOR"],
      ["GET", "/v1/nothing-here", {}, 404, "ROUTE_NOT_FOUND"],
      [
        "POST",
        "/v1/messages/send",
        { body: { from_mailbox: "crud", to: "x@example.com" } },
        400,
        "VALIDATION_ERROR",
      ],
      [
        "POST",
        "/v1/messages/send",
        { body: { from_mailbox: "crud", to: "not-an-address", subject: "s", body: "b" } },
        400,
        "VALIDATION_ERROR",
      ],
      [
        "POST",
        "/v1/messages/send",
        { body: { from_mailbox: "crud", to: ["a@b.co"], subject: "bad\r\nBcc: x@y.z", body: "b" } },
        400,
        "VALIDATION_ERROR",
      ],
      [
        "POST",
        "/v1/messages/send",
        {
          raw: JSON.stringify({ x: "y".repeat(2 * 1024 * 1024) }),
          headers: { "content-type": "application/json" },
        },
        413,
        "PAYLOAD_TOO_LARGE",
      ],
    ];
    for (const [method, path, opts, status, code] of cases) {
      const res = await t.api(method, path, opts);
      assert.equal(res.status, status, `${method} ${path} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, code, `${method} ${path}`);
      assert.equal(typeof res.body.error, "string");
      assert.ok(!JSON.stringify(res.body).includes("    at "), "no stack trace");
    }
    const missing = await t.api("POST", "/v1/mailboxes", { body: {} });
    assert.deepEqual(missing.body.errors, ["body.name is required"]);
    assert.equal((await t.api("GET", "/v1/health", { key: null })).status, 200);
  });

  it("publishes an OpenAPI document", async () => {
    const res = await t.api("GET", "/v1/openapi.json", { key: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, "3.1.0");
    for (const p of [
      "/v1/mailboxes",
      "/v1/messages/send",
      "/v1/mailboxes/{id}/messages/wait",
      "/v1/ingest",
      "/v1/accounts/api-keys/rotate",
    ]) {
      assert.ok(res.body.paths[p], p);
    }
  });
});
