import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mailauthVerify, pythonVerify, signedHeadersOf } from "../dkim-verify.ts";
import { dbLabel, rawMessage, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";
import { skipPython } from "../python-dkim.ts";

describe(`outbound DKIM signing (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    await t.client().mailboxes.create({ name: "signer" });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  it("signs every outbound message with the installation's key and publishes the record to add to DNS", async () => {
    const rec = (await t.api("GET", "/v1/dkim")).body;
    assert.equal(rec.name, "postbox._domainkey.test.local");
    assert.equal(rec.type, "TXT");
    assert.match(rec.value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    assert.deepEqual((await t.api("GET", "/v1/dkim")).body, rec, "one key per installation, kept");
    await t
      .client()
      .messages.send({ from_mailbox: "signer", to: "ann@example.com", subject: "Signed", body: "Hello" });
    await t.pb.drain();
    await sink.waitFor(1);
    const raw = sink.received[0]!.raw;
    assert.match(raw.toString("latin1"), /^DKIM-Signature: .*d=test\.local/s);
    const r = await mailauthVerify(raw, rec.name, rec.value);
    assert.equal(r.status.result, "pass");
    assert.equal(r.signingDomain, "test.local");
    assert.equal(r.selector, "postbox");
    const tampered = Buffer.from(raw.toString("latin1").replace("Hello", "Hullo"), "latin1");
    assert.notEqual((await mailauthVerify(tampered, rec.name, rec.value)).status.result, "pass");
  });

  it("verifies with an independent implementation (python3-dkim)", { skip: skipPython }, async () => {
    const rec = (await t.api("GET", "/v1/dkim")).body;
    assert.ok(sink.received[0], "the previous test sent a message");
    assert.equal(pythonVerify(sink.received[0]!.raw, rec.name, rec.value), true);
  });

  it("signs a reply's Cc, In-Reply-To and References and over-signs From, Subject, Reply-To, To and Cc", async () => {
    const rec = (await t.api("GET", "/v1/dkim")).body;
    const res = await t.api("POST", "/v1/ingest?rcpt_to=signer@test.local", {
      raw: rawMessage({
        from: "erin@example.com",
        to: "signer@test.local, frank@example.com",
        subject: "Plan",
        messageId: "<plan-1@example.com>",
        references: "<plan-0@example.com>",
        extraHeaders: "Cc: grace@example.com",
      }),
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const before = sink.received.length;
    await t.client().messages.reply(res.body.accepted[0].message_id, { body: "Agreed", reply_all: true });
    await t.pb.drain();
    await sink.waitFor(before + 1);
    const raw = sink.received[before]!.raw;
    const text = raw.toString("latin1");
    assert.match(text, /^Cc: /m);
    assert.match(text, /^In-Reply-To: <plan-1@example\.com>/m);
    assert.match(text, /^References: <plan-0@example\.com> <plan-1@example\.com>/m);
    assert.equal(
      signedHeadersOf(raw),
      "from:from:reply-to:subject:subject:date:message-id:to:to:cc:cc:in-reply-to:references:mime-version:" +
        "content-type:content-transfer-encoding",
    );
    assert.equal((await mailauthVerify(raw, rec.name, rec.value)).status.result, "pass");
    if (!skipPython) assert.equal(pythonVerify(raw, rec.name, rec.value), true, "python3-dkim verifies it");

    // A second From (or an added Reply-To, Cc or Subject) on top breaks the signature.
    for (const added of [
      "From: Mallory <ceo@test.local>",
      "Reply-To: mallory@evil.example",
      "Cc: mallory@evil.example",
      "Subject: Urgent",
    ]) {
      const forged = Buffer.concat([Buffer.from(`${added}\r\n`), raw]);
      assert.notEqual((await mailauthVerify(forged, rec.name, rec.value)).status.result, "pass", added);
      if (!skipPython) assert.equal(pythonVerify(forged, rec.name, rec.value), false, added);
    }
    const unsigned = Buffer.concat([Buffer.from("X-Note: relayed\r\n"), raw]);
    assert.equal(
      (await mailauthVerify(unsigned, rec.name, rec.value)).status.result,
      "pass",
      "a header outside the list does not matter",
    );
  });

  it("is admin-only", async () => {
    const key = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["signer"] })).api_key;
    assert.equal((await t.api("GET", "/v1/dkim", { key })).status, 403);
  });
});

describe(`outbound DKIM with the operator's key, or off (${dbLabel})`, () => {
  it("signs with POSTBOX_DKIM_KEY_FILE and its selector", async () => {
    const dir = mkdtempSync(join(tmpdir(), "postbox-dkim-"));
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const file = join(dir, "key.pem");
    writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }));
    const sink = await startSink();
    const t = await startTestServer({
      POSTBOX_SMTP_RELAY: sink.url,
      POSTBOX_DKIM_KEY_FILE: file,
      POSTBOX_DKIM_SELECTOR: "s2026",
    });
    try {
      await t.client().mailboxes.create({ name: "ops" });
      const rec = (await t.api("GET", "/v1/dkim")).body;
      assert.equal(rec.name, "s2026._domainkey.test.local");
      await t.client().messages.send({ from_mailbox: "ops", to: "b@example.com", subject: "s", body: "b" });
      await t.pb.drain();
      await sink.waitFor(1);
      assert.equal((await mailauthVerify(sink.received[0]!.raw, rec.name, rec.value)).status.result, "pass");
    } finally {
      await t.stop();
      await sink.close();
    }
  });

  it("sends unsigned with POSTBOX_DKIM_SIGN=0", async () => {
    const sink = await startSink();
    const t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url, POSTBOX_DKIM_SIGN: "0" });
    try {
      await t.client().mailboxes.create({ name: "plain" });
      assert.equal((await t.api("GET", "/v1/dkim")).body.code, "DKIM_DISABLED");
      await t.client().messages.send({ from_mailbox: "plain", to: "b@example.com", subject: "s", body: "b" });
      await t.pb.drain();
      await sink.waitFor(1);
      assert.ok(!sink.received[0]!.raw.toString("latin1").includes("DKIM-Signature"));
    } finally {
      await t.stop();
      await sink.close();
    }
  });
});
