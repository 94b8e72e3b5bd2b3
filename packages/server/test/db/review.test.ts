import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError } from "@postbox/sdk";
import { expireHolds } from "../../src/outbound/review-expiry.ts";
import { dbLabel, eventually, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";

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
    assert.deepEqual(ok.scan, { verdict: "clean", categories: [], findings: [] });
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
    assert.deepEqual(q.scan.categories, [{ category: "pii", decision: "quarantine" }]);
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

  it("states each send's effect; Prefer: outcome=strict turns a held or blocked send into 409 or 422", async () => {
    // A mailbox of its own: the holds made here must not count in the expiry test below.
    await t.client().mailboxes.create({ name: "effects" });
    const admin = t.client();
    const send = (text: string) =>
      admin.messages.send({ from_mailbox: "effects", to: "client@example.com", subject: "e", body: text });
    const sent = await send("Lunch at noon?");
    assert.deepEqual(sent.email_effect, {
      effect_status: "sent",
      releasable: false,
      terminal: false,
      retryable: false,
    });
    assert.equal(typeof sent.daily_limit, "number");
    assert.equal(typeof sent.sends_remaining, "number");
    const held = await send("My SSN is 123-45-6780");
    assert.deepEqual(held.email_effect, {
      effect_status: "held_for_review",
      releasable: true,
      terminal: false,
      retryable: false,
    });
    const strictHeaders = { prefer: "outcome=strict" };
    const body = { from_mailbox: "effects", to: "client@example.com", subject: "s" };
    const strictHeld = await t.api("POST", "/v1/messages/send", {
      headers: strictHeaders,
      body: { ...body, body: "My SSN is 123-45-6780" },
    });
    assert.equal(strictHeld.status, 409);
    assert.equal(strictHeld.body.code, "EMAIL_EFFECT_HELD");
    assert.equal(strictHeld.body.details.email_effect.effect_status, "held_for_review");
    assert.ok(strictHeld.body.details.message_id, "the held message exists: the client must not resend");
    const strictBlocked = await t.api("POST", "/v1/messages/send", {
      headers: strictHeaders,
      body: { ...body, body: "prod key AKIAIOSFODNN7EXAMPLE" },
    });
    assert.equal(strictBlocked.status, 422);
    assert.equal(strictBlocked.body.code, "EMAIL_EFFECT_BLOCKED");
    assert.equal(strictBlocked.body.details.email_effect.terminal, true);
    const strictSent = await t.api("POST", "/v1/messages/send", {
      headers: strictHeaders,
      body: { ...body, body: "All good." },
    });
    assert.equal(strictSent.status, 200);
    assert.equal(strictSent.body.email_effect.effect_status, "sent");
  });

  it("sends a draft asynchronously with Prefer: respond-async; a failure arrives as message.dispatch_failed", async () => {
    const ok = await t.client().drafts.create({
      from_mailbox: "effects",
      to: "client@example.com",
      subject: "a",
      body: "Fine.",
    });
    const queued = await t.api("POST", `/v1/drafts/${ok.id}/send`, {
      headers: { prefer: "respond-async" },
    });
    assert.equal(queued.status, 202);
    assert.deepEqual(queued.body, { draft_id: ok.id, status: "queued_for_dispatch" });
    await eventually(async () => (await t.client().drafts.get(ok.id)).state === "sent");
    const bad = await t.client().drafts.create({
      from_mailbox: "effects",
      to: "client@example.com",
      subject: "b",
      body: "fine",
    });
    await t.client().drafts.update(bad.id, { body: "prod key AKIAIOSFODNN7EXAMPLE" });
    const again = await t.api("POST", `/v1/drafts/${bad.id}/send`, {
      headers: { prefer: "respond-async" },
    });
    assert.equal(again.status, 202);
    const failed = await eventually(async () =>
      (await t.client().events.list({ types: ["message.dispatch_failed"] })).data.find(
        (e) => (e.data as { draft_id?: string }).draft_id === bad.id,
      ),
    );
    assert.equal((failed.data as { code: string }).code, "DRAFT_REJECTED_BY_RESCAN");
    assert.equal((await t.client().drafts.get(bad.id)).state, "draft", "a draft again, to be edited");
  });

  it("holds for review by mailbox setting; only an admin approves, with a note when the policy asks", async () => {
    const updated = await t.client().mailboxes.update("sales", {
      hitl_mode: "all_outbound",
      scanner_policy: {
        outbound_pii_policy: { credit_card: "review" },
        outbound_review_policy: { approval_note: "required_for_sensitive_pii" },
      },
    });
    // The hold answers under the seed's name, the only one its clients know.
    assert.equal(updated.scanner_policy.outbound_pii_policy?.credit_card, "review");
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
    // The seed's clients send `reason` and read `message_id` and `status`.
    const denied = (
      await t.api("POST", `/v1/messages/${held.message_id}/deny`, { body: { reason: "not now" } })
    ).body;
    assert.equal(denied.state, "blocked");
    assert.deepEqual([denied.message_id, denied.status], [held.message_id, "blocked"]);
    assert.equal(denied.review?.decision, "denied");
    assert.equal(denied.review?.note, "not now");
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
