import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

const BODY =
  "Hi, I am Dr. Grace Hopper. Card 4111-1111-1111-1111, SSN 123-45-6780, mail grace@navy.example, " +
  "call +44 20 7946 0958, IBAN GB82 WEST 1234 5698 7654 32, from 192.0.2.44.";

describe(`PII redaction on read (${dbLabel})`, () => {
  let t: TestServer;
  let messageId: string;
  let agentKey: string;

  before(async () => {
    t = await startTestServer();
    await t.client().mailboxes.create({ name: "private" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["private"] })).api_key;
    const raw = rawMessage({
      to: "private@test.local",
      subject: "Call me at (415) 555-2671",
      body: BODY,
      extraHeaders: "X-Note: html follows",
    });
    const res = await t.api("POST", "/v1/ingest?rcpt_to=private@test.local", {
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    messageId = res.body.accepted[0].message_id;
    await t.pb.drain();
  });
  after(() => t.stop());

  const agent = () => t.client(agentKey);

  it("passes everything through by default", async () => {
    const m = await agent().messages.get(messageId);
    assert.equal(m.pii_redacted, false);
    assert.match(m.body.text ?? "", /4111-1111-1111-1111/);
    assert.equal((await t.client().mailboxes.get("private")).pii_mode, "passthrough");
  });

  it("redacts subjects and text bodies on every read path once pii_mode is redacted", async () => {
    const mb = await t.client().mailboxes.update("private", { pii_mode: "redacted" });
    assert.equal(mb.pii_mode, "redacted");
    const expected =
      "Hi, I am Dr. <PERSON>. Card <CREDIT_CARD>, SSN <US_SSN>, mail <EMAIL_ADDRESS>, " +
      "call <PHONE_NUMBER>, IBAN <IBAN_CODE>, from <IP_ADDRESS>.";
    const got = await agent().messages.get(messageId);
    assert.equal(got.body.text?.trim(), expected);
    assert.equal(got.subject, "Call me at <PHONE_NUMBER>");
    assert.equal(got.body.html, null);
    assert.equal(got.body.format, "text");
    assert.equal(got.body.content?.trim(), expected, "the seed's body content is the redacted text");
    assert.equal(got.pii_redacted, true);
    assert.equal(got.sender, "alice@example.com", "headers the agent replies to stay readable");
    const listed = (await agent().messages.list("private")).data[0]!;
    assert.equal(listed.body_preview, expected);
    const waited = await agent().messages.wait("private", { timeout: 1 });
    assert.equal(waited.message?.body_preview, expected);
    const thread = await agent().threads.get(got.thread_id!);
    assert.equal(thread.messages[0]!.body.text?.trim(), expected);
  });

  it("never alters the stored message; raw bytes are for admin keys only in redacted mode", async () => {
    const denied = await t.api("GET", `/v1/messages/${messageId}/raw`, { key: agentKey });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, "PII_REDACTED");
    const raw = await t.api("GET", `/v1/messages/${messageId}/raw`);
    assert.equal(raw.status, 200);
    assert.match(String(raw.body), /4111-1111-1111-1111/);
  });

  it("applies per-detector settings: leave emails, mask cards, hash phones", async () => {
    await t.client().mailboxes.update("private", {
      pii_redaction_config: {
        EMAIL_ADDRESS: { redact: false },
        CREDIT_CARD: { redact: true, operator: { kind: "partial_mask", keep_last: 4 } },
        PHONE_NUMBER: { operator: { kind: "hash_replace" } },
      },
    });
    const got = await agent().messages.get(messageId);
    assert.match(got.body.text ?? "", /Card \*\*\*\*-\*\*\*\*-\*\*\*\*-1111, /);
    assert.match(got.body.text ?? "", /mail grace@navy\.example,/);
    const tag = /call (<PHONE_NUMBER:[0-9a-f]{8}>)/.exec(got.body.text ?? "")![1]!;
    assert.equal((await agent().messages.get(messageId)).body.text?.includes(tag), true, "deterministic");
    // {} resets to the default.
    const reset = await t.client().mailboxes.update("private", { pii_redaction_config: {} });
    assert.deepEqual(reset.pii_redaction_config, {});
    assert.match((await agent().messages.get(messageId)).body.text ?? "", /Card <CREDIT_CARD>/);
    // null resets too (rly's `set-redaction --reset`).
    await t.client().mailboxes.update("private", {
      pii_redaction_config: { PHONE_NUMBER: { operator: { kind: "hash_replace" } } },
    });
    const nulled = await t.api("PATCH", "/v1/mailboxes/private", { body: { pii_redaction_config: null } });
    assert.equal(nulled.status, 200, JSON.stringify(nulled.body));
    assert.deepEqual(nulled.body.pii_redaction_config, {});
  });

  it("hash tags are unlinkable across accounts", async () => {
    const hashing = { PHONE_NUMBER: { operator: { kind: "hash_replace" as const } } };
    await t.client().mailboxes.update("private", { pii_redaction_config: hashing });
    const mine = /call (<PHONE_NUMBER:[0-9a-f]{8}>)/.exec(
      (await agent().messages.get(messageId)).body.text ?? "",
    )![1];
    const other = await t.client().accounts.create({ name: "tenant-two" });
    const them = t.client(other.admin_key);
    await them.mailboxes.create({ name: "theirs" });
    await them.mailboxes.update("theirs", { pii_mode: "redacted", pii_redaction_config: hashing });
    const res = await t.api("POST", "/v1/ingest?rcpt_to=theirs@test.local", {
      key: other.admin_key,
      raw: rawMessage({ to: "theirs@test.local", body: BODY }),
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const theirs = await them.messages.get(res.body.accepted[0].message_id);
    const tag = /call (<PHONE_NUMBER:[0-9a-f]{8}>)/.exec(theirs.body.text ?? "")![1];
    assert.ok(mine && tag);
    assert.notEqual(tag, mine);
  });

  it("refuses invalid settings with every problem listed, and partial masks of names and emails with 422", async () => {
    const bad = await t.api("PATCH", "/v1/mailboxes/private", {
      body: { pii_mode: "scrambled" },
    });
    assert.equal(bad.status, 400);
    const invalid = await t.api("PATCH", "/v1/mailboxes/private", {
      body: {
        pii_redaction_config: { CREDIT_CARD: { operator: { kind: "partial_mask", keep_last: 0 } }, X: {} },
      },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, "VALIDATION_ERROR");
    assert.equal(invalid.body.errors.length, 2);
    const person = await t.api("PATCH", "/v1/mailboxes/private", {
      body: { pii_redaction_config: { PERSON: { operator: { kind: "partial_mask", keep_last: 2 } } } },
    });
    assert.equal(person.status, 422);
    assert.equal(person.body.code, "PII_OPERATOR_NOT_ALLOWED");
    assert.deepEqual(person.body.errors, [
      "pii_redaction_config.PERSON.operator: partial_mask is not available for PERSON; use hash_replace",
    ]);
    const byAgent = await t.api("PATCH", "/v1/mailboxes/private", {
      key: agentKey,
      body: { pii_mode: "passthrough" },
    });
    assert.equal(byAgent.status, 403, "an agent cannot lift its own redaction");
  });
});
