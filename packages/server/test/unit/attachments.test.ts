import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AttachmentSettings,
  downloadRefusal,
  IMAGE_RISK_VERSION,
  previewRefusal,
  type StoredAttachment,
} from "../../src/domain/attachment-access.ts";
import { extractAttachmentText } from "../../src/domain/attachment-text.ts";
import {
  dangerousReason,
  familyOf,
  mimeMismatch,
  policyActionOf,
  sanitizeFilename,
  sniffMime,
} from "../../src/domain/attachment-types.ts";
import { signDownload, verifyDownload } from "../../src/domain/download-token.ts";
import { agentMayReadRaw } from "../../src/domain/mailbox-policy.ts";
import { fixturePdf, fixturePng, WINDOWS_EXE } from "../attachment-fixtures.ts";

describe("attachment types", () => {
  it("sanitises filenames: path tricks, control characters, bidi overrides, length", () => {
    assert.equal(sanitizeFilename("../../etc/passwd", "x"), "passwd");
    assert.equal(sanitizeFilename("C:\\Windows\\evil.bat", "x"), "evil.bat");
    assert.equal(sanitizeFilename("invoice\u202Efdp.exe", "x"), "invoicefdp.exe");
    assert.equal(sanitizeFilename("a\u0000b\r\nc.txt", "x"), "abc.txt");
    assert.equal(sanitizeFilename("..hidden", "x"), "hidden");
    assert.equal(sanitizeFilename("...", "attachment-1"), "attachment-1");
    assert.equal(sanitizeFilename(null, "attachment-2"), "attachment-2");
    assert.equal(sanitizeFilename("re:port<1>?.pdf", "x"), "re_port_1__.pdf");
    const long = sanitizeFilename(`${"é".repeat(300)}.pdf`, "x");
    assert.ok(Buffer.byteLength(long) <= 255 && long.endsWith(".pdf"));
  });

  it("sniffs by magic numbers, and text by its bytes", async () => {
    assert.equal(await sniffMime(fixturePdf("hello")), "application/pdf");
    assert.equal(await sniffMime(fixturePng()), "image/png");
    assert.equal(await sniffMime(WINDOWS_EXE), "application/x-msdownload");
    assert.equal(await sniffMime(Buffer.from("a,b\n1,2\n")), "text/plain");
    assert.equal(await sniffMime(Buffer.from("#!/bin/sh\nrm -rf /\n")), "text/x-shellscript");
    assert.equal(await sniffMime(Buffer.from([0, 1, 2, 3, 0xff])), "application/octet-stream");
  });

  it("flags executables, scripts and macro documents, by bytes or by name", () => {
    assert.match(
      dangerousReason("invoice.pdf", "application/x-msdownload", "application/pdf")!,
      /executable/,
    );
    assert.match(dangerousReason("run.ps1", "text/plain", "text/plain")!, /\.ps1/);
    assert.match(dangerousReason("photo.jpg.exe", "application/octet-stream", "image/jpeg")!, /\.exe/);
    assert.match(dangerousReason("q.xlsm", "application/zip", "application/zip")!, /\.xlsm/);
    assert.match(dangerousReason("old.doc", "application/x-cfb", "application/msword")!, /macros/);
    assert.equal(dangerousReason("report.pdf", "application/pdf", "application/pdf"), null);
  });

  it("decides families, mismatches and policy actions", () => {
    assert.equal(familyOf("text/plain", "text/csv"), "csv");
    assert.equal(familyOf("text/plain", "text/html"), "text");
    assert.equal(familyOf("application/pdf", "application/octet-stream"), "pdf");
    assert.equal(familyOf("application/zip", "application/zip"), null);
    assert.equal(mimeMismatch("application/x-msdownload", "application/pdf"), true);
    assert.equal(mimeMismatch("application/pdf", "application/pdf"), false);
    assert.equal(mimeMismatch("application/pdf", "application/octet-stream"), false);
    assert.equal(mimeMismatch("text/plain", "text/csv"), false);
    assert.equal(mimeMismatch("text/plain", "image/png"), true);
    assert.equal(mimeMismatch("image/jpeg", "image/png"), false);
    assert.equal(policyActionOf({ dangerous: "x", mismatch: true, family: null }), "block");
    assert.equal(policyActionOf({ dangerous: null, mismatch: true, family: "pdf" }), "quarantine");
    assert.equal(policyActionOf({ dangerous: null, mismatch: false, family: null }), "metadata_only");
    assert.equal(policyActionOf({ dangerous: null, mismatch: false, family: "csv" }), "deliver");
  });

  it("extracts text from plain text, CSV, HTML and PDF, and nothing from images", async () => {
    assert.equal(
      (await extractAttachmentText(Buffer.from("a,b\n1,2"), "text/plain", "text/csv"))?.extractor,
      "csv",
    );
    const html = await extractAttachmentText(
      Buffer.from("<p>Hello <b>there</b></p><script>x()</script>"),
      "text/plain",
      "text/html",
    );
    assert.match(html!.text, /Hello there/);
    assert.doesNotMatch(html!.text, /x\(\)/);
    const pdf = await extractAttachmentText(
      fixturePdf("Invoice total 42 EUR"),
      "application/pdf",
      "application/pdf",
    );
    assert.match(pdf!.text, /Invoice total 42 EUR/);
    assert.equal(pdf!.pageCount, 1);
    assert.equal(await extractAttachmentText(fixturePng(), "image/png", "image/png"), null);
    await assert.rejects(
      extractAttachmentText(Buffer.from("%PDF-1.4 broken"), "application/pdf", "application/pdf"),
    );
  });
});

