import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError, type MailPolicy, ValidationError } from "@postbox/sdk";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

const scheduling: MailPolicy = {
  defaultAction: "bounce",
  senders: [
    {
      match: { address: "boss@acme.com" },
      capabilities: ["read_calendar", "propose_meeting", "confirm_meeting"],
      rateLimit: { perHour: 30 },
      tokenBudget: { perThread: 8000, perDay: 100_000 },
    },
    {
      match: { domain: "acme.com", requireDkim: true },
      capabilities: ["read_calendar"],
      rateLimit: { perHour: 10 },
    },
  ],
  contentGuards: [{ reject: "(?i)wire transfer", reason: "phishing-likely keyword" }],
  auditLog: { retentionDays: 30, includeBodyHash: true },
};

describe(`MailPolicy API (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.client().mailboxes.create({ name: "scheduler" });
  });
  after(() => t.stop());

  it("has no policy by default, then stores and returns the document exactly", async () => {
    const pb = t.client();
    assert.deepEqual((await pb.getPolicy("scheduler")).policy, null);
    const set = await pb.setPolicy("scheduler", scheduling);
    assert.deepEqual(set.policy, scheduling);
    assert.deepEqual(set.warnings, []);
    const got = await pb.getPolicy("scheduler");
    assert.deepEqual(got.policy, scheduling);
    assert.ok(got.updated_at);
  });

  it("refuses invalid documents with the spec's error strings", async () => {
    const res = await t.api("PUT", "/v1/mailboxes/scheduler/policy", {
      body: { ...scheduling, auditLog: { retentionDays: 0 }, contentGuards: [{ reject: "(", reason: "x" }] },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, "VALIDATION_ERROR");
    assert.deepEqual(res.body.errors, [
      "contentGuards[0].reject is not a valid regex",
      "auditLog.retentionDays must be >= 1",
    ]);
    await assert.rejects(
      t.client().setPolicy("scheduler", { ...scheduling, senders: [{ match: {}, capabilities: [""] }] }),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.deepEqual(e.fieldErrors, ["senders[0].capabilities[0] is empty"]);
        return true;
      },
    );
    // The stored policy is untouched by a refused update.
    assert.deepEqual((await t.client().getPolicy("scheduler")).policy, scheduling);
  });

  it("accepts unknown capability strings with a warning", async () => {
    const res = await t
      .client()
      .setPolicy("scheduler", { ...scheduling, senders: [{ match: {}, capabilities: ["open_tickets"] }] });
    assert.deepEqual(res.warnings, [
      'senders[0].capabilities[0] "open_tickets" is not a capability the platform has seen before',
    ]);
  });

  it("lets agents read their mailbox's policy but not change it", async () => {
    const key = await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["scheduler"] });
    const agent = t.client(key.key);
    assert.ok((await agent.getPolicy("scheduler")).policy);
    await assert.rejects(agent.setPolicy("scheduler", scheduling), ForbiddenError);
    const raw = await t.api("PUT", "/v1/mailboxes/scheduler/policy", {
      raw: "not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(raw.body.code, "INVALID_JSON");
  });
});
