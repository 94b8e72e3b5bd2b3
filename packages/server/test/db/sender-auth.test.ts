import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sealMessage } from "mailauth";
import { dkimSignMessage } from "../../src/outbound/dkim/sign.ts";
import { startDnsServer, startSilentDns } from "../dns-server.ts";
import { dbLabel, eventually, rawMessage, smtpClient, startTestServer, type TestServer } from "../helpers.ts";
import { PYTHON, skipPython } from "../python-dkim.ts";

/** Signs with Debian's python3-dkim (dkimpy): an implementation independent of ours. */
function pythonSign(raw: string, domain: string, selector: string, pkcs1Pem: string): string {
  const script = [
    "import sys, dkim",
    "msg = sys.stdin.buffer.read()",
    "key = open(sys.argv[3], 'rb').read()",
    "sig = dkim.sign(msg, sys.argv[2].encode(), sys.argv[1].encode(), key,",
    "  canonicalize=(b'relaxed', b'simple'), include_headers=[b'from', b'to', b'subject', b'message-id', b'date'])",
    "sys.stdout.buffer.write(sig + msg)",
  ].join("\n");
  const keyFile = `/tmp/postbox-dkim-${process.pid}.pem`;
  execFileSync("sh", ["-c", `cat > ${keyFile}`], { input: pkcs1Pem });
  return execFileSync(PYTHON, ["-c", script, domain, selector, keyFile], { input: raw }).toString("latin1");
}

