import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  CSV_TEXT,
  MAILGUN_KEY,
  mailgunMime,
  mailgunParsed,
  multipart,
  PDF_BYTES,
  postmarkInbound,
  sendgridParsed,
  sendgridRaw,
  urlencoded,
} from "../fixtures/bridge-payloads.ts";
import { dbLabel, eventually, rawMessage, settle, startTestServer, type TestServer } from "../helpers.ts";
import { startWebhookReceiver } from "../webhook-receiver.ts";

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

const MAX_MESSAGE_BYTES = 200_000;

describe(`the bridge API: /ingest of every payload shape, /alloc, /send, /list, /mark_read, /rule/put, /webhook/* (${dbLabel})`, () => {
  let t: TestServer;
  let rx: Receiver;
  let bridgeKey: string;
  let agentKey: string;
  let stockId: string;

  before(async () => {
    t = await startTestServer({
      POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1",
      POSTBOX_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
      POSTBOX_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    });
    rx = await startWebhookReceiver();
    bridgeKey = (await t.client().apiKeys.create({ role: "ingest", label: "mta bridge" })).api_key;
    const alloc = await t.api("POST", "/alloc", { body: { agent_id: "stock", aliases: ["orders"] } });
    assert.equal(alloc.status, 201, JSON.stringify(alloc.body));
    stockId = alloc.body.mailbox_id;
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["stock"] })).api_key;
  });
  after(async () => {
    await t.stop();
    await rx.close();
  });

  /** A POST the way an MTA bridge sends it: the key bare in x-agentpack-key. */
  async function bridge(
    path: string,
    o: { json?: unknown; raw?: Buffer | string; type?: string; key?: string } = {},
  ) {
    const headers: Record<string, string> = { "x-agentpack-key": o.key ?? bridgeKey };
    if (o.type) headers["content-type"] = o.type;
    return t.api("POST", path, {
      key: null,
      headers,
      ...(o.json !== undefined ? { body: o.json } : { raw: o.raw }),
    });
  }

  const form = (path: string, f: { body: Buffer; contentType: string }) =>
    bridge(path, { raw: f.body, type: f.contentType });

  /** Waits for the pipeline and reads the stored message back through the normal /v1 API. */
  async function readBack(res: { status: number; body: any }) {
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.accepted[0].message_id as string;
    await settle(t);
    const msg = await t.api("GET", `/v1/messages/${id}`);
    assert.equal(msg.status, 200);
    const raw = await fetch(`${t.baseUrl}/v1/messages/${id}/raw`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    return { msg: msg.body, raw: Buffer.from(await raw.arrayBuffer()) };
  }

  describe("keys", () => {
    it("takes an ingest (bridge) key in x-agentpack-key or as a Bearer key, and refuses anything else with a code", async () => {
      const mime = rawMessage({ to: "stock@test.local", subject: "keyed" });
      const type = "message/rfc822";
      const none = await t.api("POST", "/ingest", {
        key: null,
        raw: mime,
        headers: { "content-type": type },
      });
      assert.equal(none.status, 401);
      assert.equal(none.body.code, "UNAUTHENTICATED");
      assert.match(none.body.error, /x-agentpack-key/);
      const bad = await bridge("/ingest", { raw: mime, type, key: "pbx_live_aaaaaaaaaaaaaaaa.bad" });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.code, "INVALID_API_KEY");
      const both = await t.api("POST", "/ingest", {
        raw: mime,
        headers: { "content-type": type, "x-agentpack-key": bridgeKey },
      });
      assert.equal(both.status, 401);
      assert.equal(both.body.code, "AMBIGUOUS_CREDENTIALS");
      const agent = await bridge("/ingest", { raw: mime, type, key: agentKey });
      assert.equal(agent.status, 403);
      assert.equal(agent.body.code, "INSUFFICIENT_SCOPE");
      // The bridge key feeds mail in and reads nothing.
      const list = await bridge("/list", { json: { agent_id: "stock" } });
      assert.equal(list.status, 403);
      assert.equal(list.body.code, "INSUFFICIENT_SCOPE");
      const bearer = await t.api("POST", "/ingest", {
        key: bridgeKey,
        raw: mime,
        headers: { "content-type": type },
      });
      assert.equal(bearer.status, 202);
      // A provider's webhook URL carries it as Basic credentials (https://postbox:<key>@host/ingest).
      const basic = await t.api("POST", "/ingest", {
        key: null,
        body: postmarkInbound("stock@test.local"),
        headers: { authorization: `Basic ${Buffer.from(`postbox:${bridgeKey}`).toString("base64")}` },
      });
      assert.equal(basic.status, 202);
      const badBasic = await t.api("POST", "/ingest", {
        key: null,
        body: postmarkInbound("stock@test.local"),
        headers: { authorization: `Basic ${Buffer.from("postbox:wrong").toString("base64")}` },
      });
      assert.equal(badBasic.status, 401);
      assert.equal(badBasic.body.code, "INVALID_API_KEY");
      // Elsewhere Basic credentials mean nothing.
      const v1 = await t.api("GET", "/v1/mailboxes", {
        key: null,
        headers: { authorization: `Basic ${Buffer.from(`postbox:${bridgeKey}`).toString("base64")}` },
      });
      assert.equal(v1.status, 401);
      // A revoked key stops at once.
      const spare = await t.client().apiKeys.create({ role: "ingest" });
      await t.client().apiKeys.revoke(spare.id);
      const revoked = await bridge("/ingest", { raw: mime, type, key: spare.api_key });
      assert.equal(revoked.status, 401);
    });
  });

  describe("/ingest", () => {
    it("stores raw MIME byte for byte; recipients come from the message's own headers when none are given", async () => {
      const mime = rawMessage({
        from: "Ana <ana@example.com>",
        to: "stock@test.local, someone@other.example",
        subject: "Raw delivery",
        body: "Plain raw body.",
      });
      const res = await bridge("/ingest", { raw: mime, type: "message/rfc822" });
      assert.equal(res.body.format, "mime");
      assert.equal(res.body.reconstructed, false);
      assert.deepEqual(
        res.body.accepted.map((a: { recipient: string }) => a.recipient),
        ["stock@test.local"],
      );
      const { msg, raw } = await readBack(res);
      assert.equal(raw.toString("utf8"), mime);
      assert.equal(msg.subject, "Raw delivery");
      assert.equal(msg.sender, "ana@example.com");
      assert.equal(msg.body.text.trim(), "Plain raw body.");
      assert.equal(msg.state, "available");
      assert.equal(msg.envelope.transport, "http");
    });

    it("takes the envelope from the query string like /v1/ingest, and an alias delivers to its mailbox", async () => {
      const mime = rawMessage({ to: "Orders <orders@test.local>", subject: "To the alias" });
      const res = await bridge(
        "/ingest?rcpt_to=orders%2Bweek48@test.local&mail_from=bounce@example.com&client_ip=192.0.2.1&helo=mx.example.com",
        { raw: mime, type: "message/rfc822" },
      );
      assert.equal(res.body.accepted[0].mailbox_id, stockId);
      const { msg } = await readBack(res);
      assert.equal(msg.mailbox_id, stockId);
      assert.equal(msg.envelope.mail_from, "bounce@example.com");
      assert.equal(msg.envelope.client_ip, "192.0.2.1");
      assert.deepEqual(msg.envelope.rcpt_to, ["orders+week48@test.local"]);
      // The alias is an address of the installation, so the plain /v1/ingest and SMTP resolve it too.
      const v1 = await t.api("POST", "/v1/ingest?rcpt_to=orders@test.local", {
        raw: mime,
        headers: { "content-type": "message/rfc822" },
      });
      assert.equal(v1.body.accepted[0].mailbox_id, stockId);
    });

    it("rebuilds Postmark's JSON into MIME: subject, sender, bodies and attachments read back through /v1", async () => {
      const res = await bridge("/ingest", { json: postmarkInbound("stock@test.local") });
      assert.equal(res.body.format, "postmark");
      assert.equal(res.body.reconstructed, true);
      const { msg, raw } = await readBack(res);
      assert.equal(msg.subject, "Reorder for week 48 — Grüße");
      assert.equal(msg.sender, "priya@orchard.example");
      assert.equal(msg.sender_name, "Priya Raman");
      assert.equal(msg.internet_message_id, "<CAF8x2=week48@mail.orchard.example>");
      assert.match(msg.body.text, /please reorder the attached quantities/);
      assert.match(msg.body.html, /please reorder/);
      assert.deepEqual(
        msg.attachments
          .map((a: { filename: string; content_type: string; size: number }) => [
            a.filename,
            a.content_type,
            a.size,
          ])
          .sort(),
        [
          ["logo.png", "image/png", 70],
          ["reorder.csv", "text/csv", CSV_TEXT.length],
        ],
      );
      assert.deepEqual(msg.envelope.rcpt_to, ["stock@test.local"]);
      const text = raw.toString("utf8");
      assert.match(text, /^Return-Path: /);
      assert.match(text, /\r\nX-Postbox-Reconstructed: postmark\r\n/);
      assert.doesNotMatch(text, /DKIM-Signature/i);
    });

    it("keeps Postmark's RawEmail as the stored message", async () => {
      const mime = rawMessage({ to: "stock@test.local", subject: "Postmark raw" });
      const res = await bridge("/ingest", { json: postmarkInbound("stock@test.local", { raw: mime }) });
      assert.equal(res.body.reconstructed, false);
      const { msg, raw } = await readBack(res);
      assert.equal(raw.toString("utf8"), mime);
      assert.equal(msg.subject, "Postmark raw");
    });

    it("rebuilds SendGrid's parsed form, decoding the text in the charset SendGrid names", async () => {
      const res = await form("/ingest", sendgridParsed("stock@test.local"));
      assert.equal(res.body.format, "sendgrid");
      const { msg } = await readBack(res);
      assert.equal(msg.subject, "Container ETA");
      assert.equal(msg.sender, "joel@harbour.example");
      assert.equal(msg.sender_name, "Joël Martin");
      assert.equal(msg.body.text.trim(), "Café crate arrives Tuesday.");
      assert.deepEqual(
        msg.attachments.map((a: { filename: string; size: number }) => [a.filename, a.size]),
        [["manifest.pdf", PDF_BYTES.length]],
      );
      assert.equal(msg.envelope.mail_from, "joel@harbour.example");
      assert.equal(msg.envelope.client_ip, "198.51.100.7");
    });

    it("keeps SendGrid's raw `email` field byte for byte", async () => {
      const mime = rawMessage({ to: "stock@test.local", subject: "SendGrid raw", body: "Grüße roh" });
      const res = await form("/ingest", sendgridRaw("stock@test.local", mime));
      const { msg, raw } = await readBack(res);
      assert.deepEqual(raw, Buffer.from(mime));
      assert.equal(msg.body.text.trim(), "Grüße roh");
    });

    it("rebuilds a signed Mailgun forward and keeps its body-mime variant; the signature is checked", async () => {
      const now = Math.floor(Date.now() / 1000);
      const res = await form("/ingest", mailgunParsed("stock@test.local", now));
      assert.equal(res.body.format, "mailgun");
      const { msg } = await readBack(res);
      assert.equal(msg.subject, "Lamp rota — December");
      assert.equal(msg.sender, "ops@lighthouse.example");
      assert.equal(msg.body.text.trim(), "Rota attached.\n\n> earlier thread");
      assert.equal(msg.attachments[0].filename, "rota.csv");
      assert.equal(msg.envelope.mail_from, "ops@lighthouse.example");

      const mime = rawMessage({ to: "stock@test.local", subject: "Mailgun raw" });
      const raw = await form("/ingest", mailgunMime("stock@test.local", mime, now));
      assert.equal((await readBack(raw)).raw.toString("utf8"), mime);

      const forged = await form("/ingest", mailgunParsed("stock@test.local", now, "not-the-signing-key"));
      assert.equal(forged.status, 401);
      assert.equal(forged.body.code, "MAILGUN_SIGNATURE_INVALID");
      const unsigned = await form(
        "/ingest",
        urlencoded({ recipient: "stock@test.local", "body-mime": mime }),
      );
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.body.code, "MAILGUN_SIGNATURE_INVALID");
    });

    it("answers hostile and malformed payloads with a coded 4xx and stores nothing", async () => {
      const before = await t.pb.db.query<{ n: number }>("select count(*)::int as n from messages");
      const pm = postmarkInbound("stock@test.local");
      const cases: [string, Awaited<ReturnType<typeof bridge>>, number, string][] = [
        [
          "not JSON",
          await bridge("/ingest", { raw: "{nope", type: "application/json" }),
          400,
          "INVALID_JSON",
        ],
        ["a JSON array", await bridge("/ingest", { json: [1, 2] }), 422, "UNRECOGNIZED_PAYLOAD"],
        ["no known field", await bridge("/ingest", { json: { hello: "x" } }), 422, "UNRECOGNIZED_PAYLOAD"],
        [
          "a wrong type",
          await bridge("/ingest", { json: { ...pm, TextBody: { a: 1 } } }),
          400,
          "INVALID_PAYLOAD",
        ],
        [
          "bad base64",
          await bridge("/ingest", { json: { ...pm, Attachments: [{ Name: "x", Content: "%%%" }] } }),
          400,
          "INVALID_ATTACHMENT",
        ],
        [
          "a header name with CRLF",
          await bridge("/ingest", { json: { ...pm, Headers: [{ Name: "X\r\nBcc", Value: "v" }] } }),
          400,
          "INVALID_HEADER",
        ],
        ["a NUL", await bridge("/ingest", { json: { ...pm, Subject: "a\u0000b" } }), 400, "INVALID_STRING"],
        [
          "a broken form",
          await bridge("/ingest", { raw: "--x\r\ngarbage", type: "multipart/form-data; boundary=x" }),
          400,
          "INVALID_FORM",
        ],
        [
          "a form of nobody",
          await form("/ingest", multipart([{ name: "comment", value: "hi" }])),
          422,
          "UNRECOGNIZED_PAYLOAD",
        ],
        [
          "a form named as Postmark",
          await form("/ingest?format=postmark", sendgridRaw("stock@test.local", "x")),
          422,
          "UNRECOGNIZED_PAYLOAD",
        ],
        [
          "text/plain",
          await bridge("/ingest", { raw: "hello", type: "text/plain" }),
          415,
          "UNSUPPORTED_MEDIA_TYPE",
        ],
        [
          "no recipient anywhere",
          await bridge("/ingest", { raw: "Subject: x\r\n\r\nbody\r\n", type: "message/rfc822" }),
          422,
          "NO_RECIPIENTS",
        ],
        [
          "only foreign recipients",
          await bridge("/ingest", { json: { ...pm, OriginalRecipient: "x@other.example" } }),
          422,
          "NO_VALID_RECIPIENTS",
        ],
        [
          "an unknown format name",
          await bridge("/ingest?format=smoke", { raw: "x", type: "message/rfc822" }),
          400,
          "VALIDATION_ERROR",
        ],
        [
          "a message rebuilt past the size limit",
          await bridge("/ingest", {
            json: {
              ...pm,
              Attachments: [{ Name: "big.bin", Content: Buffer.alloc(MAX_MESSAGE_BYTES).toString("base64") }],
            },
          }),
          413,
          "MESSAGE_TOO_LARGE",
        ],
        [
          "a raw message past the size limit",
          await bridge("/ingest", {
            raw: rawMessage({ to: "stock@test.local", body: "x".repeat(MAX_MESSAGE_BYTES) }),
            type: "message/rfc822",
          }),
          413,
          "MESSAGE_TOO_LARGE",
        ],
        [
          "an empty message",
          await bridge("/ingest?rcpt_to=stock@test.local", { raw: "", type: "message/rfc822" }),
          400,
          "VALIDATION_ERROR",
        ],
      ];
      for (const [what, res, status, code] of cases) {
        assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, code, what);
      }
      const after_ = await t.pb.db.query<{ n: number }>("select count(*)::int as n from messages");
      assert.equal(after_[0]!.n, before[0]!.n);
    });
  });

  describe("/alloc", () => {
    it("returns the same mailbox for an agent id every time, and its aliases", async () => {
      const again = await t.api("POST", "/alloc", {
        body: { agent_id: "Stock", aliases: ["orders", "supply"] },
      });
      assert.equal(again.status, 200);
      assert.equal(again.body.mailbox_id, stockId);
      assert.equal(again.body.created, false);
      assert.equal(again.body.address, "stock@test.local");
      assert.deepEqual(again.body.aliases, ["orders@test.local", "supply@test.local"]);
      const res = await bridge("/ingest", {
        raw: rawMessage({ to: "supply@test.local", subject: "via supply" }),
        type: "message/rfc822",
      });
      assert.equal(res.body.accepted[0].mailbox_id, stockId);
      // An agent key bound to the mailbox may look it up with x-agentpack-key, not change it.
      const look = await bridge("/alloc", { json: { agent_id: "stock" }, key: agentKey });
      assert.equal(look.status, 200);
      assert.deepEqual(look.body.aliases, ["orders@test.local", "supply@test.local"]);
      const add = await bridge("/alloc", { json: { agent_id: "stock", aliases: ["more"] }, key: agentKey });
      assert.equal(add.status, 403);
      const other = await bridge("/alloc", { json: { agent_id: "somebody-else" }, key: agentKey });
      assert.equal(other.status, 403);
    });

    it("refuses an alias another mailbox holds, a reserved one, a bad name, and mailboxes named like an alias", async () => {
      const second = await t.api("POST", "/alloc", {
        body: { agent_id: "finance", display_name: "Finance" },
      });
      assert.equal(second.status, 201);
      assert.equal(second.body.display_name, "Finance");
      const taken = await t.api("POST", "/alloc", { body: { agent_id: "finance", aliases: ["orders"] } });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, "ALIAS_TAKEN");
      const mailboxName = await t.api("POST", "/alloc", {
        body: { agent_id: "finance", aliases: ["stock"] },
      });
      assert.equal(mailboxName.status, 409);
      assert.equal(mailboxName.body.code, "ALIAS_TAKEN");
      // All or nothing: the good alias of a refused call was not added.
      const partial = await t.api("POST", "/alloc", {
        body: { agent_id: "finance", aliases: ["ledger", "orders"] },
      });
      assert.equal(partial.status, 409);
      assert.deepEqual((await t.api("POST", "/alloc", { body: { agent_id: "finance" } })).body.aliases, []);
      const reserved = await t.api("POST", "/alloc", { body: { agent_id: "finance", aliases: ["bounces"] } });
      assert.equal(reserved.status, 403);
      assert.equal(reserved.body.code, "MAILBOX_NAME_RESERVED");
      for (const agent_id of ["has space", "a+b", "x".repeat(65)]) {
        const bad = await t.api("POST", "/alloc", { body: { agent_id } });
        assert.equal(bad.status, 400, agent_id);
        assert.equal(bad.body.code, "VALIDATION_ERROR", agent_id);
      }
      const shadow = await t.api("POST", "/v1/mailboxes", { body: { name: "orders" } });
      assert.equal(shadow.status, 409);
      assert.equal(shadow.body.code, "MAILBOX_NAME_TAKEN");
    });
  });

  describe("/send, /list, /mark_read", () => {
    it("sends through the normal send path and lists both directions with paging", async () => {
      const sent = await t.api("POST", "/send", {
        body: {
          agent_id: "stock",
          to: "finance@test.local",
          subject: "Invoice run",
          text: "Please run the invoices.",
        },
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.status, "sent");
      assert.ok(sent.body.message_id && sent.body.thread_id);
      // Local delivery: the finance mailbox receives it.
      const got = await eventually(async () => {
        const r = await t.api("POST", "/list", { body: { agent_id: "finance", direction: "in" } });
        return r.body.messages.find((m: { subject: string }) => m.subject === "Invoice run");
      });
      assert.equal(got.sender, "stock@test.local");
      const again = await t.api("POST", "/send", {
        headers: { "idempotency-key": "k-1" },
        body: { agent_id: "stock", to: ["finance@test.local"], subject: "Once", text: "once" },
      });
      const repeat = await t.api("POST", "/send", {
        headers: { "idempotency-key": "k-1" },
        body: { agent_id: "stock", to: ["finance@test.local"], subject: "Once", text: "once" },
      });
      assert.equal(repeat.body.message_id, again.body.message_id);

      const out = await bridge("/list", { json: { agent_id: "stock", direction: "out" }, key: agentKey });
      assert.equal(out.status, 200);
      assert.ok(out.body.messages.length >= 2);
      assert.ok(out.body.messages.every((m: { direction: string }) => m.direction === "outbound"));
      const inbound = await t.api("POST", "/list", {
        body: { agent_id: "stock", direction: "inbound", limit: 2 },
      });
      assert.equal(inbound.body.messages.length, 2);
      assert.equal(inbound.body.has_more, true);
      const next = await t.api("POST", "/list", {
        body: { agent_id: "stock", direction: "inbound", limit: 2, cursor: inbound.body.next_cursor },
      });
      assert.equal(next.status, 200);
      const firstIds = inbound.body.messages.map((m: { id: string }) => m.id);
      assert.ok(next.body.messages.every((m: { id: string }) => !firstIds.includes(m.id)));
      const future = await t.api("POST", "/list", {
        body: { agent_id: "stock", since: "2999-01-01T00:00:00Z" },
      });
      assert.deepEqual(future.body.messages, []);
      // Prefer: outcome=strict as on /v1: a held send is 409, a blocked one 422, the result in details.
      const strict = (text: string) =>
        t.api("POST", "/send", {
          headers: { prefer: "outcome=strict" },
          body: { agent_id: "stock", to: "client@example.com", subject: "Strict", text },
        });
      const held = await strict("My SSN is 123-45-6780");
      assert.deepEqual([held.status, held.body.code], [409, "EMAIL_EFFECT_HELD"]);
      assert.equal(held.body.details.email_effect.effect_status, "held_for_review");
      const blocked = await strict("prod key AKIAIOSFODNN7EXAMPLE");
      assert.deepEqual([blocked.status, blocked.body.code], [422, "EMAIL_EFFECT_BLOCKED"]);
      assert.equal(blocked.body.details.email_effect.terminal, true);
      const fine = await strict("All good.");
      assert.equal(fine.status, 200);
      const badSend = await bridge("/send", {
        json: { agent_id: "stock", to: "x@example.com", subject: "s", text: "t" },
      });
      assert.equal(badSend.status, 403);
    });

    it("marks many messages read at once, reporting ids it cannot see", async () => {
      const list = await t.api("POST", "/list", {
        body: { agent_id: "stock", direction: "in", unread: true, limit: 3 },
      });
      const ids = list.body.messages.map((m: { id: string }) => m.id) as string[];
      assert.equal(ids.length, 3);
      const unknown = "00000000-0000-4000-8000-000000000000";
      const res = await bridge("/mark_read", { json: { ids: [...ids, unknown, "garbage"] }, key: agentKey });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.marked.map((m: { id: string }) => m.id),
        ids,
      );
      assert.ok(res.body.marked.every((m: { read_at: string }) => m.read_at));
      assert.deepEqual(res.body.not_found, [unknown, "garbage"]);
      for (const id of ids) assert.ok((await t.api("GET", `/v1/messages/${id}`)).body.read_at);
      const unread = await t.api("POST", "/list", { body: { agent_id: "stock", unread: true, limit: 100 } });
      assert.ok(unread.body.messages.every((m: { id: string }) => !ids.includes(m.id)));
      // Finance's mail is not the stock agent's to mark.
      const finance = await t.api("POST", "/list", { body: { agent_id: "finance" } });
      const theirs = await bridge("/mark_read", {
        json: { ids: [finance.body.messages[0].id] },
        key: agentKey,
      });
      assert.deepEqual(theirs.body.not_found, [finance.body.messages[0].id]);
      const empty = await bridge("/mark_read", { json: { ids: [] }, key: agentKey });
      assert.equal(empty.status, 400);
    });
  });

  describe("/rule/put", () => {
    it("creates and replaces a rule by name, and the rule runs on new mail", async () => {
      const rule = {
        name: "tag-suppliers",
        when: { from: "*@orchard.example" },
        action: { type: "label", label: "supplier" },
      };
      const put = await t.api("POST", "/rule/put", { body: { agent_id: "stock", rule } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.replaced, false);
      assert.equal(put.body.index, 0);
      const second = await t.api("POST", "/rule/put", {
        body: {
          agent_id: "stock",
          rule: {
            name: "urgent",
            when: { subject_contains: "URGENT" },
            action: { type: "label", label: "urgent" },
          },
        },
      });
      assert.equal(second.body.index, 1);
      const replaced = await t.api("POST", "/rule/put", {
        body: { agent_id: "stock", rule: { ...rule, action: { type: "label", label: "orchard" } } },
      });
      assert.equal(replaced.body.replaced, true);
      assert.equal(replaced.body.index, 0);
      assert.equal(replaced.body.rules.length, 2);
      const stored = await t.api("GET", `/v1/mailboxes/stock/rules`);
      assert.equal(stored.body.rules[0].action.label, "orchard");

      const res = await bridge("/ingest", { json: postmarkInbound("stock@test.local") });
      const id = res.body.accepted[0].message_id;
      const labelled = await eventually(async () => {
        await settle(t);
        const m = (await t.api("GET", `/v1/messages/${id}`)).body;
        return m.labels.includes("orchard") ? m : null;
      });
      assert.ok(!labelled.labels.includes("supplier"));

      const noName = await t.api("POST", "/rule/put", {
        body: { agent_id: "stock", rule: { action: { type: "label", label: "x" } } },
      });
      assert.equal(noName.status, 400);
      assert.equal(noName.body.code, "VALIDATION_ERROR");
      const badAction = await t.api("POST", "/rule/put", {
        body: { agent_id: "stock", rule: { name: "x", action: { type: "explode" } } },
      });
      assert.equal(badAction.status, 400);
      const agent = await bridge("/rule/put", { json: { agent_id: "stock", rule }, key: agentKey });
      assert.equal(agent.status, 403);
      const missing = await t.api("POST", "/rule/put", { body: { agent_id: "nobody-here", rule } });
      assert.equal(missing.status, 404);
    });
  });

  describe("/webhook/register and /webhook/rotate", () => {
    /** HMAC-SHA256(secret, timestamp + "." + body), as docs/bridge.md tells a receiver to compute it. */
    const mac = (secret: string, ts: string, body: string) =>
      createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");

    const agentpack = (r: Receiver["received"][number]) => ({
      ts: String(r.headers["x-agentpack-webhook-timestamp"]),
      sigs: String(r.headers["x-agentpack-webhook-signature"])
        .split(",")
        .map((s) => s.trim()),
    });

    async function arrival(n: number, subject: string) {
      const res = await bridge("/ingest", {
        raw: rawMessage({ to: "stock@test.local", subject }),
        type: "message/rfc822",
      });
      assert.equal(res.status, 202);
      await settle(t);
      const all = await rx.waitFor(n);
      return all.find((r) => r.json.data.subject === subject)!;
    }

    it("signs deliveries with x-agentpack-webhook-*, and with both secrets after a rotation", async () => {
      const reg = await t.api("POST", "/webhook/register", { body: { url: rx.url } });
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
      assert.deepEqual(reg.body.events, ["message.received"]);
      const first = reg.body.secret as string;
      assert.match(first, /^whsec_/);
      const listed = (await t.api("GET", `/v1/webhooks/${reg.body.webhook_id}`)).body;
      assert.equal(listed.signature_scheme, "agentpack");

      const one = await arrival(1, "hook one");
      const a = agentpack(one);
      assert.equal(one.json.event, "message.received");
      assert.equal(one.json.data.mailbox_id, stockId);
      assert.ok(Math.abs(Number(a.ts) - Date.now() / 1000) < 600);
      assert.deepEqual(a.sigs, [`v1=${mac(first, a.ts, one.body)}`]);
      // The Postbox signature rides along, from the same secret.
      assert.ok(rx.verify(one, first));

      const rot = await t.api("POST", "/webhook/rotate", {
        body: { webhook_id: reg.body.webhook_id, grace_seconds: 3600 },
      });
      assert.equal(rot.status, 200, JSON.stringify(rot.body));
      const second = rot.body.secret as string;
      assert.notEqual(second, first);
      assert.ok(Date.parse(rot.body.previous_secret_expires_at) > Date.now());
      const two = await arrival(2, "hook two");
      const b = agentpack(two);
      assert.deepEqual(b.sigs, [`v1=${mac(second, b.ts, two.body)}`, `v1=${mac(first, b.ts, two.body)}`]);

      const cut = await t.api("POST", "/webhook/rotate", {
        body: { webhook_id: reg.body.webhook_id, grace_seconds: 0 },
      });
      assert.equal(cut.body.previous_secret_expires_at, null);
      const three = await arrival(3, "hook three");
      const c = agentpack(three);
      assert.deepEqual(c.sigs, [`v1=${mac(cut.body.secret, c.ts, three.body)}`]);
      assert.ok(!c.sigs.includes(`v1=${mac(second, c.ts, three.body)}`));
    });

    it("refuses bad events, unknown webhooks and non-admin keys with codes", async () => {
      const bad = await t.api("POST", "/webhook/register", {
        body: { url: rx.url, events: ["message.nope"] },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "VALIDATION_ERROR");
      const url = await t.api("POST", "/webhook/register", { body: { url: "ftp://example.com/x" } });
      assert.equal(url.body.code, "WEBHOOK_URL_INVALID");
      const unknown = await t.api("POST", "/webhook/rotate", {
        body: { webhook_id: "00000000-0000-4000-8000-000000000000" },
      });
      assert.equal(unknown.status, 404);
      const agent = await bridge("/webhook/register", { json: { url: rx.url }, key: agentKey });
      assert.equal(agent.status, 403);
      const ingestKey = await bridge("/webhook/rotate", { json: { webhook_id: "x" } });
      assert.equal(ingestKey.status, 403);
    });
  });
});
