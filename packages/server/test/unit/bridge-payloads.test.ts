import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { AppError } from "../../src/domain/errors.ts";
import { composeFromParts } from "../../src/inbound/bridge-mime.ts";
import {
  envelopeFromHeaders,
  formFormat,
  type MessageParts,
  type Payload,
  parseHeaderBlock,
  parseMailgun,
  parsePostmark,
  parseSendGrid,
  verifyMailgunSignature,
} from "../../src/inbound/bridge-payloads.ts";
import { decodeForm, FORM_LIMITS } from "../../src/inbound/form-data.ts";
import {
  CSV_TEXT,
  MAILGUN_KEY,
  mailgunMime,
  mailgunParsed,
  mailgunSignature,
  multipart,
  PDF_BYTES,
  postmarkInbound,
  sendgridParsed,
  sendgridRaw,
  urlencoded,
} from "../fixtures/bridge-payloads.ts";

const TO = "stock@test.local";
const NOW = 1_795_000_000;
const RAW = "From: a@example.com\r\nTo: stock@test.local\r\nSubject: raw\r\n\r\nbody \xe9\r\n";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err.code;
  }
  assert.fail("expected a refusal");
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err.code;
  }
  assert.fail("expected a refusal");
}

function partsOf(p: Payload): MessageParts {
  assert.ok("parts" in p, "a payload in parts");
  return p.parts;
}

const form = async (f: { body: Buffer; contentType: string }) => decodeForm(f.body, f.contentType);

describe("decodeForm", () => {
  it("returns every multipart field and file as the bytes sent", async () => {
    const latin1 = Buffer.from("Caf\xe9", "latin1");
    const parts = await form(
      multipart([
        { name: "text", value: latin1 },
        { name: "attachment1", value: PDF_BYTES, filename: "m.pdf", contentType: "application/pdf" },
      ]),
    );
    const text = parts.find((p) => p.name === "text")!;
    assert.deepEqual(text.data, latin1);
    assert.equal(text.filename, null);
    const file = parts.find((p) => p.name === "attachment1")!;
    assert.deepEqual(file.data, PDF_BYTES);
    assert.equal(file.filename, "m.pdf");
    assert.equal(file.contentType, "application/pdf");
  });

  it("reads urlencoded values as their UTF-8 bytes", async () => {
    const parts = await form(urlencoded({ subject: "Grüße", "body-mime": "a+b=c&d" }));
    assert.equal(parts.find((p) => p.name === "subject")!.data.toString("utf8"), "Grüße");
    assert.equal(parts.find((p) => p.name === "body-mime")!.data.toString("utf8"), "a+b=c&d");
  });

  it("refuses a form it cannot read with INVALID_FORM", async () => {
    assert.equal(await codeOf(decodeForm(Buffer.from("x"), "multipart/form-data")), "INVALID_FORM");
    const cut = multipart([{ name: "a", value: "b" }]);
    assert.equal(
      await codeOf(decodeForm(cut.body.subarray(0, cut.body.length - 20), cut.contentType)),
      "INVALID_FORM",
    );
    const many = multipart(
      Array.from({ length: FORM_LIMITS.parts + 5 }, (_, i) => ({ name: `f${i}`, value: "v" })),
    );
    assert.equal(await codeOf(form(many)), "INVALID_FORM");
    const longName = multipart([{ name: "n".repeat(FORM_LIMITS.fieldNameBytes + 10), value: "v" }]);
    assert.equal(await codeOf(form(longName)), "INVALID_FORM");
  });
});

describe("formFormat", () => {
  it("tells SendGrid's forms from Mailgun's by their own fields", async () => {
    assert.equal(formFormat(await form(sendgridParsed(TO))), "sendgrid");
    assert.equal(formFormat(await form(sendgridRaw(TO, RAW))), "sendgrid");
    assert.equal(formFormat(await form(mailgunParsed(TO, NOW))), "mailgun");
    assert.equal(formFormat(await form(mailgunMime(TO, RAW, NOW))), "mailgun");
    assert.equal(formFormat(await form(urlencoded({ name: "x", comment: "y" }))), null);
  });
});

