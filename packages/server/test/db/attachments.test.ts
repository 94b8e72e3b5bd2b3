import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { sha256Hex } from "../../src/store/blobs.ts";
import { fixturePdf, fixturePng, WINDOWS_EXE } from "../attachment-fixtures.ts";
import {
  dbLabel,
  eventually,
  type Sink,
  smtpClient,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

const PDF = fixturePdf("Invoice 1042 total 42 EUR");
const CSV = Buffer.from("item,qty\nwidget,3\ngadget,5\n");
const PNG = fixturePng();

/** A message with a PDF, a CSV, an image and an executable that calls itself a PDF, sent over real SMTP. */
async function sendMixed(t: TestServer, to: string, subject: string): Promise<string> {
  const smtp = smtpClient(t.pb.smtpPort!);
  await smtp.sendMail({
    from: "Sam <sam@example.com>",
    to,
    subject,
    text: "Files attached.",
    attachments: [
      { filename: "invoice.pdf", content: PDF, contentType: "application/pdf" },
      { filename: "orders.csv", content: CSV, contentType: "text/csv" },
      { filename: "logo.png", content: PNG, contentType: "image/png", cid: "logo@example.com" },
      { filename: "report\u202Efdp.exe", content: WINDOWS_EXE, contentType: "application/pdf" },
    ],
  });
  smtp.close();
  const id = await eventually(async () => {
    const [row] = await t.pb.db.query<{ id: string; state: string }>(
      "select id, state from messages where subject = $1 and direction = 'inbound'",
      [subject],
    );
    return row && row.state !== "received" ? row.id : null;
  });
  return id;
}

describe(`attachments (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let agentKey: string;
  let otherAgentKey: string;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url, POSTBOX_RETRY_SCHEDULE: "1s" });
    const admin = t.client();
    await admin.mailboxes.create({ name: "files" });
    await admin.mailboxes.create({ name: "elsewhere" });
    agentKey = (await admin.apiKeys.create({ role: "agent", mailbox_ids: ["files"] })).api_key;
    otherAgentKey = (await admin.apiKeys.create({ role: "agent", mailbox_ids: ["elsewhere"] })).api_key;
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  describe("inbound", () => {
    let id: string;
    before(async () => {
      id = await sendMixed(t, "files@test.local", `mixed ${randomUUID()}`);
    });

    it("stores every attachment content-addressed and describes it from its bytes", async () => {
      const m = (await t.api("GET", `/v1/messages/${id}`)).body;
      assert.equal(m.state, "available");
      assert.equal(m.attachments.length, 4);
      const [pdf, csv, png, exe] = m.attachments;
      assert.deepEqual(
        { ...pdf, preview_generated_at: undefined },
        {
          index: 0,
          filename: "invoice.pdf",
          content_type: "application/pdf",
          size: PDF.length,
          hash: sha256Hex(PDF),
          sniffed_mime_type: "application/pdf",
          declared_mime_type: "application/pdf",
          mime_mismatch: false,
          family: "pdf",
          dangerous: false,
          dangerous_reason: null,
          content_id: null,
          content_disposition: "attachment",
          inline: false,
          stored: true,
          policy_action: "deliver",
          av_verdict: "skipped",
          preview_status: "ready",
          preview_kind: "text",
          preview_reason_code: null,
          preview_char_count: "Invoice 1042 total 42 EUR".length,
          preview_page_count: 1,
          preview_truncated: false,
          preview_generated_at: undefined,
        },
      );
      assert.equal(csv.family, "csv");
      assert.equal(csv.sniffed_mime_type, "text/plain");
      assert.equal(csv.policy_action, "deliver");
      assert.equal(png.family, "image");
      assert.equal(png.content_id, "logo@example.com");
      assert.equal(png.preview_status, null);
      // The bidi override is gone from the name; the bytes are a program whatever the label says.
      assert.equal(exe.filename, "reportfdp.exe");
      assert.equal(exe.declared_mime_type, "application/pdf");
      assert.equal(exe.sniffed_mime_type, "application/x-msdownload");
      assert.equal(exe.mime_mismatch, true);
      assert.equal(exe.dangerous, true);
      assert.equal(exe.policy_action, "block");
      assert.equal(exe.preview_status, "blocked");
      for (const [a, bytes] of [
        [pdf, PDF],
        [csv, CSV],
        [png, PNG],
        [exe, WINDOWS_EXE],
      ] as const)
        assert.ok((await t.pb.blobs.get(a.hash)).equals(bytes), `${a.filename} stored byte-exact`);
    });

    it("stores a file once however many messages carry it", async () => {
      const second = await sendMixed(t, "files@test.local", `again ${randomUUID()}`);
      const a = (await t.api("GET", `/v1/messages/${id}`)).body.attachments;
      const b = (await t.api("GET", `/v1/messages/${second}`)).body.attachments;
      assert.deepEqual(
        a.map((x: { hash: string }) => x.hash),
        b.map((x: { hash: string }) => x.hash),
      );
    });

    it("reads messages stored before attachments were: metadata only, not stored", async () => {
      await t.pb.db.query("update messages set attachments = $2::jsonb where id = $1", [
        id,
        JSON.stringify([{ filename: "old.pdf", content_type: "application/pdf", size: 12 }]),
      ]);
      try {
        const m = (await t.api("GET", `/v1/messages/${id}`)).body;
        assert.equal(m.attachments[0].stored, false);
        assert.equal(m.attachments[0].policy_action, "metadata_only");
        assert.equal(m.attachments[0].hash, null);
        assert.equal(m.has_attachment, true);
        const r = await t.api("GET", `/v1/messages/${id}/attachments/0`);
        assert.deepEqual([r.status, r.body.code], [404, "ATTACHMENT_NOT_STORED"]);
      } finally {
        const fresh = await sendMixed(t, "files@test.local", `restore ${randomUUID()}`);
        await t.pb.db.query(
          "update messages set attachments = (select attachments from messages where id = $2) where id = $1",
          [id, fresh],
        );
      }
    });
  });

  describe("access", () => {
    let id: string;
    let otherAccountKey: string;
    const access = (body: unknown) => t.api("POST", "/v1/mailboxes/files/attachment-access", { body });
    const url = (key: string, index: number) =>
      t.api("GET", `/v1/messages/${id}/attachments/${index}`, { key });
    const preview = (key: string, index: number) =>
      t.api("GET", `/v1/messages/${id}/attachments/${index}/preview`, { key });
    /** Follows a signed URL without any key, as a browser or curl would. */
    async function download(u: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
      const res = await fetch(u);
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
    }

    before(async () => {
      id = await sendMixed(t, "files@test.local", `access ${randomUUID()}`);
      otherAccountKey = (await t.client().accounts.create({ name: "other" })).admin_key;
    });

    it("metadata_only: agents see descriptions only; admin keys download and preview", async () => {
      await access({ enable: false });
      assert.deepEqual(
        [(await url(agentKey, 0)).status, (await url(agentKey, 0)).body.code],
        [403, "ATTACHMENT_ACCESS_DISABLED"],
      );
      const p = await preview(agentKey, 0);
      assert.deepEqual([p.status, p.body.code], [403, "ATTACHMENT_PREVIEW_DISABLED"]);
      const signed = await url(t.adminKey, 0);
      assert.equal(signed.status, 200);
      assert.equal(signed.body.hash, sha256Hex(PDF));
      assert.ok(Date.parse(signed.body.expires_at) - Date.now() <= 5 * 60 * 1000);
      const got = await download(signed.body.url);
      assert.equal(got.status, 200, got.bytes.toString());
      assert.ok(got.bytes.equals(PDF), "byte-exact");
      assert.equal(got.headers.get("content-type"), "application/octet-stream");
      assert.match(got.headers.get("content-disposition")!, /^attachment; filename="invoice.pdf"/);
      const text = (await preview(t.adminKey, 0)).body;
      assert.equal(text.preview.content.trim(), "Invoice 1042 total 42 EUR");
      assert.equal(text.preview.extractor, "pdf");
      assert.equal(text.preview.page_count, 1);
    });

    it("derived_content: agents read text previews (CSV, PDF) but download nothing", async () => {
      await access({ mode: "derived_content" });
      const csv = await preview(agentKey, 1);
      assert.equal(csv.status, 200);
      assert.equal(csv.body.preview.content, CSV.toString());
      assert.equal(csv.body.preview.char_count, CSV.length);
      assert.equal(csv.body.preview.truncated, false);
      assert.equal((await preview(agentKey, 0)).status, 200);
      const image = await preview(agentKey, 2);
      assert.deepEqual([image.status, image.body.code], [404, "ATTACHMENT_PREVIEW_NOT_AVAILABLE"]);
      assert.equal((await url(agentKey, 1)).body.code, "ATTACHMENT_ACCESS_DISABLED");
    });

    it("raw_download_selected_types: agents download allowed families; images need the image-risk acceptance", async () => {
      assert.equal(
        (await access({ mode: "raw_download_selected_types", allowed_file_families: ["pdf", "csv"] })).status,
        200,
      );
      const pdf = await download((await url(agentKey, 0)).body.url);
      assert.ok(pdf.bytes.equals(PDF));
      const csv = await download((await url(agentKey, 1)).body.url);
      assert.ok(csv.bytes.equals(CSV));
      assert.equal((await url(agentKey, 2)).body.code, "ATTACHMENT_ACCESS_DISABLED", "image not allowed");
      const noRisk = await access({ mode: "raw_download_selected_types", allowed_file_families: ["image"] });
      assert.deepEqual([noRisk.status, noRisk.body.code], [400, "IMAGE_RISK_ACCEPTANCE_REQUIRED"]);
      const current = noRisk.body.details.current_image_risk_version;
      const stale = await access({
        allowed_file_families: ["image"],
        mode: "raw_download_selected_types",
        accept_image_risk_version: "v0",
      });
      assert.equal(stale.status, 400);
      // "*" never stands for images.
      await access({ mode: "raw_download_selected_types", allowed_file_families: ["*"] });
      assert.equal((await url(agentKey, 2)).body.code, "ATTACHMENT_ACCESS_DISABLED");
      const ok = await access({
        mode: "raw_download_selected_types",
        allowed_file_families: ["image"],
        accept_image_risk_version: current,
      });
      assert.equal(ok.body.image_raw_download_confirmed, true);
      const png = await download((await url(agentKey, 2)).body.url);
      assert.ok(png.bytes.equals(PNG));
      const mb = (await t.api("GET", "/v1/mailboxes/files")).body;
      assert.equal(mb.attachment_image_access_accepted_version, current);
    });

    it("never lets anyone download the mislabelled executable", async () => {
      await access({ mode: "raw_download_selected_types", allowed_file_families: ["*", "pdf"] });
      for (const key of [agentKey, t.adminKey]) {
        const r = await url(key, 3);
        assert.deepEqual([r.status, r.body.code], [403, "ATTACHMENT_BLOCKED"]);
        assert.equal((await preview(key, 3)).body.code, "ATTACHMENT_BLOCKED");
      }
      assert.equal((await url(t.adminKey, 9)).body.code, "ATTACHMENT_NOT_FOUND");
    });

    it("keeps mailboxes and accounts apart; signed URLs open only what they were made for", async () => {
      for (const key of [otherAgentKey, otherAccountKey]) {
        assert.equal((await url(key, 0)).status, 404);
        assert.equal((await preview(key, 0)).status, 404);
      }
      const signed = (await url(t.adminKey, 0)).body.url as string;
      const [base, token] = signed.split("/v1/attachment-downloads?token=");
      const [payload, sig] = token!.split(".");
      const forged = Buffer.from(
        Buffer.from(payload!, "base64url").toString().replace('"i":0', '"i":1'),
      ).toString("base64url");
      const bad = await fetch(`${base}/v1/attachment-downloads?token=${forged}.${sig}`);
      assert.equal(bad.status, 403);
      assert.equal(((await bad.json()) as { code: string }).code, "DOWNLOAD_URL_INVALID");
    });

    it("refuses agents on quarantined mail and everyone while mail is processed", async () => {
      await t.pb.db.query("update messages set state = 'quarantined' where id = $1", [id]);
      try {
        assert.equal((await url(agentKey, 0)).status, 404, "held mail does not exist for agents");
        assert.equal((await url(t.adminKey, 0)).status, 200, "admins review it");
        await t.pb.db.query("update messages set state = 'received' where id = $1", [id]);
        assert.equal((await url(t.adminKey, 0)).body.code, "MESSAGE_NOT_READY");
      } finally {
        await t.pb.db.query("update messages set state = 'available' where id = $1", [id]);
      }
    });
  });

  describe("outbound", () => {
    /** Uploads a file as a multipart form, as the seed's clients do. */
    async function upload(
      key: string,
      mailbox: string,
      bytes: Buffer,
      filename: string,
      type?: string,
    ): Promise<{ status: number; body: any }> {
      const form = new FormData();
      form.append("mailbox_id", mailbox);
      form.append("file", new Blob([bytes], type ? { type } : {}), filename);
      const res = await fetch(`${t.baseUrl}/v1/attachments`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: form,
      });
      return { status: res.status, body: await res.json() };
    }
    async function scanned(id: string, key = agentKey) {
      await t.pb.drain();
      const h = (await t.api("GET", `/v1/attachments/${id}`, { key })).body;
      assert.notEqual(h.content_scan_status, "pending");
      return h;
    }
    const send = (body: Record<string, unknown>, key = agentKey) =>
      t.api("POST", "/v1/messages/send", {
        key,
        body: { from_mailbox: "files", to: "bob@example.org", ...body },
      });

    it("refuses uploads until the mailbox enables outbound attachments", async () => {
      const r = await upload(agentKey, "files", PDF, "invoice.pdf", "application/pdf");
      assert.deepEqual([r.status, r.body.code], [403, "OUTBOUND_ATTACHMENTS_DISABLED"]);
      const on = await t.api("POST", "/v1/mailboxes/files/attachment-access", {
        body: { outbound_enabled: true },
      });
      assert.equal(on.body.outbound_attachments_enabled, true);
      // An agent key cannot turn it on.
      const agentOn = await t.api("POST", "/v1/mailboxes/files/attachment-access", {
        key: agentKey,
        body: { outbound_enabled: true },
      });
      assert.equal(agentOn.status, 403);
    });

    it("upload → scan → send: the relay receives the attachment byte-exact, and the handle is consumed", async () => {
      const up = await upload(agentKey, "files", PDF, "invoice.pdf", "application/pdf");
      assert.equal(up.status, 201);
      assert.equal(up.body.content_scan_status, "pending");
      assert.equal(up.body.hash, sha256Hex(PDF));
      const h = await scanned(up.body.id);
      assert.equal(h.content_scan_status, "clean");
      const before = sink.received.length;
      const sent = await send({ subject: "Your invoice", body: "Attached.", attachment_ids: [up.body.id] });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(sent.body.status, "sent");
      await t.pb.drain();
      await sink.waitFor(before + 1);
      const mail = await simpleParser(sink.received.at(-1)!.raw);
      assert.equal(mail.attachments.length, 1);
      assert.equal(mail.attachments[0]!.filename, "invoice.pdf");
      assert.ok(mail.attachments[0]!.content.equals(PDF), "byte-exact");
      const m = (await t.api("GET", `/v1/messages/${sent.body.message_id}`)).body;
      assert.equal(m.attachments[0].upload_id, up.body.id);
      assert.equal(m.attachments[0].hash, sha256Hex(PDF));
      const consumed = (await t.api("GET", `/v1/attachments/${up.body.id}`, { key: agentKey })).body;
      assert.equal(consumed.status, "consumed");
      assert.equal(consumed.consumed_message_id, sent.body.message_id);
      const again = await send({ subject: "Again", body: "x", attachment_ids: [up.body.id] });
      assert.deepEqual([again.status, again.body.code], [409, "ATTACHMENT_ALREADY_CONSUMED"]);
      assert.equal(
        (await t.api("DELETE", `/v1/attachments/${up.body.id}`, { key: agentKey })).body.code,
        "ATTACHMENT_ALREADY_CONSUMED",
      );
    });

    it("a flagged finding joins the message's verdict; a dangerous file blocks the send", async () => {
      const secret = Buffer.from("name,key\nprod,AKIAABCDEFGHIJKLMNOP\n");
      const up = await upload(agentKey, "files", secret, "keys.csv", "text/csv");
      const h = await scanned(up.body.id);
      assert.equal(h.content_scan_status, "flagged");
      assert.equal(h.scan.findings[0].category, "secret_detected");
      assert.equal(h.scan.findings[0].attachment_filename, "keys.csv");
      const sent = await send({ subject: "Keys", body: "See file.", attachment_ids: [up.body.id] });
      assert.equal(sent.body.status, "blocked");
      assert.equal(sent.body.scan.findings.at(-1).attachment_index, 0);
      const exe = await upload(agentKey, "files", WINDOWS_EXE, "invoice.pdf", "application/pdf");
      const x = await scanned(exe.body.id);
      assert.equal(x.content_scan_status, "flagged");
      assert.deepEqual(x.scan.findings.map((f: { category: string }) => f.category).sort(), [
        "attachment_policy",
        "mime_mismatch",
      ]);
      assert.equal(
        (await send({ subject: "exe", body: "x", attachment_ids: [exe.body.id] })).body.status,
        "blocked",
      );
    });

    it("fails closed on pending and unreadable files", async () => {
      const up = await upload(agentKey, "files", PDF, "a.pdf", "application/pdf");
      // A scan in flight: once the background scanner is done with this one, put it back mid-scan, taken a moment
      // ago, so no scanner takes it again for minutes (changed before the scan ends, the scan would overwrite it).
      await scanned(up.body.id);
      await t.pb.db.query(
        `update attachment_uploads set content_scan_status = 'pending', scan = null, scanned_at = null,
           scan_started_at = now() where id = $1`,
        [up.body.id],
      );
      const early = await send({ subject: "early", body: "x", attachment_ids: [up.body.id] });
      assert.deepEqual([early.status, early.body.code], [409, "ATTACHMENT_SCAN_PENDING"]);
      const broken = await upload(
        agentKey,
        "files",
        Buffer.from("%PDF-1.4\nnot really\n"),
        "b.pdf",
        "application/pdf",
      );
      const h = await scanned(broken.body.id);
      assert.equal(h.content_scan_status, "error");
      const r = await send({ subject: "broken", body: "x", attachment_ids: [broken.body.id] });
      assert.deepEqual([r.status, r.body.code], [409, "ATTACHMENT_SCAN_ERROR"]);
      assert.equal(
        (await t.api("DELETE", `/v1/attachments/${broken.body.id}`, { key: agentKey })).body.deleted,
        true,
      );
      assert.equal((await t.api("GET", `/v1/attachments/${broken.body.id}`, { key: agentKey })).status, 404);
    });

    it("images need the outbound image disclaimer", async () => {
      const r = await upload(agentKey, "files", PNG, "logo.png", "image/png");
      assert.deepEqual([r.status, r.body.code], [403, "OUTBOUND_IMAGE_DISCLAIMER_REQUIRED"]);
      const version = r.body.details.current_outbound_image_disclaimer_version;
      await t.api("POST", "/v1/mailboxes/files/attachment-access", {
        body: { accept_outbound_image_disclaimer_version: version },
      });
      const ok = await upload(agentKey, "files", PNG, "logo.png", "image/png");
      assert.equal(ok.status, 201);
      assert.equal((await scanned(ok.body.id)).content_scan_status, "clean");
    });

    it("enforces the limits: 10 MB a file, 10 files and 15 MB a message", async () => {
      const big = await upload(
        agentKey,
        "files",
        Buffer.alloc(10 * 1024 * 1024 + 1, 0x61),
        "big.txt",
        "text/plain",
      );
      assert.deepEqual([big.status, big.body.code], [413, "ATTACHMENT_TOO_LARGE"]);
      const eleven = Array.from({ length: 11 }, () => randomUUID());
      const many = await send({ subject: "many", body: "x", attachment_ids: eleven });
      assert.deepEqual([many.status, many.body.code], [400, "TOO_MANY_ATTACHMENTS"]);
      const nine = Buffer.alloc(8 * 1024 * 1024, 0x62);
      const a = await upload(agentKey, "files", nine, "a.txt", "text/plain");
      const b = await upload(
        agentKey,
        "files",
        Buffer.concat([nine, Buffer.from("x")]),
        "b.txt",
        "text/plain",
      );
      await t.pb.drain();
      const heavy = await send({ subject: "heavy", body: "x", attachment_ids: [a.body.id, b.body.id] });
      assert.deepEqual([heavy.status, heavy.body.code], [413, "ATTACHMENTS_TOO_LARGE"]);
    });

    it("keeps handles to their mailbox and account", async () => {
      await t.api("POST", "/v1/mailboxes/elsewhere/attachment-access", { body: { outbound_enabled: true } });
      const theirs = await upload(t.adminKey, "elsewhere", CSV, "o.csv", "text/csv");
      await t.pb.drain();
      assert.equal((await t.api("GET", `/v1/attachments/${theirs.body.id}`, { key: agentKey })).status, 404);
      const cross = await send({ subject: "cross", body: "x", attachment_ids: [theirs.body.id] }, t.adminKey);
      assert.deepEqual([cross.status, cross.body.code], [400, "ATTACHMENT_MAILBOX_MISMATCH"]);
      const other = (await t.client().accounts.create({ name: "third" })).admin_key;
      assert.equal((await t.api("GET", `/v1/attachments/${theirs.body.id}`, { key: other })).status, 404);
      const unbound = await upload(otherAgentKey, "files", CSV, "x.csv", "text/csv");
      assert.deepEqual([unbound.status, unbound.body.code], [403, "MAILBOX_FORBIDDEN"]);
    });

    it("drafts hold handles and consume them when sent; replies carry them too", async () => {
      const up = await upload(agentKey, "files", CSV, "orders.csv", "text/csv");
      await t.pb.drain();
      const d = await t.api("POST", "/v1/drafts", {
        key: agentKey,
        body: {
          mailbox_id: "files",
          to: "carol@example.org",
          subject: "Orders",
          body: "Attached.",
          attachment_ids: [up.body.id],
        },
      });
      assert.equal(d.status, 201, JSON.stringify(d.body));
      assert.deepEqual(d.body.attachment_ids, [up.body.id]);
      assert.equal(d.body.attachments[0].filename, "orders.csv");
      const cleared = await t.api("PATCH", `/v1/drafts/${d.body.id}`, {
        key: agentKey,
        body: { attachment_ids: null },
      });
      assert.deepEqual(cleared.body.attachment_ids, []);
      await t.api("PATCH", `/v1/drafts/${d.body.id}`, {
        key: agentKey,
        body: { attachment_ids: [up.body.id] },
      });
      const before = sink.received.length;
      const sent = await t.api("POST", `/v1/drafts/${d.body.id}/send`, { key: agentKey });
      assert.equal(sent.body.status, "sent", JSON.stringify(sent.body));
      await t.pb.drain();
      await sink.waitFor(before + 1);
      const mail = await simpleParser(sink.received.at(-1)!.raw);
      assert.ok(mail.attachments[0]!.content.equals(CSV));
      assert.equal(
        (await t.api("GET", `/v1/attachments/${up.body.id}`, { key: agentKey })).body.status,
        "consumed",
      );

      const inbound = await sendMixed(t, "files@test.local", `reply-to ${randomUUID()}`);
      const pdf = await upload(agentKey, "files", PDF, "answer.pdf", "application/pdf");
      await t.pb.drain();
      const reply = await t.api("POST", `/v1/messages/${inbound}/reply`, {
        key: agentKey,
        body: { body: "Here you go.", attachment_ids: [pdf.body.id] },
      });
      assert.equal(reply.body.status, "sent", JSON.stringify(reply.body));
      await t.pb.drain();
      await sink.waitFor(before + 2);
      const replied = await simpleParser(sink.received.at(-1)!.raw);
      assert.ok(replied.attachments[0]!.content.equals(PDF));
    });
  });
});
