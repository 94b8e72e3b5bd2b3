import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

const BODY =
  "Wire it to account number 12345678901 or pay bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4. " +
  "My ITIN is 912-70-1234, NHS number 943 476 5919, passport C12345678, driver's license D1234567; " +
  "Dr. prescriber DEA AB1234563.";

// The JSON `rly mailbox set-redaction <mailbox> --config '…'` sends as pii_redaction_config, one entry per detector.
const RLY_CONFIG = {
  CRYPTO: { redact: true, operator: { kind: "hash_replace" } },
  US_BANK_NUMBER: { redact: true, operator: { kind: "partial_mask", keep_last: 4, mask_char: "#" } },
  US_DRIVER_LICENSE: { redact: false },
  US_ITIN: { redact: true, operator: { kind: "replace_with_type" } },
  US_PASSPORT: { redact: true },
  UK_NHS: { operator: { kind: "hash_replace" } },
  MEDICAL_LICENSE: { redact: true, operator: { kind: "partial_mask", keep_last: 2 } },
};

describe(`PII detectors rly knows, through the API (${dbLabel})`, () => {
  let t: TestServer;
  let mailboxId: string;
  let messageId: string;
  let agentKey: string;

  before(async () => {
    t = await startTestServer();
    mailboxId = (await t.client().mailboxes.create({ name: "clinic" })).id;
    await t.client().mailboxes.create({ name: "other" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["clinic"] })).api_key;
    const res = await t.api("POST", "/v1/ingest?rcpt_to=clinic@test.local", {
      raw: rawMessage({ to: "clinic@test.local", subject: "ITIN 912-70-1234", body: BODY }),
      headers: { "content-type": "message/rfc822" },
    });
    messageId = res.body.accepted[0].message_id;
    await t.pb.drain();
  });
  after(() => t.stop());

  it("redacts every new type with the default operator", async () => {
    const patched = await t.api("PATCH", `/v1/mailboxes/${mailboxId}`, { body: { pii_mode: "redacted" } });
    assert.equal(patched.status, 200);
    const got = await t.client(agentKey).messages.get(messageId);
    assert.equal(
      got.body.text?.trim(),
      "Wire it to account number <US_BANK_NUMBER> or pay <CRYPTO>. My ITIN is <US_ITIN>, NHS number <UK_NHS>, " +
        "passport <US_PASSPORT>, driver's license <US_DRIVER_LICENSE>; Dr. prescriber DEA <MEDICAL_LICENSE>.",
    );
    assert.equal(got.subject, "ITIN <US_ITIN>");
  });

  it("accepts rly's set-redaction config for them and applies it to what an agent key reads", async () => {
    const res = await t.api("PATCH", `/v1/mailboxes/${mailboxId}`, {
      body: { pii_redaction_config: RLY_CONFIG },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.pii_redaction_config).sort(), Object.keys(RLY_CONFIG).sort());
    assert.deepEqual(res.body.pii_redaction_config.US_DRIVER_LICENSE, {
      redact: false,
      operator: { kind: "replace_with_type" },
    });
    const text = (await t.client(agentKey).messages.get(messageId)).body.text ?? "";
    assert.match(text, /account number #######8901 or pay <CRYPTO:[0-9a-f]{8}>\./);
    assert.match(text, /My ITIN is <US_ITIN>, NHS number <UK_NHS:[0-9a-f]{8}>, passport <US_PASSPORT>, /);
    assert.match(text, /driver's license D1234567; Dr\. prescriber DEA \*\*\*\*\*\*\*63\./);
    const listed = (await t.client(agentKey).messages.list("clinic")).data[0]!;
    assert.doesNotMatch(listed.body_preview ?? "", /bc1q|943 476|C12345678/);
    // The stored message is not altered: an admin key still reads the raw bytes.
    const raw = await t.api("GET", `/v1/messages/${messageId}/raw`);
    assert.match(String(raw.body), /bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4/);
  });

  it("resets on null, as rly's set-redaction --reset sends", async () => {
    const res = await t.api("PATCH", `/v1/mailboxes/${mailboxId}`, { body: { pii_redaction_config: null } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.pii_redaction_config, {});
    assert.match(
      (await t.client(agentKey).messages.get(messageId)).body.text ?? "",
      /DEA <MEDICAL_LICENSE>\./,
    );
  });

  it("still refuses names that are not detectors, listing all fourteen", async () => {
    const res = await t.api("PATCH", `/v1/mailboxes/${mailboxId}`, {
      body: { pii_redaction_config: { CRYPTO_ADDRESS: { redact: true } } },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.errors[0], /CRYPTO_ADDRESS is not a detector \(one of .*US_ITIN.*CRYPTO\)/);
  });

  it("is not for agent keys, nor for another account; an agent bound elsewhere cannot read the message", async () => {
    const byAgent = await t.api("PATCH", `/v1/mailboxes/${mailboxId}`, {
      key: agentKey,
      body: { pii_redaction_config: { CRYPTO: { redact: false } } },
    });
    assert.equal(byAgent.status, 403, "an agent cannot lift its own redaction");
    const other = await t.client().accounts.create({ name: "tenant-two" });
    const byOther = await t.api("PATCH", `/v1/mailboxes/${mailboxId}`, {
      key: other.admin_key,
      body: { pii_redaction_config: { CRYPTO: { redact: false } } },
    });
    assert.equal(byOther.status, 404);
    const elsewhere = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["other"] })).api_key;
    const read = await t.api("GET", `/v1/messages/${messageId}`, { key: elsewhere });
    assert.equal(read.status, 404);
    const config = (await t.client().mailboxes.get(mailboxId)).pii_redaction_config;
    assert.deepEqual(config, {}, "neither refused change was written");
  });
});
