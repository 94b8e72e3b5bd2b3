import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, eventually, rawMessage, smtpClient, startTestServer, type TestServer } from "../helpers.ts";

// The seed's subaddress_instance_id and subaddress_mode: a send names an instance, the plus-address carries it with
// an HMAC tag, and a reply to that address over SMTP arrives with the instance; a forged tag carries none.

const header = (raw: string, name: string) =>
  new RegExp(`^${name}: (.*)$`, "im").exec(raw.split(/\r?\n\r?\n/)[0]!)?.[1] ?? null;

describe(`sub-address instances (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;

  before(async () => {
    t = await startTestServer();
    for (const name of ["tickets", "other"]) await t.client().mailboxes.create({ name });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["tickets", "other"] }))
      .api_key;
  });
  after(() => t.stop());

  const send = (body: Record<string, unknown>) =>
    t.api("POST", "/v1/messages/send", {
      key: agentKey,
      body: { from_mailbox: "tickets", to: "ann@example.com", subject: "Ticket 42", body: "On it.", ...body },
    });
  const rawOf = async (id: string) => (await t.api("GET", `/v1/messages/${id}/raw`)).body as string;
  const messageOf = async (id: string) => (await t.api("GET", `/v1/messages/${id}`, { key: agentKey })).body;

  /** Mails `to` over a real SMTP session and returns the stored message once processed. */
  async function mailOverSmtp(to: string, subject: string) {
    await smtpClient(t.pb.smtpPort!).sendMail({
      envelope: { from: "ann@example.com", to: [to] },
      raw: rawMessage({ from: "ann@example.com", to, subject }),
    });
    return eventually(async () => {
      await t.pb.drain();
      const list = await t.api("GET", "/v1/mailboxes/tickets/messages?limit=50", { key: agentKey });
      return list.body.messages.find((m: { subject: string }) => m.subject === subject) ?? null;
    });
  }

  it("names the instance in Reply-To, and a reply to it over SMTP arrives carrying the instance", async () => {
    const sent = await send({ subaddress_instance_id: "ticket-42", subaddress_mode: "reply_to" });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const raw = await rawOf(sent.body.message_id);
    const replyTo = header(raw, "Reply-To")!;
    assert.match(replyTo, /^tickets\+ticket-42\.[0-9a-f]{12}@test\.local$/);
    assert.equal(header(raw, "From"), "tickets@test.local");
    assert.equal((await messageOf(sent.body.message_id)).subaddress_instance_id, "ticket-42");

    const back = await mailOverSmtp(replyTo, "Re: Ticket 42");
    assert.equal(back.subaddress_instance_id, "ticket-42");
    assert.equal((await messageOf(back.id)).subaddress_instance_id, "ticket-42");
  });

  it("subaddress_mode overrides the mailbox's default; none names no plus-address", async () => {
    const viaFrom = await send({ subaddress_instance_id: "case_7", subaddress_mode: "from" });
    const raw = await rawOf(viaFrom.body.message_id);
    assert.match(header(raw, "From")!, /^tickets\+case_7\.[0-9a-f]{12}@test\.local$/);
    assert.equal(header(raw, "Reply-To"), null);

    const none = await send({ subaddress_instance_id: "case_8", subaddress_mode: "none" });
    const plain = await rawOf(none.body.message_id);
    assert.equal(header(plain, "From"), "tickets@test.local");
    assert.equal(header(plain, "Reply-To"), null);
    // The instance is still recorded on the sent message.
    assert.equal((await messageOf(none.body.message_id)).subaddress_instance_id, "case_8");

    // Without a mode the mailbox's default (none) applies: an instance alone changes no header.
    const dflt = await send({ subaddress_instance_id: "case_9" });
    assert.equal(header(await rawOf(dflt.body.message_id), "Reply-To"), null);
  });

  it("a forged or foreign tag delivers to the base mailbox but names no instance", async () => {
    const forged = await mailOverSmtp("tickets+ticket-42.000000000000@test.local", "forged tag");
    assert.equal(forged.subaddress_instance_id, null);
    // A genuine tag of another mailbox does not verify here: the tag binds the mailbox.
    const other = await t.api("POST", "/v1/messages/send", {
      key: agentKey,
      body: {
        from_mailbox: "other",
        to: "ann@example.com",
        subject: "x",
        body: "x",
        subaddress_instance_id: "ticket-42",
        subaddress_mode: "reply_to",
      },
    });
    const otherTag = /\+ticket-42\.([0-9a-f]{12})@/.exec(
      header(await rawOf(other.body.message_id), "Reply-To")!,
    )![1];
    const foreign = await mailOverSmtp(`tickets+ticket-42.${otherTag}@test.local`, "foreign tag");
    assert.equal(foreign.subaddress_instance_id, null);
    const untagged = await mailOverSmtp("tickets+newsletter@test.local", "plain plus");
    assert.equal(untagged.subaddress_instance_id, null);
  });

  it("replies and drafts take the fields; drafts keep them and their send applies them", async () => {
    const inbound = await mailOverSmtp("tickets@test.local", "Need help");
    const reply = await t.api("POST", `/v1/messages/${inbound.id}/reply`, {
      key: agentKey,
      body: { body: "Sure.", subaddress_instance_id: "help-1", subaddress_mode: "reply_to" },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.match(header(await rawOf(reply.body.message_id), "Reply-To")!, /^tickets\+help-1\.[0-9a-f]{12}@/);

    const draft = await t.api("POST", "/v1/drafts", {
      key: agentKey,
      body: {
        mailbox_id: "tickets",
        to: "bob@example.com",
        subject: "Draft",
        body: "Later.",
        subaddress_instance_id: "draft-1",
        subaddress_mode: "from",
      },
    });
    assert.equal(draft.status, 201, JSON.stringify(draft.body));
    assert.equal(draft.body.subaddress_instance_id, "draft-1");
    assert.equal(draft.body.subaddress_mode, "from");
    const cleared = await t.api("PATCH", `/v1/drafts/${draft.body.id}`, {
      key: agentKey,
      body: { subaddress_mode: "reply_to" },
    });
    assert.equal(cleared.body.subaddress_instance_id, "draft-1");
    assert.equal(cleared.body.subaddress_mode, "reply_to");
    const sent = await t.api("POST", `/v1/drafts/${draft.body.id}/send`, { key: agentKey });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const raw = await rawOf(sent.body.message_id);
    assert.match(header(raw, "Reply-To")!, /^tickets\+draft-1\.[0-9a-f]{12}@/);
    assert.equal((await messageOf(sent.body.message_id)).subaddress_instance_id, "draft-1");
  });

  it("refuses an instance id that cannot go into an address, and an unknown mode", async () => {
    for (const bad of ["", "has space", "a@b", "x".repeat(33), "dot.ted"]) {
      const r = await send({ subaddress_instance_id: bad });
      assert.deepEqual([r.status, r.body.code], [400, "VALIDATION_ERROR"], bad);
    }
    const mode = await send({ subaddress_mode: "bcc" });
    assert.deepEqual([mode.status, mode.body.code], [400, "VALIDATION_ERROR"]);
  });
});
