import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError, ValidationError } from "@postbox/sdk";
import { policyCounters } from "../../src/store/policy-counters.ts";
import { scheduling } from "../fixtures/policies.ts";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

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
    const agent = t.client(key.api_key);
    assert.ok((await agent.getPolicy("scheduler")).policy);
    await assert.rejects(agent.setPolicy("scheduler", scheduling), ForbiddenError);
    const raw = await t.api("PUT", "/v1/mailboxes/scheduler/policy", {
      raw: "not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(raw.body.code, "INVALID_JSON");
  });

  it("dry-runs a message through the policy, step by step, without moving counters", async () => {
    await t.client().setPolicy("scheduler", scheduling);
    const test = (body: unknown, headers?: Record<string, string>) =>
      t.api(
        "POST",
        "/v1/mailboxes/scheduler/policy/test",
        typeof body === "string" ? { raw: body, headers } : { body },
      );
    const boss = await test({ from: "Boss@Acme.com", body: "Lunch on Friday?" });
    assert.equal(boss.status, 200);
    assert.equal(boss.body.outcome, "accepted");
    assert.deepEqual(boss.body.capabilities, ["read_calendar", "propose_meeting", "confirm_meeting"]);
    assert.deepEqual(
      boss.body.trace.map((s: { step: string; result: string }) => `${s.step}:${s.result}`),
      [
        "sender_match:pass",
        "verification:skipped",
        "content_guards:pass",
        "rate_limit:pass",
        "token_budget:pass",
        "capabilities:pass",
      ],
    );
    assert.match(boss.body.trace[3].detail, /^1 this hour, 1 today$/);
    const again = await test({ from: "boss@acme.com", body: "x" });
    assert.match(again.body.trace[3].detail, /^1 this hour/, "a dry run moves no counter");

    const colleague = await test({ from: "pat@acme.com", body: "x" });
    assert.deepEqual(
      [colleague.body.outcome, colleague.body.disposition],
      ["rejected_at_verification", "bounce"],
    );
    assert.equal((await test({ from: "pat@acme.com", body: "x", dkim: true })).body.outcome, "accepted");
    assert.equal((await test({ from: "x@elsewhere.com", body: "x" })).body.outcome, "rejected_at_policy");
    const phish = await test({ from: "boss@acme.com", body: "urgent wire transfer" });
    assert.deepEqual(
      [phish.body.outcome, phish.body.reason],
      ["rejected_at_content_guard", "phishing-likely keyword"],
    );

    const raw = await test(
      "From: Boss <boss@acme.com>\r\nSubject: hi\r\n\r\nPlease approve the Wire Transfer.\r\n",
      {
        "content-type": "message/rfc822",
      },
    );
    assert.deepEqual(
      [raw.body.outcome, raw.body.input.sender],
      ["rejected_at_content_guard", "boss@acme.com"],
    );

    const bad = await test({ from: 42, dkim: "yes", extra: 1 });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, [
      "body.from must be a string",
      "body.dkim must be a boolean",
      "body.extra is not a known field",
    ]);
  });

  it("counts reported tokens against the sender's budget, retrospectively", async () => {
    await t.client().setPolicy("scheduler", scheduling);
    const ingest = await t.api("POST", "/v1/ingest?rcpt_to=scheduler@test.local", {
      raw: "From: boss@acme.com\r\nSubject: plan\r\nMessage-ID: <plan-1@acme.com>\r\n\r\nplan the offsite\r\n",
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const msg = await t.client().messages.get(ingest.body.accepted[0].message_id);
    const key = await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["scheduler"] });
    const report = (tokens: unknown) =>
      t.api("POST", `/v1/messages/${msg.id}/token-usage`, { key: key.api_key, body: { tokens } });
    assert.equal((await report(8000)).status, 201);
    const dry = () =>
      t.api("POST", "/v1/mailboxes/scheduler/policy/test", {
        body: { from: "boss@acme.com", body: "next", thread_id: msg.thread_id },
      });
    assert.equal((await dry()).body.outcome, "accepted", "8000 of 8000 is not past the budget");
    assert.equal((await report(1)).status, 201);
    const over = await dry();
    assert.equal(over.body.outcome, "budget_exhausted");
    assert.match(over.body.reason, /8001 tokens used in this thread > 8000/);
    assert.equal((await report(0)).status, 400);
    assert.equal((await report("many")).status, 400);
  });

  it("counts live in one atomic upsert per message, per rule and sender (case-insensitive)", async () => {
    const mb = await t.client().mailboxes.get("scheduler");
    const live = (sender: string) =>
      policyCounters(t.pb.db, { mailboxId: mb.id, sender, threadId: null }, "live");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => live(i % 2 ? "Tally@acme.com" : "tally@ACME.com").countInbound(0)),
    );
    assert.deepEqual(
      results.map((r) => r.hour).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(await live("other@acme.com").countInbound(0), { hour: 1, day: 1 });
    assert.deepEqual(await live("tally@acme.com").countInbound(1), { hour: 1, day: 1 });
  });
});
