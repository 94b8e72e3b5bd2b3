import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { dkimSignMessage, signedHeaderList } from "../../src/outbound/dkim/sign.ts";
import { dkimRecord, mailauthVerify, pythonVerify, signedHeadersOf } from "../dkim-verify.ts";
import { skipPython } from "../python-dkim.ts";

const NAME = "sel._domainkey.example.org";
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const key = {
  domain: "example.org",
  selector: "sel",
  privateKey: rsa.export({ type: "pkcs8", format: "pem" }) as string,
};

// Folding, tabs and trailing blanks in headers; trailing whitespace, blank lines and 8-bit bytes in the body:
// what relaxed canonicalization has to get right.
const MESSAGE = Buffer.concat([
  Buffer.from(
    [
      "From: Agent <agent@example.org>",
      "Sender: relay@example.org",
      "Reply-To: desk@example.org",
      "To: ann@example.com,\r\n\tbob@example.com",
      "Subject:   Quarterly   report  \r\n  and\tnotes ",
      "Date: Sun, 22 Nov 2026 10:00:00 +0000",
      "Message-ID: <q1@example.org>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=iso-8859-1",
      "Content-Transfer-Encoding: 8bit",
      "Auto-Submitted: auto-generated",
      "List-Unsubscribe: <mailto:unsubscribe@example.org>",
      "X-Unsigned: anything",
      "",
      "Line with trailing blanks   ",
      "tabs\tand  spaces",
      "",
    ].join("\r\n"),
    "latin1",
  ),
  Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a, 0x0d, 0x0a, 0x0d, 0x0a]),
]);

describe("outbound DKIM signatures", () => {
  it("lists each signed field as often as present, over-signed ones once more", () => {
    assert.deepEqual(signedHeaderList(["from", "to", "subject", "x-other", "auto-submitted"]), [
      "from",
      "from",
      "reply-to",
      "subject",
      "subject",
      "to",
      "to",
      "cc",
      "auto-submitted",
    ]);
    assert.deepEqual(signedHeaderList(["from", "from"]).slice(0, 3), ["from", "from", "from"]);
  });

  it("signs Sender, Reply-To, Auto-Submitted and List-Unsubscribe when present, and verifies in mailauth and python3-dkim", async () => {
    const signed = await dkimSignMessage(MESSAGE, key, new Date("2026-11-22T10:00:00Z"));
    assert.equal(
      signedHeadersOf(signed),
      "from:from:sender:reply-to:reply-to:subject:subject:date:message-id:to:to:cc:mime-version:content-type:" +
        "content-transfer-encoding:auto-submitted:list-unsubscribe",
    );
    assert.match(
      signed.toString("latin1"),
      /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.org; s=sel;/,
    );
    for (const line of signed.toString("latin1").split("\r\n\r\n")[0]!.split("\r\n"))
      assert.ok(line.length <= 78, `header line over 78 characters: ${line}`);
    assert.equal((await mailauthVerify(signed, NAME, dkimRecord(rsa))).status.result, "pass");
    if (!skipPython) assert.equal(pythonVerify(signed, NAME, dkimRecord(rsa)), true);

    const body = Buffer.from(signed.toString("latin1").replace("tabs\tand", "tabs\tor"), "latin1");
    assert.notEqual((await mailauthVerify(body, NAME, dkimRecord(rsa))).status.result, "pass");
    for (const added of [
      "From: x@evil.example",
      "Reply-To: x@evil.example",
      "To: x@evil.example",
      "Cc: x@evil.example",
    ]) {
      const forged = Buffer.concat([Buffer.from(`${added}\r\n`), signed]);
      assert.notEqual((await mailauthVerify(forged, NAME, dkimRecord(rsa))).status.result, "pass", added);
      if (!skipPython) assert.equal(pythonVerify(forged, NAME, dkimRecord(rsa)), false, added);
    }
  });

  it("signs with an Ed25519 key (RFC 8463)", async () => {
    const ed = generateKeyPairSync("ed25519").privateKey;
    const signed = await dkimSignMessage(MESSAGE, {
      ...key,
      privateKey: ed.export({ type: "pkcs8", format: "pem" }) as string,
    });
    assert.match(signed.toString("latin1"), /a=ed25519-sha256;/);
    assert.equal((await mailauthVerify(signed, NAME, dkimRecord(ed))).status.result, "pass");
  });
});
