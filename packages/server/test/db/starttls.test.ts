import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { dbLabel, rawMessage, smtpClient, startTestServer, type TestServer } from "../helpers.ts";

const exec = promisify(execFile);

describe(`SMTP STARTTLS with a configured certificate (${dbLabel})`, () => {
  let t: TestServer;
  let certDir: string;
  before(async () => {
    certDir = await mkdtemp(path.join(os.tmpdir(), "postbox-cert-"));
    const cert = path.join(certDir, "cert.pem");
    const key = path.join(certDir, "key.pem");
    await exec("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=mx.test.local",
    ]);
    t = await startTestServer({ POSTBOX_TLS_CERT: cert, POSTBOX_TLS_KEY: key });
    await t.client().mailboxes.create({ name: "secure" });
  });
  after(async () => {
    await t.stop();
    await rm(certDir, { recursive: true, force: true });
  });

  it("offers STARTTLS and records that the session was encrypted", async () => {
    const smtp = nodemailer.createTransport({
      host: "127.0.0.1",
      port: t.pb.smtpPort!,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    await smtp.sendMail({
      envelope: { from: "a@example.org", to: ["secure@test.local"] },
      raw: rawMessage({ to: "secure@test.local", subject: "Encrypted" }),
    });
    smtp.close();
    const { message } = await t.client().messages.wait("secure", { timeout: 20 });
    assert.equal(message?.subject, "Encrypted");
    assert.equal(message?.envelope?.tls, true);
  });

  it("still accepts plain sessions", async () => {
    const smtp = smtpClient(t.pb.smtpPort!);
    await smtp.sendMail({
      envelope: { from: "a@example.org", to: ["secure@test.local"] },
      raw: rawMessage({ to: "secure@test.local", subject: "Plain" }),
    });
    smtp.close();
    await t.pb.drain();
    const page = await t.client().messages.list("secure");
    const plain = page.data.find((m) => m.subject === "Plain");
    assert.equal(plain?.envelope?.tls, false);
  });
});