function rsaKey() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pkcs1: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    pkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    dns: `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
  };
}

describe(`sender authentication: SPF, DKIM, DMARC (${dbLabel})`, () => {
  let t: TestServer;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  const good = rsaKey();
  const other = rsaKey();

  before(async () => {
    dns = await startDnsServer({
      // signed.test: everything in order, mail comes from loopback (SMTP tests) or 192.0.2.10 (ingest).
      "py._domainkey.signed.test": { TXT: [good.dns] },
      "pb._domainkey.signed.test": { TXT: [good.dns] },
      "signed.test": { TXT: ["v=spf1 ip4:127.0.0.1 ip4:192.0.2.10 -all"] },
      "_dmarc.signed.test": { TXT: ["v=DMARC1; p=reject"] },
      // rotated.test publishes a key that does not match the one that signed.
      "old._domainkey.rotated.test": { TXT: [other.dns] },
      "rotated.test": { TXT: ["v=spf1 -all"] },
      // soft.test: SPF ends in ~all.
      "soft.test": { TXT: ["v=spf1 ip4:198.51.100.1 ~all"] },
      // strict.test: DMARC reject, SPF allows nobody we use.
      "strict.test": { TXT: ["v=spf1 ip4:198.51.100.1 -all"] },
      "_dmarc.strict.test": { TXT: ["v=DMARC1; p=reject; adkim=r; aspf=r"] },
      // list.test forwards mail and seals it with ARC.
      "arc._domainkey.list.test": { TXT: [good.dns] },
      // thirdparty.test signs for others.
      "esp._domainkey.thirdparty.test": { TXT: [good.dns] },
    });
    t = await startTestServer({ POSTBOX_DNS_SERVERS: dns.address });
    await t.client().mailboxes.create({ name: "auth" });
  });
  after(async () => {
    await t.stop();
    await dns.close();
  });

  /** Ingests raw MIME with an envelope as an external MTA would report it; returns the processed message. */
  async function ingest(
    raw: string | Buffer,
    envelope: { mail_from: string; client_ip?: string; helo?: string },
  ) {
    const q = new URLSearchParams({
      rcpt_to: "auth@test.local",
      mail_from: envelope.mail_from,
      helo: envelope.helo ?? "mx.sender.test",
    });
    if (envelope.client_ip) q.set("client_ip", envelope.client_ip);
    const res = await t.api("POST", `/v1/ingest?${q}`, {
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await t.pb.drain();
    return t.client().messages.get(res.body.accepted[0].message_id);
  }

  it("verifies a message signed by python3-dkim and sent over SMTP: verified_aligned", {
    skip: skipPython,
  }, async () => {
    const raw = pythonSign(
      rawMessage({ from: "Ann <ann@signed.test>", to: "auth@test.local", subject: "Signed by dkimpy" }),
      "signed.test",
      "py",
      good.pkcs1,
    );
    const smtp = smtpClient(t.pb.smtpPort!);
    await smtp.sendMail({ envelope: { from: "ann@signed.test", to: ["auth@test.local"] }, raw });
    smtp.close();
    const msg = await eventually(async () => {
      const page = await t.client().messages.list("auth", { limit: 10 });
      return page.data.find((m) => m.subject === "Signed by dkimpy" && m.sender_authentication);
    });
    const a = msg.sender_authentication!;
    assert.equal(a.dkim.result, "pass");
    assert.deepEqual(a.signing_domains, ["signed.test"]);
    assert.equal(a.spf.result, "pass");
    assert.equal(a.dmarc.result, "pass");
    assert.equal(a.from_domain, "signed.test");
    assert.equal(a.verdict, "verified_aligned");
  });

  it("verifies a message signed by our own signer", async () => {
    const raw = rawMessage({ from: "ann@signed.test", to: "auth@test.local", subject: "Signed by Postbox" });
    const signed = await dkimSignMessage(Buffer.from(raw), {
      domain: "signed.test",
      selector: "pb",
      privateKey: good.pkcs8,
    });
    const msg = await ingest(signed, { mail_from: "ann@signed.test", client_ip: "192.0.2.10" });
    const a = msg.sender_authentication!;
    assert.equal(a.dkim.result, "pass");
    assert.equal(a.dkim.signatures[0]!.selector, "pb");
    assert.equal(a.dkim.aligned, true);
    assert.equal(a.verdict, "verified_aligned");
  });

  it("a tampered body is not a pass (the library says neutral) and DMARC fails without SPF", {
    skip: skipPython,
  }, async () => {
    const signed = pythonSign(
      rawMessage({ from: "ann@signed.test", to: "auth@test.local", body: "Pay 10 EUR" }),
      "signed.test",
      "py",
      good.pkcs1,
    );
    const msg = await ingest(signed.replace("Pay 10 EUR", "Pay 9999 EUR"), {
      mail_from: "ann@signed.test",
      client_ip: "203.0.113.7",
    });
    const a = msg.sender_authentication!;
    assert.equal(a.dkim.signatures[0]!.result, "neutral");
    assert.match(a.dkim.signatures[0]!.comment ?? "", /body hash/);
    assert.notEqual(a.dkim.result, "pass");
    assert.deepEqual(a.signing_domains, []);
    assert.equal(a.spf.result, "fail");
    assert.equal(a.dmarc.result, "fail");
    assert.equal(a.verdict, "failed");
  });

  it("a signature made with another key than the published one fails", async () => {
    const raw = rawMessage({ from: "bob@rotated.test", to: "auth@test.local" });
    const signed = await dkimSignMessage(Buffer.from(raw), {
      domain: "rotated.test",
      selector: "old",
      privateKey: good.pkcs8,
    });
    const msg = await ingest(signed, { mail_from: "bob@rotated.test", client_ip: "192.0.2.10" });
    const a = msg.sender_authentication!;
    assert.equal(a.dkim.signatures[0]!.result, "fail");
    assert.equal(a.spf.result, "fail");
    assert.equal(a.verdict, "failed");
  });

  it("a signature whose key is not in DNS, from a domain without records", async () => {
    const raw = rawMessage({ from: "carl@nowhere.test", to: "auth@test.local" });
    const signed = await dkimSignMessage(Buffer.from(raw), {
      domain: "nowhere.test",
      selector: "gone",
      privateKey: good.pkcs8,
    });
    const msg = await ingest(signed, { mail_from: "carl@nowhere.test", client_ip: "192.0.2.10" });
    const a = msg.sender_authentication!;
    assert.notEqual(a.dkim.signatures[0]!.result, "pass");
    assert.equal(a.spf.result, "none");
    assert.equal(a.dmarc.result, "none");
    assert.equal(a.verdict, "failed");
  });

  it("unsigned mail from a domain that publishes nothing has nothing to check: none", async () => {
    const msg = await ingest(rawMessage({ from: "dan@nowhere.test", to: "auth@test.local" }), {
      mail_from: "dan@nowhere.test",
      client_ip: "192.0.2.10",
    });
    assert.equal(msg.sender_authentication!.verdict, "none");
    assert.equal(msg.sender_authentication!.dkim.result, "none");
  });

  it("SPF softfail (~all) is reported and is not a pass", async () => {
    const msg = await ingest(rawMessage({ from: "eve@soft.test", to: "auth@test.local" }), {
      mail_from: "eve@soft.test",
      client_ip: "192.0.2.10",
    });
    assert.equal(msg.sender_authentication!.spf.result, "softfail");
    assert.equal(msg.sender_authentication!.spf.aligned, false);
    assert.equal(msg.sender_authentication!.verdict, "failed");
  });

  it("a DMARC reject policy with nothing aligned: failed, with the published policy", async () => {
    const msg = await ingest(rawMessage({ from: "ceo@strict.test", to: "auth@test.local" }), {
      mail_from: "ceo@strict.test",
      client_ip: "192.0.2.10",
    });
    const a = msg.sender_authentication!;
    assert.equal(a.dmarc.result, "fail");
    assert.equal(a.dmarc.policy, "reject");
    assert.equal(a.verdict, "failed");
  });

  it("a valid signature of a third party on someone else's From: authenticated_unaligned", async () => {
    const raw = rawMessage({ from: "news@customer.test", to: "auth@test.local" });
    const signed = await dkimSignMessage(Buffer.from(raw), {
      domain: "thirdparty.test",
      selector: "esp",
      privateKey: good.pkcs8,
    });
    const msg = await ingest(signed, { mail_from: "bounces@customer.test" });
    const a = msg.sender_authentication!;
    assert.equal(a.dkim.result, "pass");
    assert.deepEqual(a.signing_domains, ["thirdparty.test"]);
    assert.equal(a.dkim.aligned, false);
    assert.equal(a.spf.result, "none", "no client IP was given, so SPF had nothing to check");
    assert.equal(a.verdict, "authenticated_unaligned");
  });

  it("verifies an ARC seal added by a forwarder", async () => {
    const raw = Buffer.from(
      rawMessage({ from: "ann@signed.test", to: "auth@test.local", subject: "Forwarded" }),
    );
    const seal = await sealMessage(raw, {
      signingDomain: "list.test",
      selector: "arc",
      privateKey: good.pkcs8,
      authResults: "mx.list.test; dkim=pass header.d=signed.test",
      cv: "none",
    } as Parameters<typeof sealMessage>[1]);
    const msg = await ingest(Buffer.concat([seal, raw]), {
      mail_from: "ann@signed.test",
      client_ip: "192.0.2.10",
    });
    const a = msg.sender_authentication!;
    assert.equal(a.arc.result, "pass");
    assert.equal(a.arc.instances, 1);
    const broken = await ingest(
      Buffer.concat([seal, Buffer.from(raw.toString().replace("Forwarded", "Changed"))]),
      {
        mail_from: "ann@signed.test",
        client_ip: "192.0.2.10",
      },
    );
    assert.equal(broken.sender_authentication!.arc.result, "fail");
  });

  it("DNS that never answers gives the error verdict instead of holding the message", async () => {
    // A resolver pointed at a port where nothing answers: every lookup times out.
    const mute = await startSilentDns();
    const silent = await startTestServer({
      POSTBOX_DNS_SERVERS: mute.address,
      POSTBOX_AUTH_TIMEOUT_MS: "500",
    });
    try {
      await silent.client().mailboxes.create({ name: "auth" });
      const res = await silent.api(
        "POST",
        "/v1/ingest?rcpt_to=auth@test.local&mail_from=x@signed.test&client_ip=192.0.2.10",
        {
          raw: rawMessage({ from: "x@signed.test", to: "auth@test.local" }),
          headers: { "content-type": "message/rfc822" },
        },
      );
      await silent.pb.drain();
      const msg = await silent.client().messages.get(res.body.accepted[0].message_id);
      assert.equal(msg.state, "available");
      assert.equal(msg.sender_authentication!.verdict, "error");
    } finally {
      await silent.stop();
      await mute.close();
    }
  });
});
