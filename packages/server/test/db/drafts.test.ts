import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConflictError } from "@postbox/sdk";
import { dbLabel, eventually, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";

describe(`drafts (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let agentKey: string;
  let otherKey: string;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    await t.client().mailboxes.create({ name: "writer" });
    await t.client().mailboxes.create({ name: "elsewhere" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["writer"] })).api_key;
    otherKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["elsewhere"] })).api_key;
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  const api = (method: string, path: string, body?: unknown, key = agentKey) =>
    t.api(method, path, { key, body });

  it("creates, scans, lists, edits (rescanned) and sends a draft once", async () => {
    const created = await api("POST", "/v1/drafts", {
      from_mailbox: "writer",
      to: "client@example.com",
      subject: "Proposal",
      body: "Call me on (415) 555-2671",
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, "draft");
    assert.equal(created.body.worst_decision, "allow_with_warning");
    assert.equal(created.body.scan.findings[0].pii_type, "phone_number");
    const id = created.body.id;
    assert.equal((await api("GET", `/v1/drafts/${id}`)).body.subject, "Proposal");
    // The seed's clients create with mailbox_id and read recipient, body.content and scan.categories.
    const seeded = await api("POST", "/v1/drafts", {
      mailbox_id: "writer",
      to: "ann@example.com",
      body: "Hi",
    });
    assert.equal(seeded.status, 201, JSON.stringify(seeded.body));
    assert.equal(seeded.body.recipient, "ann@example.com");
    assert.deepEqual(
      [
        seeded.body.body.format,
        seeded.body.body.content,
        seeded.body.body.char_count,
        seeded.body.body.truncated,
      ],
      ["text", "Hi", 2, false],
    );
    assert.deepEqual(seeded.body.scan.categories, []);
    assert.equal(
      (await api("POST", "/v1/drafts", { to: "ann@example.com", body: "Hi" })).body.code,
      "VALIDATION_ERROR",
    );
    assert.equal((await api("DELETE", `/v1/drafts/${seeded.body.id}`)).status, 200);
    assert.equal((await api("GET", "/v1/mailboxes/writer/drafts")).body.drafts[0].id, id);
    assert.equal(
      (await api("GET", `/v1/drafts/${id}`, undefined, otherKey)).status,
      404,
      "another agent's draft",
    );

    const edited = await api("PATCH", `/v1/drafts/${id}`, { body: "Here is the proposal." });
    assert.equal(edited.body.worst_decision, "allow");
    assert.equal(edited.body.subject, "Proposal", "fields not sent stay as they were");

    const sent = await api("POST", `/v1/drafts/${id}/send`);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.status, "sent");
    const again = await api("POST", `/v1/drafts/${id}/send`);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "DRAFT_ALREADY_SENT");
    assert.equal((await api("PATCH", `/v1/drafts/${id}`, { subject: "x" })).body.code, "DRAFT_ALREADY_SENT");
    assert.equal((await api("GET", `/v1/drafts/${id}`)).body.message_id, sent.body.message_id);
    await t.pb.drain();
    await sink.waitFor(1);
  });

  it("rescans at send against the policy as it is now", async () => {
    const d = await api("POST", "/v1/drafts", {
      from_mailbox: "writer",
      to: "client@example.com",
      subject: "Card",
      body: "card 4111 1111 1111 1111",
    });
    await t
      .client()
      .mailboxes.update("writer", { scanner_policy: { outbound_pii_policy: { credit_card: "allow" } } });
    assert.equal((await api("PATCH", `/v1/drafts/${d.body.id}`, {})).body.worst_decision, "allow");
    // The admin tightens the policy after the agent wrote the draft.
    await t
      .client()
      .mailboxes.update("writer", { scanner_policy: { outbound_pii_policy: { credit_card: "block" } } });
    const r = await api("POST", `/v1/drafts/${d.body.id}/send`);
    assert.equal(r.status, 409);
    assert.equal(r.body.code, "DRAFT_REJECTED_BY_RESCAN");
    assert.equal(r.body.details.scan.verdict, "blocked");
    const after = await api("GET", `/v1/drafts/${d.body.id}`);
    assert.equal(after.body.state, "draft", "the agent may edit it and try again");
    assert.equal(after.body.worst_decision, "block");
    await t.client().mailboxes.update("writer", { scanner_policy: {} });
  });

  it("schedules a draft with send_at and sends it when due", async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const d = await api("POST", "/v1/drafts", {
      from_mailbox: "writer",
      to: "later@example.com",
      subject: "Scheduled",
      body: "Good morning.",
      send_at: at,
    });
    const r = await api("POST", `/v1/drafts/${d.body.id}/send`);
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { draft_id: d.body.id, status: "scheduled", send_at: at });
    const sent = await eventually(async () => {
      const g = await api("GET", `/v1/drafts/${d.body.id}`);
      return g.body.state === "sent" ? g.body : null;
    });
    assert.ok(sent.message_id);
    await t.pb.drain();
    await eventually(async () => sink.received.some((m) => m.to.includes("later@example.com")));
  });

  it("works through the SDK, with typed conflicts", async () => {
    const pb = t.client(agentKey);
    const d = await pb.drafts.create({
      from_mailbox: "writer",
      to: "x@example.com",
      subject: "SDK",
      body: "hi",
    });
    assert.equal(d.worst_decision, "allow");
    const u = await pb.drafts.update(d.id, { body: "my key AKIAIOSFODNN7EXAMPLE" });
    assert.equal(u.worst_decision, "block");
    await assert.rejects(
      pb.drafts.send(d.id),
      (e: unknown) => e instanceof ConflictError && e.code === "DRAFT_REJECTED_BY_RESCAN",
    );
    assert.equal(
      (await pb.drafts.list("writer")).data.some((x) => x.id === d.id),
      true,
    );
    await pb.drafts.delete(d.id);
  });

  it("deletes drafts and refuses bad input clearly", async () => {
    const d = await api("POST", "/v1/drafts", { from_mailbox: "writer", subject: "Empty" });
    const noRecipients = await api("POST", `/v1/drafts/${d.body.id}/send`);
    assert.equal(noRecipients.status, 400);
    const deleted = await api("DELETE", `/v1/drafts/${d.body.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual([deleted.body.id, deleted.body.deleted], [d.body.id, true]);
    assert.equal((await api("GET", `/v1/drafts/${d.body.id}`)).status, 404);
    assert.equal(
      (await api("POST", "/v1/drafts", { from_mailbox: "writer", to: "not-an-address" })).status,
      400,
    );
    assert.equal(
      (await api("POST", "/v1/drafts", { from_mailbox: "writer", send_at: "tomorrow" })).status,
      400,
    );
    assert.equal((await api("POST", "/v1/drafts", { from_mailbox: "elsewhere", subject: "x" })).status, 403);
  });
});
