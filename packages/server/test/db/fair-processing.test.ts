import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { claimReceived } from "../../src/store/messages.ts";
import { dbLabel, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

/**
 * Processing takes accounts in turns and bounds a claim by bytes: one tenant's backlog cannot hold up another's
 * mail by more than one claim, and a burst of large mail is worked through a few messages at a time.
 */
describe(`processing is shared fairly between tenants and bounded by bytes (${dbLabel})`, () => {
  let t: TestServer;
  let otherKey: string;
  const ingest = async (key: string, to: string, body = "hello") => {
    const res = await t.api("POST", `/v1/ingest?rcpt_to=${to}`, {
      key,
      raw: rawMessage({ to, body }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202);
    return res.body.accepted[0].message_id as string;
  };

  before(async () => {
    // No worker: the messages stay received, and the test makes the claims itself.
    t = await startTestServer({ POSTBOX_ROLES: "api,smtp" });
    await t.client().mailboxes.create({ name: "flooded" });
    const other = await t.client().accounts.create({ name: "quiet-tenant" });
    otherKey = other.admin_key;
    await t.client(otherKey).mailboxes.create({ name: "quiet" });
  });
  after(() => t.stop());

  it("gives the quiet tenant's one message a place in the very next claim, behind nobody's backlog", async () => {
    const flood: string[] = [];
    for (let i = 0; i < 80; i++) flood.push(await ingest(t.adminKey, "flooded@test.local"));
    const quiet = await ingest(otherKey, "quiet@test.local");
    const claim = await claimReceived(t.pb.db, { limit: 16, maxBytes: 32 * 1024 * 1024, leaseSeconds: 60 });
    assert.equal(claim.length, 16);
    assert.ok(
      claim.some((p) => p.id === quiet),
      "the quiet tenant's message is in the first claim",
    );
    // The flooding tenant's share is its oldest messages, in arrival order.
    assert.deepEqual(
      claim.filter((p) => p.id !== quiet).map((p) => p.id),
      flood.slice(0, 15),
    );
  });

  it("claims at most maxBytes of raw message, and always at least one", async () => {
    const big = "x".repeat(200 * 1024);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await ingest(otherKey, "quiet@test.local", big));
    const size = (
      await t.pb.db.query<{ raw_size: number }>("select raw_size from messages where id = $1", [ids[0]])
    )[0]!.raw_size;
    // Everything older is leased by the first test; these four are what is left of the quiet tenant's mail.
    const two = await claimReceived(t.pb.db, { limit: 64, maxBytes: 2 * size + 10, leaseSeconds: 60 });
    const quietOnes = two.filter((p) => ids.includes(p.id));
    assert.ok(quietOnes.length <= 2, `claimed ${quietOnes.length} of the large messages within 2 sizes`);
    assert.ok(
      two.reduce((n, p) => n + p.raw_size, 0) <= 2 * size + 10 || two.length === 1,
      "the claim stays within its byte budget",
    );
    const one = await claimReceived(t.pb.db, { limit: 64, maxBytes: 1, leaseSeconds: 60 });
    assert.equal(one.length, 1, "a message larger than the budget is still claimed, alone");
  });
});
