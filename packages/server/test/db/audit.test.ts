import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { MailPolicy } from "@postbox/sdk";
import { enforceAuditRetention } from "../../src/jobs/audit-retention.ts";
import { dbLabel, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

const DAY = 86_400_000;

const policy: MailPolicy = {
  defaultAction: "drop",
  senders: [{ match: { domain: "friends.test" }, capabilities: ["chat"] }],
  contentGuards: [{ reject: "(?i)lottery", reason: "lottery scam" }],
  auditLog: { retentionDays: 30 },
};

describe(`policy audit log: queries, hash chain, retention (${dbLabel})`, () => {
  let t: TestServer;
  let mailboxId: string;
  let otherId: string;

  before(async () => {
    t = await startTestServer();
    const pb = t.client();
    mailboxId = (await pb.mailboxes.create({ name: "audited" })).id;
    otherId = (await pb.mailboxes.create({ name: "other" })).id;
    await pb.setPolicy("audited", policy);
    await pb.setPolicy("other", policy);
  });
  after(() => t.stop());

  async function ingest(mailbox: string, from: string, body = "hello") {
    const res = await t.api("POST", `/v1/ingest?rcpt_to=${mailbox}@test.local&mail_from=${from}`, {
      raw: rawMessage({ from, to: `${mailbox}@test.local`, body }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202);
  }
  const list = async (q = "", mailbox = "audited") => t.api("GET", `/v1/mailboxes/${mailbox}/audit${q}`);
  const verify = async (mailbox = "audited") =>
    (await t.api("GET", `/v1/mailboxes/${mailbox}/audit/verify`)).body;

  it("records one entry per evaluation, newest first, without a body hash unless asked", async () => {
    await ingest("audited", "ann@friends.test");
    await ingest("audited", "bob@strangers.test");
    await ingest("audited", "cid@friends.test", "You won the LOTTERY");
    await ingest("other", "ann@friends.test");
    await t.pb.drain();
    const { status, body } = await list();
    assert.equal(status, 200);
    assert.deepEqual(
      body.entries.map((e: { outcome: string; action: string }) => [e.outcome, e.action]),
      [
        ["rejected_at_content_guard", "dropped"],
        ["rejected_at_policy", "dropped"],
        ["accepted", "delivered"],
      ],
    );
    assert.deepEqual(
      body.entries.map((e: { seq: number }) => e.seq),
      [3, 2, 1],
    );
    assert.equal(body.entries[0].body_sha256, null);
    assert.equal(body.entries[0].reason, "lottery scam");
    assert.equal(body.entries[2].prev_hash, "0".repeat(64));
    assert.equal(body.entries[1].prev_hash, body.entries[2].hash);
  });

  it("filters by outcome, sender, time, and pages with a cursor", async () => {
    assert.equal((await list("?outcome=accepted")).body.entries.length, 1);
    assert.equal((await list("?sender=BOB@strangers.test")).body.entries[0].outcome, "rejected_at_policy");
    const future = new Date(Date.now() + DAY).toISOString();
    assert.equal((await list(`?since=${future}`)).body.entries.length, 0);
    assert.equal((await list(`?until=${future}`)).body.entries.length, 3);
    const first = (await list("?limit=2")).body;
    assert.equal(first.has_more, true);
    const second = (await list(`?limit=2&cursor=${first.next_cursor}`)).body;
    assert.deepEqual(
      second.entries.map((e: { seq: number }) => e.seq),
      [1],
    );
    assert.equal(second.has_more, false);
    const all = [];
    for await (const e of t.client().audit.list("audited", { limit: 1, autoPaginate: true })) all.push(e.seq);
    assert.deepEqual(all, [3, 2, 1]);
    const page = await t
      .client()
      .audit.list("audited", { outcome: "accepted", until: new Date(Date.now() + DAY) });
    assert.equal(page.data[0]?.header_sender, "ann@friends.test");
  });

  it("refuses bad filters with a clear error", async () => {
    const bad = await list("?outcome=maybe");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "VALIDATION_ERROR");
    assert.match(bad.body.error, /outcome must be one of accepted, /);
    assert.equal((await list("?since=yesterday")).status, 400);
    assert.equal((await list("?cursor=garbage")).status, 400);
  });

  it("keeps mailboxes apart: agent keys see only their own mailbox's audit", async () => {
    const key = await t
      .client()
      .apiKeys.create({ role: "agent", mailbox_ids: [otherId], label: "other-agent" });
    const own = await t.api("GET", "/v1/mailboxes/other/audit", { key: key.api_key });
    assert.equal(own.status, 200);
    assert.equal(own.body.entries.length, 1);
    const foreign = await t.api("GET", "/v1/mailboxes/audited/audit", { key: key.api_key });
    assert.equal(foreign.status, 403);
    assert.equal(
      (await t.api("GET", "/v1/mailboxes/audited/audit/verify", { key: key.api_key })).status,
      403,
    );
  });

  it("keeps accounts apart: another tenant's admin cannot find the mailbox's audit", async () => {
    const other = await t.client().accounts.create({ name: "tenant-b" });
    for (const path of ["/v1/mailboxes/audited/audit", `/v1/mailboxes/${mailboxId}/audit/verify`]) {
      const res = await t.api("GET", path, { key: other.admin_key });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.code, "NOT_FOUND");
    }
  });

  it("verifies an intact chain (SDK)", async () => {
    const v = await t.client().audit.verify("audited");
    assert.equal(v.ok, true);
    assert.equal(v.checked, 3);
    assert.equal(v.first_broken, null);
    assert.deepEqual(v.head.seq, 3);
  });

  it("detects an entry edited directly in the database", async () => {
    await t.pb.db.query("update policy_audit set outcome = 'accepted' where mailbox_id = $1 and seq = 2", [
      mailboxId,
    ]);
    const v = await verify();
    assert.equal(v.ok, false);
    assert.deepEqual(v.first_broken.seq, 2);
    assert.equal(v.first_broken.problem, "entry_modified");
    assert.equal((await verify("other")).ok, true, "other mailboxes' chains are unaffected");
    await t.pb.db.query(
      "update policy_audit set outcome = 'rejected_at_policy' where mailbox_id = $1 and seq = 2",
      [mailboxId],
    );
    assert.equal((await verify()).ok, true);
  });

  it("detects a deleted entry, and a cut-off tail", async () => {
    const [row] = await t.pb.db.query<Record<string, unknown>>(
      "delete from policy_audit where mailbox_id = $1 and seq = 2 returning *",
      [mailboxId],
    );
    let v = await verify();
    assert.equal(v.ok, false);
    assert.equal(v.first_broken.problem, "entry_missing");
    assert.equal(v.first_broken.seq, 2);
    await t.pb.db.query(
      `insert into policy_audit select * from jsonb_populate_record(null::policy_audit, $1::jsonb)`,
      [JSON.stringify(row)],
    );
    assert.equal((await verify()).ok, true);
    await t.pb.db.query("update policy_audit set seq = 99 where mailbox_id = $1 and seq = 3", [mailboxId]);
    v = await verify();
    assert.equal(v.ok, false);
    await t.pb.db.query("update policy_audit set seq = 3 where mailbox_id = $1 and seq = 99", [mailboxId]);
    assert.equal((await verify()).ok, true);
  });

  it("retention deletes expired entries and re-anchors the chain, which still verifies and grows", async () => {
    assert.deepEqual(await enforceAuditRetention(t.pb.db, new Date(Date.now() + 29 * DAY)), { deleted: 0 });
    const { deleted } = await enforceAuditRetention(t.pb.db, new Date(Date.now() + 31 * DAY));
    assert.equal(deleted, 4, "three entries of this mailbox and one of the other");
    let v = await verify();
    assert.equal(v.ok, true);
    assert.equal(v.checked, 0);
    assert.equal(v.anchor.seq, 3);
    await ingest("audited", "dan@friends.test");
    await t.pb.drain();
    v = await verify();
    assert.equal(v.ok, true);
    assert.equal(v.checked, 1);
    const [e] = (await list()).body.entries;
    assert.equal(e.seq, 4);
    assert.equal(e.prev_hash, v.anchor.hash);
  });

  it("records the body hash when includeBodyHash is set", async () => {
    await t
      .client()
      .setPolicy("audited", { ...policy, auditLog: { retentionDays: 30, includeBodyHash: true } });
    await ingest("audited", "eve@friends.test", "hash me");
    await t.pb.drain();
    const [e] = (await list()).body.entries;
    assert.match(e.body_sha256, /^[0-9a-f]{64}$/);
  });
});
