import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, rawMessage, smtpClient, startTestServer, type TestServer } from "../helpers.ts";

describe(`the inbound firewall: blocklist and per-mailbox sender allowlist, before the MailPolicy (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    for (const name of ["guarded", "partners", "open"]) await t.client().mailboxes.create({ name });
    // One message per hour from anyone: a blocked sender must not use it up.
    await t.client().setPolicy("guarded", {
      defaultAction: "bounce",
      senders: [{ match: {}, capabilities: ["read"], rateLimit: { perHour: 1 } }],
      auditLog: { retentionDays: 30 },
    });
  });
  after(() => t.stop());

  async function ingest(mailbox: string, from: string, subject = "Hello") {
    const res = await t.api(
      "POST",
      `/v1/ingest?rcpt_to=${mailbox}@test.local&mail_from=${encodeURIComponent(from)}`,
      {
        raw: rawMessage({ from, to: `${mailbox}@test.local`, subject }),
        headers: { "content-type": "message/rfc822" },
      },
    );
    await t.pb.drain();
    return res.body.accepted[0].message_id as string;
  }
  const state = async (id: string) => (await t.api("GET", `/v1/messages/${id}`)).body.state;
  const audit = async (mailbox: string) =>
    (await t.api("GET", `/v1/mailboxes/${mailbox}/audit`)).body.entries;

  it("blocks addresses and bare domains on the account blocklist before the policy, and audits it", async () => {
    assert.equal(
      (await t.api("POST", "/v1/inbound-blocklist", { body: { address: "@spam.example", reason: "spam" } }))
        .status,
      201,
    );
    assert.equal(
      (await t.api("POST", "/v1/blocklist", { body: { address: "Mallory@Evil.example" } })).status,
      201,
      "the older path still works",
    );
    const bad = await t.api("POST", "/v1/inbound-blocklist", { body: { address: "not-an-address" } });
    assert.equal(bad.status, 400);
    // The seed's clients name the entry `email` and read it back as `email`, with its pattern type.
    const seeded = await t.api("POST", "/v1/inbound-blocklist", { body: { email: "@junk.example" } });
    assert.equal(seeded.status, 201);
    assert.deepEqual([seeded.body.email, seeded.body.pattern_type], ["@junk.example", "domain"]);
    assert.equal((await t.api("POST", "/v1/inbound-blocklist", { body: {} })).body.code, "VALIDATION_ERROR");
    assert.equal((await t.api("DELETE", "/v1/inbound-blocklist/@junk.example")).body.email, "@junk.example");
    const list = (await t.api("GET", "/v1/inbound-blocklist")).body.blocklist
      .map((e: { address: string }) => e.address)
      .sort();
    assert.deepEqual(list, ["@spam.example", "mallory@evil.example"]);

    const spam = await ingest("guarded", "offers@spam.example");
    const evil = await ingest("guarded", "mallory@evil.example");
    assert.equal(await state(spam), "blocked");
    assert.equal(await state(evil), "blocked");
    const rows = await audit("guarded");
    const fw = rows.filter((r: { action: string }) => r.action === "firewall_blocked");
    assert.equal(fw.length, 2);
    assert.match(
      fw.find((r: { message_id: string }) => r.message_id === spam).reason,
      /inbound blocklist \(@spam\.example\)/,
    );
    assert.ok(
      !rows.some((r: { action: string }) => r.action !== "firewall_blocked"),
      "the policy never saw them",
    );
    // The policy's hourly allowance is still there for a real sender.
    const real = await ingest("guarded", "ann@example.com");
    assert.equal(await state(real), "available");
  });

  it("stops blocked senders over SMTP too, even for a mailbox whose policy runs in the session", async () => {
    const smtp = smtpClient(t.pb.smtpPort!);
    const info = await smtp.sendMail({
      envelope: { from: "bulk@spam.example", to: ["guarded@test.local"] },
      raw: rawMessage({ from: "bulk@spam.example", to: "guarded@test.local", subject: "Deal" }),
    });
    smtp.close();
    assert.match(
      String(info.response),
      /^250 /,
      "accepted and kept, not refused: no backscatter to a spammer",
    );
    await t.pb.drain();
    const id = /queued as (\S+)/.exec(String(info.response))![1]!;
    assert.equal(await state(id), "blocked");
    assert.ok(
      (await audit("guarded")).some(
        (r: { message_id: string; action: string }) => r.message_id === id && r.action === "firewall_blocked",
      ),
    );
  });

  it("lets only listed senders through a mailbox's sender allowlist", async () => {
    const bad = await t.api("PATCH", "/v1/mailboxes/partners", {
      body: { inbound_sender_allowlist: ["nope"] },
    });
    assert.equal(bad.status, 400);
    const set = await t.api("PATCH", "/v1/mailboxes/partners", {
      body: { inbound_sender_allowlist: ["@Partner.example", "boss@corp.example"] },
    });
    assert.equal(set.status, 200);
    // The setting is the list the inbound-allowlist routes manage: one source of truth.
    const listed = await t.api("GET", "/v1/mailboxes/partners/inbound-allowlist");
    assert.equal(listed.body.mode, "allowlist");
    assert.deepEqual(
      listed.body.allowlist.map((e: { email: string; pattern_type: string }) => [e.email, e.pattern_type]),
      [
        ["@partner.example", "domain"],
        ["boss@corp.example", "email"],
      ],
    );
    assert.equal(await state(await ingest("partners", "ann@partner.example")), "available");
    assert.equal(await state(await ingest("partners", "boss@corp.example")), "available");
    const stranger = await ingest("partners", "someone@else.example");
    assert.equal(await state(stranger), "blocked");
    const row = (await audit("partners")).find((r: { message_id: string }) => r.message_id === stranger);
    assert.match(row.reason, /not on the mailbox's sender allowlist/);
    assert.equal(
      await state(await ingest("open", "someone@else.example")),
      "available",
      "other mailboxes are unaffected",
    );
    await t.api("PATCH", "/v1/mailboxes/partners", { body: { inbound_sender_allowlist: null } });
    assert.deepEqual((await t.api("GET", "/v1/mailboxes/partners/inbound-allowlist")).body.allowlist, []);
    assert.equal(
      await state(await ingest("partners", "someone@else.example")),
      "available",
      "null turns it off",
    );
  });
});
