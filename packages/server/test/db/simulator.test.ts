import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

describe(`the inbound simulator (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;
  let otherAdmin: string;

  before(async () => {
    t = await startTestServer();
    await t.client().mailboxes.create({ name: "sim" });
    await t.client().mailboxes.create({ name: "elsewhere" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["sim"] })).api_key;
    const acct = await t.api("POST", "/v1/operator/accounts", { body: { name: "other" } });
    assert.equal(acct.status, 201, JSON.stringify(acct.body));
    otherAdmin = acct.body.admin_key;
  });
  after(() => t.stop());

  const simulate = (body: unknown, key?: string) => t.api("POST", "/v1/simulator/inbound", { body, key });

  it("runs a clean message through the real pipeline to available, with the label in its subject", async () => {
    const r = await simulate({ mailbox_id: "sim", scenario: "clean", label: "run-42" });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, "available");
    const m = await t.client().messages.get(r.body.message_id);
    assert.equal(m.state, "available");
    assert.match(m.subject ?? "", /run-42/);
    assert.equal(m.scan?.verdict, "clean");
    const waited = await t.client(agentKey).messages.wait("sim", { timeout: 1 });
    assert.ok(waited.message, "the agent's wait hands it out like any arrival");
  });

  it("quarantines the injection scenario by the scanner's own verdict", async () => {
    const r = await simulate({ mailbox_id: "sim", scenario: "prompt_injection_quarantined" });
    assert.equal(r.body.status, "quarantined", JSON.stringify(r.body));
    const m = await t.client().messages.get(r.body.message_id);
    assert.equal(m.state, "quarantined");
    assert.equal(m.scan?.findings[0]?.category, "prompt_injection");
  });

  it("skips the sender firewall: a mailbox that only takes mail from an allowlist still gets simulated mail", async () => {
    await t.client().mailboxes.update("sim", { inbound_sender_allowlist: ["boss@corp.example"] });
    try {
      const r = await simulate({ mailbox_id: "sim", scenario: "clean" });
      assert.equal(r.body.status, "available");
    } finally {
      await t.client().mailboxes.update("sim", { inbound_sender_allowlist: null });
    }
  });

  it("lets a bound agent key simulate into its mailbox, and nowhere else", async () => {
    const own = await simulate({ mailbox_id: "sim", scenario: "clean" }, agentKey);
    assert.equal(own.status, 200);
    const other = await simulate({ mailbox_id: "elsewhere", scenario: "clean" }, agentKey);
    assert.equal(other.status, 403, JSON.stringify(other.body));
    assert.equal(other.body.code, "MAILBOX_FORBIDDEN");
  });

  it("never reaches another account's mailbox", async () => {
    const r = await simulate({ mailbox_id: "sim", scenario: "clean" }, otherAdmin);
    assert.equal(r.status, 404);
    assert.equal(r.body.code, "NOT_FOUND");
  });

  it("answers bad requests with stable codes", async () => {
    for (const body of [
      {},
      { mailbox_id: "sim" },
      { mailbox_id: "sim", scenario: "phishing" },
      { mailbox_id: "sim", scenario: "clean", label: "x".repeat(201) },
      { mailbox_id: "sim", scenario: "clean", extra: 1 },
    ]) {
      const r = await simulate(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.code, "VALIDATION_ERROR");
    }
    const missing = await simulate({ mailbox_id: "nope", scenario: "clean" });
    assert.equal(missing.status, 404);
  });
});
