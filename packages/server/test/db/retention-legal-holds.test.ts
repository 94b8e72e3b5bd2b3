import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import yauzl from "yauzl";
import { fixedClock } from "../../src/domain/clock.ts";
import { enforceRetention, sweepBlobs } from "../../src/governance/retention.ts";
import {
  ageBlob,
  dbLabel,
  eventually,
  rawMessage,
  smtpClient,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

const DAY = 86_400_000;

/** Every entry of a zip, read back with an independent reader. */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", resolve);
    zip.on("entry", (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("error", reject);
        stream.on("end", () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}

describe(`retention, legal holds and export (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;
  let otherAdmin: string;
  // The server's own store: the filesystem's with the embedded database, PostgreSQL's with DATABASE_URL.
  const blobs = () => t.pb.blobs;

  before(async () => {
    t = await startTestServer();
    const pb = t.client();
    for (const name of ["kept", "gone", "short", "spare"]) await pb.mailboxes.create({ name });
    agentKey = (await pb.apiKeys.create({ role: "agent", mailbox_ids: ["kept", "gone"] })).api_key;
    otherAdmin = (await pb.accounts.create({ name: "tenant-b" })).admin_key;
  });
  after(() => t.stop());

  /** Sends one message over SMTP to these mailboxes (one transaction: the copies share their bytes). */
  async function deliver(to: string[], subject: string): Promise<string> {
    const raw = rawMessage({
      to: to.map((m) => `${m}@test.local`).join(", "),
      subject,
      body: `about ${subject}`,
    });
    await smtpClient(t.pb.smtpPort!).sendMail({
      envelope: { from: "alice@example.com", to: to.map((m) => `${m}@test.local`) },
      raw,
    });
    await t.pb.drain();
    return raw;
  }
  const rows = (subject: string) =>
    t.pb.db.query<{ id: string; mailbox_id: string; raw_sha256: string }>(
      "select id, mailbox_id, raw_sha256 from messages where subject = $1",
      [subject],
    );
  const searchRows = async (ids: string[]) =>
    Number(
      (
        await t.pb.db.query<{ n: number }>(
          "select count(*)::int as n from message_search where message_id = any($1::uuid[])",
          [ids],
        )
      )[0]!.n,
    );

  it("applies, reads, lists and releases a hold, auditing each step and emitting events", async () => {
    const created = await t.api("POST", "/v1/legal-holds", {
      body: { scope: "mailbox", mailbox_id: "spare", reason: "Regulatory inquiry", case_reference: "CASE-1" },
    });
    assert.equal(created.status, 201);
    const hold = created.body;
    assert.equal(hold.scope, "mailbox");
    assert.equal(hold.status, "active");
    assert.equal(hold.case_reference, "CASE-1");
    assert.equal(hold.applied_by_type, "admin");
    assert.equal(hold.released_at, null);
    assert.deepEqual((await t.api("GET", `/v1/legal-holds/${hold.id}`)).body, hold);
    const listed = (await t.api("GET", "/v1/legal-holds")).body;
    assert.deepEqual(
      listed.legal_holds.map((h: { id: string }) => h.id),
      [hold.id],
    );

    const released = await t.api("POST", `/v1/legal-holds/${hold.id}/release`, {
      body: { release_reason: "Inquiry closed" },
    });
    assert.equal(released.status, 200);
    assert.equal(released.body.status, "released");
    assert.equal(released.body.release_reason, "Inquiry closed");
    assert.ok(released.body.released_at);
    const again = await t.api("POST", `/v1/legal-holds/${hold.id}/release`, {
      body: { release_reason: "x" },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "LEGAL_HOLD_ALREADY_RELEASED");
    assert.equal((await t.api("GET", "/v1/legal-holds")).body.legal_holds.length, 0);
    assert.equal((await t.api("GET", "/v1/legal-holds?include_released=true")).body.legal_holds.length, 1);

    const audit = (await t.api("GET", "/v1/mailboxes/spare/audit?outcome=legal_hold")).body.entries;
    assert.deepEqual(
      audit.map((e: { action: string }) => e.action),
      ["legal_hold_released", "legal_hold_applied"],
    );
    assert.match(audit[1].reason, /Regulatory inquiry/);
    assert.equal((await t.api("GET", "/v1/mailboxes/spare/audit/verify")).body.ok, true);
    const events = (await t.api("GET", "/v1/events?limit=100")).body.events as { event: string; data: any }[];
    const holdEvents = events.filter((e) => e.event.startsWith("legal_hold."));
    assert.deepEqual(
      holdEvents.map((e) => [e.event, e.data.legal_hold_id]),
      [
        ["legal_hold.applied", hold.id],
        ["legal_hold.released", hold.id],
      ],
    );
  });

  it("refuses malformed holds", async () => {
    const noMailbox = await t.api("POST", "/v1/legal-holds", { body: { scope: "mailbox", reason: "r" } });
    assert.equal(noMailbox.status, 400);
    const accountWithMailbox = await t.api("POST", "/v1/legal-holds", {
      body: { scope: "account", reason: "r", mailbox_id: "kept" },
    });
    assert.equal(accountWithMailbox.status, 400);
    const noReason = await t.api("POST", "/v1/legal-holds", { body: { scope: "account", reason: "  " } });
    assert.equal(noReason.status, 400);
    assert.equal((await t.api("GET", "/v1/legal-holds/not-a-hold")).status, 404);
    const unknownMailbox = await t.api("POST", "/v1/legal-holds", {
      body: { scope: "mailbox", reason: "r", mailbox_id: "nope" },
    });
    assert.equal(unknownMailbox.status, 404);
  });

  it("keeps holds from other accounts and from agent keys, both ways", async () => {
    const mine = (
      await t.api("POST", "/v1/legal-holds", {
        body: { scope: "mailbox", mailbox_id: "spare", reason: "mine" },
      })
    ).body;
    // The other account sees nothing of it and cannot act on it, nor hold our mailbox by name or id.
    assert.equal((await t.api("GET", "/v1/legal-holds", { key: otherAdmin })).body.legal_holds.length, 0);
    assert.equal((await t.api("GET", `/v1/legal-holds/${mine.id}`, { key: otherAdmin })).status, 404);
    const theirRelease = await t.api("POST", `/v1/legal-holds/${mine.id}/release`, {
      key: otherAdmin,
      body: { release_reason: "not yours" },
    });
    assert.equal(theirRelease.status, 404);
    const spareId = (await t.client().mailboxes.get("spare")).id;
    const theirHold = await t.api("POST", "/v1/legal-holds", {
      key: otherAdmin,
      body: { scope: "mailbox", mailbox_id: spareId, reason: "x" },
    });
    assert.equal(theirHold.status, 404);
    // Their account hold does not hold our mail; ours does not show in their list.
    const theirs = (
      await t.api("POST", "/v1/legal-holds", { key: otherAdmin, body: { scope: "account", reason: "b" } })
    ).body;
    assert.equal((await t.api("GET", `/v1/legal-holds/${theirs.id}`)).status, 404);
    // Agent keys: none of the four routes, not even for their own mailboxes.
    for (const [method, p, body] of [
      ["POST", "/v1/legal-holds", { scope: "mailbox", mailbox_id: "kept", reason: "agent" }],
      ["GET", "/v1/legal-holds", undefined],
      ["GET", `/v1/legal-holds/${mine.id}`, undefined],
      ["POST", `/v1/legal-holds/${mine.id}/release`, { release_reason: "agent" }],
      ["GET", "/v1/accounts/export", undefined],
    ] as const) {
      const res = await t.api(method, p, { key: agentKey, body });
      assert.equal(res.status, 403, `${method} ${p}`);
      assert.equal(res.body.code, "INSUFFICIENT_SCOPE");
    }
    await t.api("POST", `/v1/legal-holds/${mine.id}/release`, { body: { release_reason: "done" } });
    await t.api("POST", `/v1/legal-holds/${theirs.id}/release`, {
      key: otherAdmin,
      body: { release_reason: "done" },
    });
  });

  it("refuses message and mailbox deletes under a hold, and allows them after release", async () => {
    await deliver(["spare"], "under hold");
    const [msg] = await rows("under hold");
    const hold = (
      await t.api("POST", "/v1/legal-holds", { body: { scope: "account", reason: "whole account" } })
    ).body;
    const delMsg = await t.api("DELETE", `/v1/messages/${msg!.id}`);
    assert.equal(delMsg.status, 409);
    assert.equal(delMsg.body.code, "LEGAL_HOLD_ACTIVE");
    assert.deepEqual(delMsg.body.details.legal_hold_ids, [hold.id]);
    const delMailbox = await t.api("DELETE", "/v1/mailboxes/spare");
    assert.equal(delMailbox.status, 409);
    assert.equal(delMailbox.body.code, "LEGAL_HOLD_ACTIVE");
    assert.equal((await t.client().mailboxes.get("spare")).status, "active");
    await t.api("POST", `/v1/legal-holds/${hold.id}/release`, { body: { release_reason: "lifted" } });
    assert.equal((await t.api("DELETE", `/v1/messages/${msg!.id}`)).status, 200);
  });

  it("retention deletes unheld mail with its bytes and search rows; held mail survives (injected clock)", async () => {
    await deliver(["kept"], "held only");
    await deliver(["gone"], "unheld only");
    await deliver(["kept", "gone"], "shared bytes");
    const heldOnly = await rows("held only");
    const unheld = await rows("unheld only");
    const shared = await rows("shared bytes");
    assert.equal(shared.length, 2);
    assert.equal(shared[0]!.raw_sha256, shared[1]!.raw_sha256);
    assert.equal(await searchRows(unheld.map((r) => r.id)), 1);
    const store = blobs();
    const hold = (
      await t.api("POST", "/v1/legal-holds", {
        body: { scope: "mailbox", mailbox_id: "kept", reason: "keep" },
      })
    ).body;

    // 89 days on: nothing is old enough.
    const clock = fixedClock(new Date(Date.now() + 89 * DAY));
    const deps = { db: t.pb.db, blobs: store, clock, defaultDays: 90 };
    assert.equal((await enforceRetention(deps)).messages_deleted, 0);

    clock.advance(2 * DAY);
    const r = await enforceRetention(deps);
    assert.ok(r.messages_deleted >= 2, JSON.stringify(r));
    assert.ok(r.mailboxes_held >= 1);
    const gone = (await t.api("GET", "/v1/mailboxes/gone/messages")).body.messages;
    assert.equal(gone.length, 0);
    assert.equal((await t.api("GET", `/v1/messages/${unheld[0]!.id}`)).status, 404);
    assert.equal(await searchRows(unheld.map((r) => r.id)), 0);
    assert.equal(await store.has(unheld[0]!.raw_sha256), false, "the unheld message's bytes are swept");
    // The held mailbox keeps its mail and its bytes, including bytes it shared with a deleted copy.
    const kept = await t.api("GET", "/v1/mailboxes/kept/messages");
    assert.deepEqual(kept.body.messages.map((m: { subject: string }) => m.subject).sort(), [
      "held only",
      "shared bytes",
    ]);
    assert.equal(await store.has(heldOnly[0]!.raw_sha256), true);
    assert.equal(await store.has(shared[0]!.raw_sha256), true);
    const keptShared = shared.find((m) => m.mailbox_id !== unheld[0]!.mailbox_id)!;
    assert.equal((await t.api("GET", `/v1/messages/${keptShared.id}/raw`)).status, 200);

    // Released, the hold no longer protects it.
    await t.api("POST", `/v1/legal-holds/${hold.id}/release`, { body: { release_reason: "over" } });
    await enforceRetention(deps);
    assert.equal((await t.api("GET", "/v1/mailboxes/kept/messages")).body.messages.length, 0);
    assert.equal(await store.has(shared[0]!.raw_sha256), false);
  });

  it("takes the mailbox's retention over the account's over the operator's", async () => {
    await deliver(["short"], "short-lived");
    await deliver(["gone"], "account-lived");
    const pb = t.client();
    assert.equal((await pb.mailboxes.update("short", { retention_days: 1 })).retention_days, 1);
    const policy = await t.api("PATCH", "/v1/account/policy", { body: { retention_days: 10 } });
    assert.equal(policy.body.retention_days, 10);
    assert.equal(policy.body.effective_retention_days, 10);
    const clock = fixedClock(new Date(Date.now() + 2 * DAY));
    const deps = { db: t.pb.db, blobs: blobs(), clock, defaultDays: 90 };
    await enforceRetention(deps);
    assert.equal((await rows("short-lived")).length, 0);
    assert.equal((await rows("account-lived")).length, 1);
    clock.advance(9 * DAY);
    await enforceRetention(deps);
    assert.equal((await rows("account-lived")).length, 0);
    const reset = await t.api("PATCH", "/v1/account/policy", { body: { retention_days: null } });
    assert.equal(reset.body.effective_retention_days, t.pb.config.retentionDays);
  });

  it("sweeps orphan blobs past the grace period and never a fresh one or a referenced one", async () => {
    const store = blobs();
    await deliver(["kept"], "referenced");
    const [referenced] = await rows("referenced");
    const oldOrphan = await store.put(randomBytes(64));
    const freshOrphan = await store.put(randomBytes(64));
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    for (const sha of [oldOrphan, referenced!.raw_sha256]) await ageBlob(t, sha, twoDaysAgo);
    const swept = await sweepBlobs({ db: t.pb.db, blobs: store }, new Date(Date.now() - DAY));
    assert.equal(swept, 1);
    assert.equal(await store.has(oldOrphan), false);
    assert.equal(await store.has(freshOrphan), true);
    assert.equal(await store.has(referenced!.raw_sha256), true);
    // A blob written again after the check (an ingest of the same bytes) is put back, not lost.
    assert.equal(await store.remove(freshOrphan, new Date(Date.now() - DAY)), false);
    assert.equal(await store.has(freshOrphan), true);
  });

  it("never sweeps the blobs of a kept message's attachments or of an upload handle", async () => {
    const store = blobs();
    const raw = [
      "From: alice@example.com",
      "To: kept@test.local",
      "Subject: with a file",
      `Message-ID: <${randomBytes(6).toString("hex")}@example.com>`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      "see attached",
      "--b",
      'Content-Type: text/csv; name="r.csv"',
      'Content-Disposition: attachment; filename="r.csv"',
      "",
      `a,b\r\n${randomBytes(8).toString("hex")},2`,
      "--b--",
      "",
    ].join("\r\n");
    await smtpClient(t.pb.smtpPort!).sendMail({
      envelope: { from: "alice@example.com", to: ["kept@test.local"] },
      raw,
    });
    await t.pb.drain();
    const [row] = await t.pb.db.query<{ attachments: { hash?: string; preview_hash?: string }[] }>(
      "select attachments from messages where subject = 'with a file'",
    );
    const shas = row!.attachments
      .flatMap((a) => [a.hash, a.preview_hash])
      .filter((x): x is string => Boolean(x));
    assert.ok(shas.length >= 1, JSON.stringify(row));
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    for (const sha of shas) await ageBlob(t, sha, twoDaysAgo);
    await sweepBlobs({ db: t.pb.db, blobs: store }, new Date(Date.now() - DAY));
    for (const sha of shas) assert.equal(await store.has(sha), true, sha);
  });

  it("drops expired upload handles, and deletes a sent message whose handle it consumed", async () => {
    await t.api("POST", "/v1/mailboxes", { body: { name: "uploader" } });
    await t.api("POST", "/v1/mailboxes/uploader/attachment-access", { body: { outbound_enabled: true } });
    const upload = async (text: string) => {
      const form = new FormData();
      form.append("mailbox_id", "uploader");
      form.append("file", new Blob([text], { type: "text/plain" }), "note.txt");
      const res = await fetch(`${t.baseUrl}/v1/attachments`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminKey}` },
        body: form,
      });
      const h = (await res.json()) as { id: string };
      await eventually(
        async () => (await t.api("GET", `/v1/attachments/${h.id}`)).body.content_scan_status !== "pending",
      );
      return h.id;
    };
    const unused = await upload(`never sent ${randomBytes(4).toString("hex")}`);
    const used = await upload(`sent ${randomBytes(4).toString("hex")}`);
    const sent = await t.api("POST", "/v1/messages/send", {
      body: {
        from_mailbox: "uploader",
        to: "uploader@test.local",
        subject: "with upload",
        body: "x",
        attachment_ids: [used],
      },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await eventually(async () => {
      await t.pb.drain();
      return (await t.api("GET", `/v1/messages/${sent.body.message_id}`)).body.state === "delivered";
    });
    const clock = fixedClock(new Date(Date.now() + 91 * DAY));
    const r = await enforceRetention({ db: t.pb.db, blobs: blobs(), clock, defaultDays: 90 });
    assert.ok(r.messages_deleted >= 1, JSON.stringify(r));
    assert.equal((await t.api("GET", `/v1/messages/${sent.body.message_id}`)).status, 404);
    for (const id of [unused, used])
      assert.equal((await t.api("GET", `/v1/attachments/${id}`)).status, 404, id);
  });

  it("exports the account as a zip and as JSON, messages byte for byte", async () => {
    const raw = await deliver(["kept"], "exported");
    const [msg] = await rows("exported");
    const stored = Buffer.from(await t.client().messages.getRaw(msg!.id));
    assert.equal(stored.toString(), raw);

    const zipRes = await fetch(`${t.baseUrl}/v1/accounts/export?format=zip`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    assert.equal(zipRes.status, 200);
    assert.equal(zipRes.headers.get("content-type"), "application/zip");
    const files = await unzip(Buffer.from(await zipRes.arrayBuffer()));
    const account = JSON.parse(files.get("account.json")!.toString());
    assert.equal(account.format, "postbox-export/1");
    assert.equal(account.id, t.pb.accountId);
    const mailboxes = JSON.parse(files.get("mailboxes.json")!.toString());
    assert.ok(mailboxes.some((m: { name: string }) => m.name === "kept"));
    assert.ok(!mailboxes.some((m: { name: string }) => m.name === "tenant-b"));
    const eml = files.get(`mailboxes/kept/messages/${msg!.id}.eml`);
    assert.ok(eml, [...files.keys()].join("\n"));
    assert.ok(eml.equals(stored), "the .eml is the stored message byte for byte");
    const meta = JSON.parse(files.get(`mailboxes/kept/messages/${msg!.id}.json`)!.toString());
    assert.equal(meta.subject, "exported");
    assert.equal(meta.raw_sha256, msg!.raw_sha256);
    const holds = JSON.parse(files.get("legal-holds.json")!.toString());
    assert.ok(holds.length >= 1);
    const audit = files
      .get("mailboxes/spare/audit-log.jsonl")!
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(audit.some((e) => e.action === "legal_hold_applied"));

    // Without a format or Accept: one JSON document, what `rly account export` parses.
    const jsonRes = await t.api("GET", "/v1/accounts/export");
    assert.equal(jsonRes.status, 200);
    const doc = jsonRes.body;
    assert.equal(doc.format, "postbox-export/1");
    const exported = doc.messages.find((m: { id: string }) => m.id === msg!.id);
    assert.ok(Buffer.from(exported.raw_base64, "base64").equals(stored));
    assert.ok(doc.audit_log.length > 0);
    // Accept: application/zip picks the archive.
    const accepted = await fetch(`${t.baseUrl}/v1/accounts/export`, {
      headers: { authorization: `Bearer ${t.adminKey}`, accept: "application/zip" },
    });
    assert.equal(accepted.headers.get("content-type"), "application/zip");
    await accepted.arrayBuffer();
    // The other account's export holds none of this account's mail.
    const theirs = (await t.api("GET", "/v1/accounts/export", { key: otherAdmin })).body;
    assert.equal(theirs.messages.length, 0);
    assert.equal(theirs.account.name, "tenant-b");
  });
});
