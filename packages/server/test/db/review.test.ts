import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError } from "@postbox/sdk";
import { expireHolds } from "../../src/outbound/review-expiry.ts";
import { dbLabel, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";

describe(`outbound scanning and human review (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let agentKey: string;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    await t.client().mailboxes.create({ name: "sales" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["sales"] })).api_key;
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  const agent = () => t.client(agentKey);
  const send = (body: string, subject = "Hello") =>
    agent().messages.send({ from_mailbox: "sales", to: "client@example.com", subject, body });

  it("sends clean mail and reports the scan; a phone number goes with a warning", async () => {
    const ok = await send("See you Monday.");
    assert.equal(ok.status, "sent");
    assert.deepEqual(ok.scan, { verdict: "clean", findings: [] });
    assert.equal(ok.hold_context, null);
    const warned = await send("Call me at (415) 555-2671.");
    assert.equal(warned.status, "sent");
    assert.equal(warned.scan.verdict, "warning");
    assert.equal(warned.scan.findings[0]?.pii_type, "phone_number");
    await t.pb.drain();
    await sink.waitFor(2);
  });

  it("quarantines PII by default, blocks secrets, and neither is delivered", async () => {
    const before = sink.received.length;
    const q = await send("My SSN is 123-45-6780");
    assert.equal(q.status, "quarantined");
    assert.equal(q.hold_context?.trigger_source, "scanner");
    const b = await send("prod key AKIAIOSFODNN7EXAMPLE");
    assert.equal(b.status, "blocked");
    assert.equal(b.scan.findings[0]?.category, "secret_detected");
    await t.pb.drain();
    assert.equal(sink.received.length, before);
    const msg = await agent().messages.get(q.message_id);
    assert.equal(msg.state, "quarantined");
    assert.deepEqual(msg.deliveries, []);
    assert.equal(msg.scan?.verdict, "quarantined");
  });

  it("holds for review by mailbox setting; only an admin approves, with a note when the policy asks", async () => {
    await t.client().mailboxes.update("sales", {
      hitl_mode: "all_outbound",
      scanner_policy: {
        outbound_pii_policy: { credit_card: "review" },
        outbound_review_policy: { approval_note: "required_for_sensitive_pii" },
      },
    });
    const plain = await send("Quote attached.", "Quote");
    assert.equal(plain.status, "pending_review");
    assert.equal(plain.hold_context?.trigger_source, "mailbox_policy");
    const card = await send("Card on file: 4111 1111 1111 1111", "Card");
    assert.equal(card.status, "pending_review");
    assert.equal(card.hold_context?.trigger_source, "both");
    const queue = await t.client().messages.reviews({ mailbox: "sales" });
    assert.deepEqual(
      queue.data.map((m) => m.id),
      [plain.message_id, card.message_id],
    );
    await assert.rejects(
      agent().messages.approve(plain.message_id),
      (e: unknown) => e instanceof ForbiddenError,
    );
    assert.equal((await t.api("GET", "/v1/reviews", { key: agentKey })).status, 403);

    const noNote = await t.api("POST", `/v1/messages/${card.message_id}/approve`, { body: {} });
    assert.equal(noNote.status, 400);
    assert.equal(noNote.body.code, "APPROVAL_NOTE_REQUIRED");
    const before = sink.received.length;
    const approved = await t.client().messages.approve(card.message_id, { note: "customer asked for it" });
    assert.equal(approved.state, "dispatching");
    assert.equal(approved.review?.decision, "approved");
    assert.equal(approved.review?.note, "customer asked for it");
    await t.client().messages.approve(plain.message_id);
    await t.pb.drain();
    await sink.waitFor(before + 2);
    const twice = await t.api("POST", `/v1/messages/${plain.message_id}/deny`, { body: {} });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, "MESSAGE_NOT_HELD");
  });

  it("denies, and blocks holds nobody decided within the mailbox's expiry", async () => {
    const held = await send("Another one.");
    const denied = await t.client().messages.deny(held.message_id, { note: "not now" });
    assert.equal(denied.state, "blocked");
    assert.equal(denied.review?.decision, "denied");
    const stale = await send("Forgotten.");
    await t.client().mailboxes.update("sales", { approval_expiry_hours: 1 });
    assert.equal(await expireHolds(t.pb.db, new Date(Date.now() + 30 * 60_000)), 0, "not yet");
    // This one, and the quarantined SSN send from above: quarantined sends expire too.
    assert.equal(await expireHolds(t.pb.db, new Date(Date.now() + 2 * 3_600_000)), 2);
    const m = await t.client().messages.get(stale.message_id);
    assert.equal(m.state, "blocked");
    assert.equal(m.review?.decision, "expired");
  });

  it("validates the review settings", async () => {
    for (const body of [
      { hitl_mode: "sometimes" },
      { scanner_policy: { outbound_pii_policy: { ssn: "shred" } } },
      { scanner_policy: { outbound_pii_policy: { passport: "block" } } },
      { approval_expiry_hours: 0 },
    ]) {
      const r = await t.api("PATCH", "/v1/mailboxes/sales", { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.code, "VALIDATION_ERROR");
    }
  });
});