describe("parsePostmark", () => {
  it("reads the parts: sender, recipients, bodies, headers kept verbatim, attachments decoded", () => {
    const p = parsePostmark(postmarkInbound(TO));
    assert.equal(p.format, "postmark");
    assert.deepEqual(p.envelope.rcptTo, [TO]);
    const parts = partsOf(p);
    assert.deepEqual(parts.from, { address: "priya@orchard.example", name: "Priya Raman" });
    assert.deepEqual(parts.to, [{ address: TO, name: "Stock Agent" }]);
    assert.deepEqual(parts.cc, []);
    assert.equal(parts.subject, "Reorder for week 48 — Grüße");
    assert.equal(parts.replyTo, "orders@orchard.example");
    assert.match(parts.text!, /reorder the attached/);
    assert.match(parts.html!, /cid:logo@orchard/);
    const names = parts.headers.map((h) => h.name);
    // Signatures and MIME structure cannot survive a rebuild; trace and spam headers do, in order.
    assert.ok(!names.includes("DKIM-Signature") && !names.includes("MIME-Version"));
    assert.deepEqual(names.slice(0, 2), ["Return-Path", "Received"]);
    assert.ok(names.includes("Message-ID") && names.includes("X-Order-Batch") && names.includes("Date"));
    assert.equal(parts.attachments.length, 2);
    assert.equal(parts.attachments[0]!.content.toString(), CSV_TEXT);
    assert.equal(parts.attachments[0]!.contentId, null);
    assert.equal(parts.attachments[1]!.contentId, "logo@orchard");
    assert.equal(parts.attachments[1]!.contentType, "image/png");
  });

  it("keeps RawEmail as the message when Postmark includes it", () => {
    const p = parsePostmark(postmarkInbound(TO, { raw: RAW }));
    assert.ok("raw" in p);
    assert.equal(p.raw.toString("utf8"), RAW);
    assert.deepEqual(p.envelope.rcptTo, [TO]);
  });

  it("refuses what is not Postmark's JSON, and fields of the wrong type, with codes", () => {
    assert.equal(
      code(() => parsePostmark([])),
      "UNRECOGNIZED_PAYLOAD",
    );
    assert.equal(
      code(() => parsePostmark("x")),
      "UNRECOGNIZED_PAYLOAD",
    );
    assert.equal(
      code(() => parsePostmark({ value: 1 })),
      "UNRECOGNIZED_PAYLOAD",
    );
    assert.equal(
      code(() => parsePostmark({ ...postmarkInbound(TO), Subject: 5 })),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() => parsePostmark({ ...postmarkInbound(TO), Headers: "x" })),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() => parsePostmark({ ...postmarkInbound(TO), ToFull: [{ Email: 7 }] })),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() => parsePostmark({ ...postmarkInbound(TO), Attachments: [null] })),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() =>
        parsePostmark({ ...postmarkInbound(TO), Attachments: [{ Name: "a", Content: "!!not base64" }] }),
      ),
      "INVALID_ATTACHMENT",
    );
    assert.equal(
      code(() => parsePostmark({ From: "a@b.c", Headers: [{ Name: "Bad Name:", Value: "x" }] })),
      "INVALID_HEADER",
    );
    assert.equal(
      code(() => parsePostmark({ From: "a@b.c", Headers: [{ Name: "X-Evil\r\nBcc", Value: "x" }] })),
      "INVALID_HEADER",
    );
    const tooMany = Array.from({ length: 1001 }, () => ({ Name: "X-A", Value: "b" }));
    assert.equal(
      code(() => parsePostmark({ From: "a@b.c", Headers: tooMany })),
      "INVALID_PAYLOAD",
    );
  });
});

