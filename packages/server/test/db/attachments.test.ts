import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createFsBlobStore, sha256Hex } from "../../src/store/blobs.ts";
import { fixturePdf, fixturePng, WINDOWS_EXE } from "../attachment-fixtures.ts";
import { dbLabel, eventually, smtpClient, startTestServer, type TestServer } from "../helpers.ts";

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
  let agentKey: string;
  let otherAgentKey: string;

  before(async () => {
    t = await startTestServer();
    const admin = t.client();
    await admin.mailboxes.create({ name: "files" });
    await admin.mailboxes.create({ name: "elsewhere" });
    agentKey = (await admin.apiKeys.create({ role: "agent", mailbox_ids: ["files"] })).api_key;
    otherAgentKey = (await admin.apiKeys.create({ role: "agent", mailbox_ids: ["elsewhere"] })).api_key;
  });
  after(() => t.stop());

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
        assert.ok(
          (await createFsBlobStore(path.join(t.dataDir, "blobs")).get(a.hash)).equals(bytes),
          `${a.filename} stored byte-exact`,
        );
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
});
