import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../../src/platform/logger.ts";
import { referencedBlobs } from "../../src/store/retention.ts";
import { purgeDeletedAccounts } from "../../src/tenancy/account-deletion.ts";
import { dbLabel, eventually, rawMessage, smtpClient, startTestServer, type TestServer } from "../helpers.ts";

/**
 * Tables whose rows of a deleted account outlive the purge: the tombstone, its reserved names, its legal holds and
 * the mailboxes those holds name (checked below).
 */
const KEPT = new Set(["accounts", "mailbox_names", "legal_holds", "mailboxes"]);

describe(`account deletion (${dbLabel})`, () => {
  let t: TestServer;
  let a: { id: string; name: string; admin_key: string };
  let b: { id: string; name: string; admin_key: string };
  let agentKey: string;
  let aSha: string;
  let bSha: string;

  /** Every table with an account_id column, and how many rows each holds for the account. */
  async function rowsOf(accountId: string): Promise<Record<string, number>> {
    const tables = await t.pb.db.query<{ table_name: string }>(
      `select table_name from information_schema.columns
       where table_schema = current_schema() and column_name = 'account_id' order by table_name`,
    );
    const out: Record<string, number> = {};
    for (const { table_name } of tables) {
      const [row] = await t.pb.db.query<{ n: number }>(
        `select count(*)::int as n from ${table_name} where account_id = $1`,
        [accountId],
      );
      if (row!.n > 0) out[table_name] = row!.n;
    }
    return out;
  }

  async function deliver(to: string, subject: string): Promise<string> {
    const smtp = smtpClient(t.pb.smtpPort!);
    try {
      await smtp.sendMail({
        envelope: { from: "alice@example.com", to: [to] },
        raw: rawMessage({ to, subject, body: `about ${subject}` }),
      });
    } finally {
      smtp.close();
    }
    await t.pb.drain();
    const [row] = await t.pb.db.query<{ raw_sha256: string }>(
      "select raw_sha256 from messages where subject = $1",
      [subject],
    );
    return row!.raw_sha256;
  }

  const del = (key: string, body?: unknown) => t.api("DELETE", "/v1/accounts", { key, body });

  before(async () => {
    t = await startTestServer({ POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    a = await t.client().accounts.create({ name: "Tenant A" });
    b = await t.client().accounts.create({ name: "Tenant B" });
    const pa = t.client(a.admin_key);
    const pbB = t.client(b.admin_key);
    await pa.mailboxes.create({ name: "a-one" });
    await pa.mailboxes.create({ name: "a-two" });
    await pbB.mailboxes.create({ name: "b-box" });
    agentKey = (await pa.apiKeys.create({ role: "agent", mailbox_ids: ["a-one"] })).api_key;
    await pa.domains.create({ domain: "tenant-a.example" });
    await pa.webhooks.create({ url: "http://127.0.0.1:9/hook", enabled_events: ["message.received"] });
    await pbB.webhooks.create({ url: "http://127.0.0.1:9/hook-b", enabled_events: ["message.received"] });
    aSha = await deliver("a-one@test.local", "for tenant A");
    bSha = await deliver("b-box@test.local", "for tenant B");
  });
  after(() => t.stop());

  it("is refused to agent keys, without a confirmation naming the account, and for the operator's account", async () => {
    const agent = await del(agentKey, { confirm: a.name });
    assert.equal(agent.status, 403);
    assert.equal(agent.body.code, "INSUFFICIENT_SCOPE");
    const missing = await del(a.admin_key, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, "CONFIRMATION_REQUIRED");
    // Another account's name or id does not confirm this one.
    for (const wrong of [{ confirm: b.name }, { confirm: b.id }, { confirm_email: "someone@example.com" }]) {
      const r = await del(a.admin_key, wrong);
      assert.equal(r.status, 400, JSON.stringify(wrong));
      assert.equal(r.body.code, "CONFIRMATION_MISMATCH");
    }
    const operator = await del(t.adminKey, { confirm: "default" });
    assert.equal(operator.status, 403);
    assert.equal(operator.body.code, "OPERATOR_ACCOUNT_PROTECTED");
    assert.equal((await t.api("GET", "/v1/accounts", { key: a.admin_key })).status, 200);
  });

  it("is refused while an account hold or a mailbox hold is active, and goes ahead once they are released", async () => {
    const pa = t.client(a.admin_key);
    for (const params of [
      { scope: "account" as const, reason: "Litigation" },
      { scope: "mailbox" as const, mailbox_id: "a-one", reason: "Inquiry" },
    ]) {
      const hold = await pa.legalHolds.apply(params);
      const refused = await del(a.admin_key, { confirm: a.id });
      assert.equal(refused.status, 409, params.scope);
      assert.equal(refused.body.code, "LEGAL_HOLD_ACTIVE");
      assert.deepEqual(refused.body.details.legal_hold_ids, [hold.id]);
      // Nothing was touched: the key works, the mailboxes are live.
      assert.equal((await pa.mailboxes.list()).data.length, 2);
      await pa.legalHolds.release(hold.id, "Closed");
    }
  });

  it("deletes the account at once: every key stops working, its domains are released", async () => {
    const before = await rowsOf(b.id);
    const r = await del(a.admin_key, { confirm: a.name });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, "deleted");
    assert.equal(r.body.account_id, a.id);
    assert.equal(r.body.mailboxes_deleted, 2);
    assert.equal(r.body.keys_revoked, 2);
    assert.deepEqual(r.body.domains_released, ["tenant-a.example"]);
    assert.equal(r.body.webhooks_deleted, 1);
    assert.equal(typeof r.body.message, "string");

    for (const key of [a.admin_key, agentKey]) {
      const refused = await t.api("GET", "/v1/accounts", { key });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, "INVALID_API_KEY");
    }
    // A second deletion with the same key is an unknown key, not a second deletion.
    assert.equal((await del(a.admin_key, { confirm: a.name })).status, 401);
    // Mail to its addresses is refused in the SMTP session (once the listener's short recipient cache lets go).
    const smtp = smtpClient(t.pb.smtpPort!);
    await eventually(() =>
      smtp
        .sendMail({
          envelope: { from: "alice@example.com", to: ["a-one@test.local"] },
          raw: rawMessage({ to: "a-one@test.local", subject: "late" }),
        })
        .then(
          () => false,
          (err: Error) => /550|5\.1\.1/.test(String(err)),
        ),
    );
    smtp.close();
    // The operator no longer lists it.
    const listed = (await t.client().accounts.list()).data.map((x) => x.id);
    assert.ok(!listed.includes(a.id));
    assert.ok(listed.includes(b.id));

    // Another account may claim the released domain.
    const claimed = await t.client(b.admin_key).domains.create({ domain: "tenant-a.example" });
    assert.equal(claimed.domain_name, "tenant-a.example");

    // The other account is untouched (its domain row is the one it just added).
    const after = await rowsOf(b.id);
    assert.deepEqual(after, { ...before, domains: (before.domains ?? 0) + 1 });
    const pbB = t.client(b.admin_key);
    const msgs = (await pbB.messages.list("b-box")).data;
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.subject, "for tenant B");
  });

  it("purges the account's data in the background; the tombstone keeps its names and holds", async () => {
    await t.pb.drain();
    const r = await purgeDeletedAccounts({ db: t.pb.db, logger: silentLogger });
    // The worker's own periodic purge may have finished it first.
    assert.ok(r.accounts_purged <= 1);
    const [tomb] = await t.pb.db.query<{ deleted_at: Date | null; purged_at: Date | null }>(
      "select deleted_at, purged_at from accounts where id = $1",
      [a.id],
    );
    assert.ok(tomb!.deleted_at && tomb!.purged_at);
    const left = await rowsOf(a.id);
    for (const table of Object.keys(left))
      assert.ok(KEPT.has(table), `${table} still has rows: ${left[table]}`);
    assert.equal(left.legal_holds, 2, "the released holds stay on record");
    // Only the mailbox a hold names stays, deleted, so the hold's record still points somewhere.
    const kept = await t.pb.db.query<{ name: string; deleted: boolean }>(
      "select name, deleted_at is not null as deleted from mailboxes where account_id = $1",
      [a.id],
    );
    assert.deepEqual(kept, [{ name: "a-one", deleted: true }]);
    // Its raw bytes are unreferenced now (the blob sweep removes them); the other account's are not.
    const refs = await referencedBlobs(t.pb.db, [aSha, bSha]);
    assert.ok(!refs.has(aSha));
    assert.ok(refs.has(bSha));
    // The name stays the deleted tenant's: the operator must take it over explicitly.
    const reuse = await t.api("POST", "/v1/mailboxes", { key: b.admin_key, body: { name: "a-one" } });
    assert.equal(reuse.status, 409);
    // A second pass finds nothing to do.
    assert.deepEqual(await purgeDeletedAccounts({ db: t.pb.db, logger: silentLogger }), {
      accounts_purged: 0,
      messages_deleted: 0,
    });
    assert.equal((await t.client(b.admin_key).messages.list("b-box")).data.length, 1);
  });
});