describe("parseSendGrid", () => {
  it("reads the parsed form: the text in the charset SendGrid names, the header block, files with their info", async () => {
    const p = parseSendGrid(await form(sendgridParsed(TO)));
    assert.deepEqual(p.envelope, {
      rcptTo: [TO],
      mailFrom: "joel@harbour.example",
      clientIp: "198.51.100.7",
    });
    const parts = partsOf(p);
    assert.equal(parts.text, "Café crate arrives Tuesday.\n");
    assert.match(parts.html!, /Tuesday/);
    const names = parts.headers.map((h) => h.name);
    assert.deepEqual(names.slice(0, 2), ["Received", "Received"]);
    assert.ok(!names.includes("DKIM-Signature") && !names.includes("Content-Type"));
    assert.ok(names.includes("From") && names.includes("Subject") && names.includes("Message-ID"));
    // A folded header stays one field.
    assert.match(parts.headers[1]!.value, /Postfix[\s\S]*2026/);
    assert.equal(parts.attachments.length, 1);
    assert.equal(parts.attachments[0]!.filename, "manifest.pdf");
    assert.equal(parts.attachments[0]!.contentType, "application/pdf");
    assert.deepEqual(parts.attachments[0]!.content, PDF_BYTES);
  });

  it("keeps the raw form's `email` byte for byte", async () => {
    const p = parseSendGrid(await form(sendgridRaw(TO, RAW)));
    assert.ok("raw" in p);
    assert.deepEqual(p.raw, Buffer.from(RAW));
    assert.deepEqual(p.envelope.rcptTo, [TO]);
  });

  it("refuses bad JSON fields with codes", async () => {
    const bad = async (fields: { name: string; value: string }[]) =>
      code(() =>
        parseSendGrid(
          [...fields].map((f) => ({ ...f, filename: null, contentType: null, data: Buffer.from(f.value) })),
        ),
      );
    assert.equal(await bad([{ name: "envelope", value: "{not json" }]), "INVALID_PAYLOAD");
    assert.equal(await bad([{ name: "envelope", value: '{"to":[5]}' }]), "INVALID_PAYLOAD");
    assert.equal(await bad([{ name: "envelope", value: "[1]" }]), "INVALID_PAYLOAD");
    assert.equal(await bad([{ name: "charsets", value: "[]" }]), "INVALID_PAYLOAD");
    assert.equal(await bad([{ name: "headers", value: "Bad Header: x\n" }]), "INVALID_HEADER");
  });

  it("reads an unknown charset label as UTF-8 instead of failing", async () => {
    const p = parseSendGrid([
      { name: "text", filename: null, contentType: null, data: Buffer.from("plain ü") },
      {
        name: "charsets",
        filename: null,
        contentType: null,
        data: Buffer.from('{"text":"x-no-such-charset"}'),
      },
    ]);
    assert.equal(partsOf(p).text, "plain ü");
  });
});