describe("attachment access", () => {
  const pdf: StoredAttachment = {
    filename: "a.pdf",
    content_type: "application/pdf",
    size: 10,
    hash: "h",
    family: "pdf",
    policy_action: "deliver",
    preview_status: "ready",
    preview_hash: "p",
  };
  const png: StoredAttachment = { ...pdf, filename: "a.png", family: "image", preview_status: null };
  const exe: StoredAttachment = { ...pdf, policy_action: "block", dangerous: "a Windows executable" };
  const s = (mode: AttachmentSettings["mode"], families: string[], image: string | null = null) => ({
    mode,
    families,
    imageAcceptedVersion: image,
  });

  it("binds agent keys to the mailbox's policy and lets admin keys read anything not blocked", () => {
    const meta = s("metadata_only", []);
    assert.equal(downloadRefusal("agent", meta, pdf, "available")?.code, "ATTACHMENT_ACCESS_DISABLED");
    assert.equal(downloadRefusal("admin", meta, pdf, "available"), null);
    assert.equal(downloadRefusal("agent", s("raw_download_selected_types", ["pdf"]), pdf, "available"), null);
    assert.equal(
      downloadRefusal("agent", s("raw_download_selected_types", ["csv"]), pdf, "available")?.code,
      "ATTACHMENT_ACCESS_DISABLED",
    );
    assert.equal(downloadRefusal("admin", meta, exe, "available")?.code, "ATTACHMENT_BLOCKED");
    assert.equal(downloadRefusal("admin", meta, pdf, "received")?.code, "MESSAGE_NOT_READY");
    assert.equal(
      downloadRefusal("agent", s("raw_download_selected_types", ["*"]), pdf, "quarantined")?.code,
      "ATTACHMENT_ACCESS_DISABLED",
    );
    assert.equal(downloadRefusal("admin", meta, pdf, "quarantined"), null);
    const legacy: StoredAttachment = { filename: "x", content_type: "application/pdf", size: 1 };
    assert.equal(downloadRefusal("admin", meta, legacy, "available")?.code, "ATTACHMENT_NOT_STORED");
  });

  it("needs the current image-risk acceptance for raw images; * does not stand for it", () => {
    const raw = (families: string[], v: string | null) => s("raw_download_selected_types", families, v);
    assert.ok(downloadRefusal("agent", raw(["image"], null), png, "available"));
    assert.ok(downloadRefusal("agent", raw(["image"], "old-version"), png, "available"));
    assert.ok(downloadRefusal("agent", raw(["*"], IMAGE_RISK_VERSION), png, "available"));
    assert.equal(downloadRefusal("agent", raw(["image"], IMAGE_RISK_VERSION), png, "available"), null);
    assert.equal(agentMayReadRaw("raw_download_selected_types", ["*"], [png]), false);
    assert.equal(agentMayReadRaw("raw_download_selected_types", ["image"], [png], true), true);
    assert.equal(agentMayReadRaw("raw_download_selected_types", ["*"], [exe]), false);
  });

  it("gives previews to agents from derived_content on", () => {
    assert.equal(
      previewRefusal("agent", s("metadata_only", []), pdf, "available")?.code,
      "ATTACHMENT_PREVIEW_DISABLED",
    );
    assert.equal(previewRefusal("agent", s("derived_content", []), pdf, "available"), null);
    assert.equal(previewRefusal("admin", s("metadata_only", []), pdf, "available"), null);
    assert.equal(
      previewRefusal("admin", s("metadata_only", []), png, "available")?.code,
      "ATTACHMENT_PREVIEW_NOT_AVAILABLE",
    );
  });

  it("signs download URLs bound to account, message, attachment and time", () => {
    const secret = Buffer.alloc(32, 7);
    const now = new Date("2026-11-20T10:00:00Z");
    const grant = {
      accountId: "a",
      messageId: "m",
      index: 2,
      hash: "h",
      expiresAt: new Date(now.getTime() + 300_000),
    };
    const token = signDownload(secret, grant);
    assert.deepEqual(verifyDownload(secret, token, now), grant);
    assert.equal(verifyDownload(secret, token, new Date(now.getTime() + 300_000)), null, "expired");
    assert.equal(verifyDownload(Buffer.alloc(32, 8), token, now), null, "another secret");
    const [payload, sig] = token.split(".");
    const forged = Buffer.from(payload!, "base64url").toString().replace('"i":2', '"i":3');
    assert.equal(verifyDownload(secret, `${Buffer.from(forged).toString("base64url")}.${sig}`, now), null);
    assert.equal(verifyDownload(secret, "garbage", now), null);
  });
});
