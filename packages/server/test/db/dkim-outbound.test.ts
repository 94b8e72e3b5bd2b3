import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { dbLabel, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";
import { PYTHON, skipPython } from "../python-dkim.ts";

/** Verifies with Debian's python3-dkim, answering its one DNS question with the record Postbox told us to publish. */
function pythonVerify(raw: Buffer, name: string, record: string): boolean {
  const script = [
    "import sys, dkim",
    "msg = sys.stdin.buffer.read()",
    "name, record = sys.argv[1].encode(), sys.argv[2].encode()",
    "def dns(q, timeout=5):",
    "    return record if q.rstrip(b'.') == name else None",
    "print('ok' if dkim.verify(msg, dnsfunc=dns) else 'fail')",
  ].join("\n");
  return execFileSync(PYTHON, ["-c", script, name, record], { input: raw }).toString().trim() === "ok";
}

/** mailauth's verifier with a resolver that serves exactly one TXT record. */
async function mailauthVerify(raw: Buffer, name: string, record: string) {
  const resolver = async (q: string, type: string) => {
    if (type === "TXT" && q === name) return [[record]];
    throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
  };
  const r = await dkimVerify(raw, { resolver });
  return r.results[0] as { status: { result: string }; signingDomain: string; selector: string };
}

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

  it("is admin-only", async () => {
    const key = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["signer"] })).key;
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