describe("parseMailgun and its signature", () => {
  it("reads the parsed forward: message-headers, bodies, attachments, envelope", async () => {
    const p = parseMailgun(await form(mailgunParsed(TO, NOW)));
    assert.deepEqual(p.envelope.rcptTo, [TO]);
    assert.equal(p.envelope.mailFrom, "ops@lighthouse.example");
    const parts = partsOf(p);
    assert.equal(parts.text, "Rota attached.\n\n> earlier thread\n");
    assert.equal(parts.html, "<p>Rota attached.</p>");
    const names = parts.headers.map((h) => h.name.toLowerCase());
    assert.ok(
      !names.includes("dkim-signature") && !names.includes("content-type") && !names.includes("mime-version"),
    );
    assert.equal(parts.headers.find((h) => h.name === "Subject")!.value, "Lamp rota — December");
    assert.equal(parts.attachments.length, 1);
    assert.equal(parts.attachments[0]!.filename, "rota.csv");
    assert.equal(parts.attachments[0]!.content.toString(), "name,night\nAda,1\nBo,2\n");
  });

  it("keeps body-mime as the message", async () => {
    const p = parseMailgun(await form(mailgunMime(TO, RAW, NOW)));
    assert.ok("raw" in p);
    assert.equal(p.raw.toString("utf8"), RAW);
  });

  it("names attachments' content ids from content-id-map", () => {
    const p = parseMailgun([
      { name: "recipient", filename: null, contentType: null, data: Buffer.from(TO) },
      {
        name: "content-id-map",
        filename: null,
        contentType: null,
        data: Buffer.from('{"<img1@x>":"attachment-1"}'),
      },
      { name: "attachment-1", filename: "i.png", contentType: "image/png", data: Buffer.from("png") },
    ]);
    assert.equal(partsOf(p).attachments[0]!.contentId, "img1@x");
  });

  it("accepts a valid signature and refuses a wrong, stale, future or missing one", async () => {
    const parts = await form(mailgunParsed(TO, NOW));
    verifyMailgunSignature(parts, MAILGUN_KEY, NOW + 60);
    assert.equal(
      code(() => verifyMailgunSignature(parts, "another-key", NOW)),
      "MAILGUN_SIGNATURE_INVALID",
    );
    assert.equal(
      code(() => verifyMailgunSignature(parts, MAILGUN_KEY, NOW + 13 * 3600)),
      "MAILGUN_SIGNATURE_INVALID",
    );
    assert.equal(
      code(() => verifyMailgunSignature(parts, MAILGUN_KEY, NOW - 3600)),
      "MAILGUN_SIGNATURE_INVALID",
    );
    const unsigned = parts.filter((p) => p.name !== "signature");
    assert.equal(
      code(() => verifyMailgunSignature(unsigned, MAILGUN_KEY, NOW)),
      "MAILGUN_SIGNATURE_INVALID",
    );
    // The signature covers timestamp + token: a replay with another token fails.
    const swapped = parts.map((p) => (p.name === "token" ? { ...p, data: Buffer.from("other-token") } : p));
    assert.equal(
      code(() => verifyMailgunSignature(swapped, MAILGUN_KEY, NOW)),
      "MAILGUN_SIGNATURE_INVALID",
    );
    assert.equal(mailgunSignature(MAILGUN_KEY, NOW, "t").length, 64);
  });

  it("refuses malformed message-headers with codes", () => {
    const with_ = (v: string) => [
      { name: "message-headers", filename: null, contentType: null, data: Buffer.from(v) },
    ];
    assert.equal(
      code(() => parseMailgun(with_("{}"))),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() => parseMailgun(with_('[["only-name"]]'))),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() => parseMailgun(with_('[[1, "x"]]'))),
      "INVALID_PAYLOAD",
    );
    assert.equal(
      code(() => parseMailgun(with_('[["X: y", "x"]]'))),
      "INVALID_HEADER",
    );
  });
});

describe("envelopeFromHeaders", () => {
  it("takes the topmost Delivered-To at our domain, else To and Cc there, and Return-Path as MAIL FROM", () => {
    const block = [
      "Return-Path: <list-bounce@lists.example>",
      "Delivered-To: elsewhere@other.example",
      "Delivered-To: Stock@Test.local",
      "To: someone@other.example, stock@test.local",
      "",
    ].join("\r\n");
    assert.deepEqual(envelopeFromHeaders(block, "test.local"), {
      rcptTo: ["stock@test.local"],
      mailFrom: "list-bounce@lists.example",
    });
    const noDelivered = 'To: "A" <a@test.local>, b@other.example\r\nCc: undisclosed:;, c@test.local\r\n\r\n';
    assert.deepEqual(envelopeFromHeaders(noDelivered, "test.local").rcptTo, ["a@test.local", "c@test.local"]);
    assert.deepEqual(envelopeFromHeaders("Subject: none\r\n\r\n", "test.local"), {
      rcptTo: [],
      mailFrom: null,
    });
  });

  it("parses folded header blocks and stops at the body", () => {
    const fields = parseHeaderBlock("A: 1\r\n  more\r\nB: 2\r\n\r\nC: not a header");
    assert.deepEqual(fields, [
      { name: "A", value: "1\r\n  more" },
      { name: "B", value: "2" },
    ]);
  });
});

describe("composeFromParts", () => {
  it("rebuilds a message a MIME parser reads back: headers, bodies, attachments, inline image", async () => {
    const raw = await composeFromParts(partsOf(parsePostmark(postmarkInbound(TO))), "postmark");
    const m = await simpleParser(raw);
    assert.equal(m.subject, "Reorder for week 48 — Grüße");
    assert.equal(m.from?.value[0]?.address, "priya@orchard.example");
    assert.equal(m.from?.value[0]?.name, "Priya Raman");
    assert.equal(m.messageId, "<CAF8x2=week48@mail.orchard.example>");
    assert.equal(m.headers.get("x-order-batch"), "w48");
    assert.equal(m.headers.get("dkim-signature"), undefined);
    assert.equal(m.headers.get("x-postbox-reconstructed"), "postmark");
    assert.match(m.text!, /reorder the attached quantities/);
    assert.match(String(m.html), /please reorder/);
    const csv = m.attachments.find((a) => a.filename === "reorder.csv")!;
    assert.equal(csv.content.toString(), CSV_TEXT);
    const logo = m.attachments.find((a) => a.filename === "logo.png")!;
    assert.equal(logo.cid, "logo@orchard");
    // Trace headers stay on top, as a receiving MTA would have them.
    assert.match(raw.toString("utf8"), /^Return-Path: <bounce\+priya@orchard\.example>\r\nReceived: /);
  });

  it("keeps the provider's encoded words and folds; a header value cannot add a header or end the block", async () => {
    const raw = await composeFromParts(
      {
        headers: [
          { name: "From", value: "=?UTF-8?Q?Jo=C3=ABl?= <joel@harbour.example>" },
          { name: "Subject", value: "line one\r\nBcc: victim@example.com\r\n\r\ninjected body" },
          { name: "X-Long", value: "word ".repeat(400).trim() },
          { name: "X-Folded", value: "a\r\n\tb" },
        ],
        from: null,
        to: [TO],
        cc: [],
        replyTo: null,
        subject: null,
        text: "real body",
        html: null,
        attachments: [],
      },
      "mailgun",
    );
    const m = await simpleParser(raw);
    assert.equal(m.from?.value[0]?.name, "Joël");
    assert.equal(m.subject, "line one Bcc: victim@example.com  injected body");
    assert.equal(m.headers.get("bcc"), undefined);
    assert.equal(m.text?.trim(), "real body");
    assert.equal(m.to && "value" in m.to ? m.to.value[0]?.address : null, TO);
    for (const line of raw.toString("utf8").split("\r\n"))
      assert.ok(line.length <= 998, "lines stay within 998");
  });

  it("rebuilds SendGrid's and Mailgun's parts too", async () => {
    const sg = await simpleParser(
      await composeFromParts(partsOf(parseSendGrid(await form(sendgridParsed(TO)))), "sendgrid"),
    );
    assert.equal(sg.subject, "Container ETA");
    assert.equal(sg.from?.value[0]?.name, "Joël Martin");
    assert.equal(sg.text?.trim(), "Café crate arrives Tuesday.");
    assert.deepEqual(sg.attachments[0]?.content, PDF_BYTES);
    const mg = await simpleParser(
      await composeFromParts(partsOf(parseMailgun(await form(mailgunParsed(TO, NOW)))), "mailgun"),
    );
    assert.equal(mg.subject, "Lamp rota — December");
    assert.equal(mg.messageId, "<lh-ops-7781@lighthouse.example>");
    assert.equal(mg.attachments[0]?.filename, "rota.csv");
  });
});
