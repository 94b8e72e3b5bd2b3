import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConflictError, ForbiddenError } from "@postbox/sdk";
import { simpleParser } from "mailparser";
import { mailauthVerify } from "../dkim-verify.ts";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";
import { startWebhookReceiver } from "../webhook-receiver.ts";

// A reviewer edits a held send and rescans it (POST /v1/messages/:id/revise); approving it delivers the edit.

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
/** A window open only tomorrow (UTC): closed now, whatever the time. */
const closedWindow = {
  timezone: "UTC",
  days: [WEEKDAYS[(new Date().getUTCDay() + 1) % 7]],
  start: "00:00",
  end: "23:59",
  outside_action: "require_approval",
};
const SSN = "My SSN is 123-45-6780.";

describe(`revising held sends (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let agentKey: string;
  let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;

  before(async () => {
    sink = await startSink();
    rx = await startWebhookReceiver();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url, POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    const admin = t.client();
    // desk: SSNs wait for a human; strict: every send waits, SSNs are quarantined (the default); window: agents
    // sending now are outside the send window; files: sends attachments.
    await admin.mailboxes.create({ name: "desk" });
    await admin.mailboxes.update("desk", {
      default_subaddress_mode: "reply_to",
      scanner_policy: { outbound_pii_policy: { ssn: "review" } },
    });
    await admin.mailboxes.create({ name: "strict" });
    await admin.mailboxes.update("strict", { hitl_mode: "all_outbound" });
    await admin.mailboxes.create({ name: "window" });
    await t.api("PATCH", "/v1/mailboxes/window", {
      body: { send_window: closedWindow, scanner_policy: { outbound_pii_policy: { ssn: "review" } } },
    });
    await admin.mailboxes.create({ name: "files" });
    await admin.mailboxes.update("files", { scanner_policy: { outbound_pii_policy: { ssn: "review" } } });
    await t.api("POST", "/v1/mailboxes/files/attachment-access", { body: { outbound_enabled: true } });
    agentKey = (
      await admin.apiKeys.create({ role: "agent", mailbox_ids: ["desk", "strict", "window", "files"] })
    ).api_key;
  });
  after(async () => {
    await t.stop();
    await sink.close();
    await rx.close();
  });

  const agent = () => t.client(agentKey);
  const send = (mailbox: string, body: string, subject = "Hello") =>
    agent().messages.send({ from_mailbox: mailbox, to: "client@example.com", subject, body });
  const revise = (id: string, body: unknown, key?: string) =>
    t.api("POST", `/v1/messages/${id}/revise`, { body, ...(key ? { key } : {}) });
  const rawOf = async (id: string) => Buffer.from(await t.client().messages.getRaw(id));
  const header = (raw: Buffer, name: string) =>
    new RegExp(`^${name}: (.*)$`, "mi").exec(raw.toString("latin1"))?.[1]?.trim() ?? null;
  const revisedEvents = async (id: string) =>
    (await t.client().events.list({ types: ["message.revised"] })).data.filter(
      (e) => (e.data as { message_id?: string }).message_id === id,
    );

  it("revises a held reply; approving it delivers the new content, same Message-ID, signed again", async () => {
    const hook = await t.api("POST", "/v1/webhooks", {
      body: { url: rx.url, enabled_events: ["message.revised"] },
    });
    assert.equal(hook.status, 201, "webhooks subscribe to message.revised");
    const inbound = await t.api("POST", "/v1/ingest?rcpt_to=desk@test.local", {
      raw: rawMessage({
        from: "Sam <sam@example.com>",
        to: "desk@test.local",
        subject: "Plan",
        messageId: "<plan-1@example.com>",
        references: "<plan-0@example.com>",
      }),
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    const held = await agent().messages.reply(inbound.body.accepted[0].message_id, { body: SSN });
    assert.equal(held.status, "pending_review");
    assert.equal(held.hold_context?.trigger_source, "scanner");
    const original = await rawOf(held.message_id);
    assert.ok(header(original, "Reply-To")?.startsWith("desk+"), "the mailbox's sub-address is in Reply-To");

    const revised = await t.client().messages.revise(held.message_id, {
      subject: "Re: Plan (details on file)",
      text: "We have your details on file; no need to send them.",
      note: "removed the SSN",
    });
    assert.equal(revised.state, "pending_review", "a human still approves it");
    assert.equal(revised.subject, "Re: Plan (details on file)");
    assert.equal(revised.body.text, "We have your details on file; no need to send them.");
    assert.deepEqual(revised.scan, { verdict: "clean", categories: [], findings: [] });
    assert.equal(revised.hold_context?.trigger_source, "reviewer", "the scanner's reason went with the SSN");
    assert.deepEqual(
      (await revisedEvents(held.message_id)).map((e) => (e.data as { note: string }).note),
      ["removed the SSN"],
    );
    const posted = await eventually(async () => rx.received.find((r) => r.json.event === "message.revised"));
    assert.deepEqual(
      [posted.json.data.message_id, posted.json.data.note],
      [held.message_id, "removed the SSN"],
    );
    const thread = await t.client().threads.get(held.thread_id);
    assert.equal(thread.subject, "Plan", "a thread with other messages keeps its subject");

    const stored = await rawOf(held.message_id);
    for (const h of ["Message-ID", "Reply-To", "In-Reply-To", "References", "From", "To", "Date"])
      assert.equal(header(stored, h), header(original, h), h);
    assert.equal(header(stored, "Subject"), "Re: Plan (details on file)");

    const before = sink.received.length;
    const approved = await t.client().messages.approve(held.message_id);
    assert.equal(approved.state, "dispatching");
    await t.pb.drain();
    await sink.waitFor(before + 1);
    const got = sink.received.at(-1)!;
    assert.deepEqual(got.to, ["sam@example.com"]);
    const mail = await simpleParser(got.raw);
    assert.equal(mail.subject, "Re: Plan (details on file)");
    assert.equal(mail.text?.trim(), "We have your details on file; no need to send them.");
    assert.equal(mail.messageId, held.internet_message_id);
    assert.equal(mail.inReplyTo, "<plan-1@example.com>");
    assert.ok(!got.raw.toString("latin1").includes("123-45-6780"), "the SSN never left");
    const rec = (await t.api("GET", "/v1/dkim")).body;
    assert.equal((await mailauthVerify(got.raw, rec.name, rec.value)).status.result, "pass");
  });

  it("refuses a revision the rescan would quarantine or block, and changes nothing", async () => {
    const held = await send("strict", "Hello there.");
    assert.equal(held.hold_context?.trigger_source, "mailbox_policy");
    const before = await t.client().messages.get(held.message_id);
    const beforeRaw = await rawOf(held.message_id);
    const ssn = await revise(held.message_id, { text: SSN });
    assert.equal(ssn.status, 409);
    assert.equal(ssn.body.code, "REVISION_REJECTED_BY_RESCAN");
    assert.equal(ssn.body.details.scan.verdict, "quarantined");
    assert.equal(ssn.body.details.scan.findings[0].pii_type, "ssn");
    const secret = await revise(held.message_id, { subject: "key AKIAIOSFODNN7EXAMPLE" });
    assert.equal(secret.body.code, "REVISION_REJECTED_BY_RESCAN");
    assert.equal(secret.body.details.scan.verdict, "blocked");
    await assert.rejects(
      t.client().messages.revise(held.message_id, { html: `<p>${SSN}</p>` }),
      (e: unknown) => e instanceof ConflictError && e.code === "REVISION_REJECTED_BY_RESCAN",
    );
    assert.deepEqual(await t.client().messages.get(held.message_id), before);
    assert.ok((await rawOf(held.message_id)).equals(beforeRaw), "the stored bytes are the original's");
    assert.deepEqual(await revisedEvents(held.message_id), []);

    // A clean revision stays held by the mailbox's own setting, and renames the thread it alone is in.
    const ok = await t.client().messages.revise(held.message_id, { subject: "Greetings" });
    assert.equal(ok.state, "pending_review");
    assert.equal(ok.body.text, "Hello there.", "absent fields keep the message's");
    assert.deepEqual(ok.hold_context, {
      trigger_source: "mailbox_policy",
      summary_reasons: ["the mailbox holds outbound mail for human review"],
    });
    assert.equal((await t.client().threads.get(held.thread_id)).subject, "Greetings");
  });

  it("keeps the send window's reason and drops the scanner's it no longer finds", async () => {
    const held = await send("window", SSN);
    assert.equal(held.status, "pending_review");
    assert.equal(held.hold_context?.trigger_source, "both");
    assert.equal(held.hold_context?.summary_reasons.length, 2);
    const windowReason = held.hold_context!.summary_reasons.find((r) => r.includes("send window"))!;
    const revised = await t.client().messages.revise(held.message_id, { text: "Details on file." });
    assert.equal(revised.scan?.verdict, "clean");
    assert.deepEqual(revised.hold_context, {
      trigger_source: "mailbox_policy",
      summary_reasons: [windowReason],
    });
    // Revising again keeps it: the window's reason is still not the scanner's.
    const again = await t.client().messages.revise(held.message_id, { html: "<p>Details on file.</p>" });
    assert.deepEqual(again.hold_context, revised.hold_context);
    assert.equal(again.body.html, "<p>Details on file.</p>");
  });

  it("rescans the attachments under the current policy and delivers them with the revision", async () => {
    const NOTES = Buffer.from(`Customer notes\n${SSN}\n`);
    const form = new FormData();
    form.append("mailbox_id", "files");
    form.append("file", new Blob([NOTES], { type: "text/plain" }), "notes.txt");
    const up = await fetch(`${t.baseUrl}/v1/attachments`, {
      method: "POST",
      headers: { authorization: `Bearer ${agentKey}` },
      body: form,
    }).then((r) => r.json() as Promise<{ id: string }>);
    await t.pb.drain();
    const sent = await agent().messages.send({
      from_mailbox: "files",
      to: "client@example.com",
      subject: "Notes",
      body: "Attached.",
      attachment_ids: [up.id],
    });
    assert.equal(sent.status, "pending_review");
    const revised = await t.client().messages.revise(sent.message_id, { text: "Your notes, attached." });
    assert.equal(revised.state, "pending_review");
    const finding = revised.scan?.findings[0] as { pii_type?: string; attachment_index?: number };
    assert.deepEqual(
      [finding.pii_type, finding.attachment_index],
      ["ssn", 0],
      "the attachment is scanned again",
    );
    assert.equal(revised.hold_context?.trigger_source, "scanner");

    await t.client().mailboxes.update("files", { scanner_policy: { outbound_pii_policy: { ssn: "block" } } });
    const refused = await revise(sent.message_id, { text: "Notes attached." });
    assert.equal(
      refused.body.code,
      "REVISION_REJECTED_BY_RESCAN",
      "the attachment is blocked under the new policy",
    );
    assert.equal(refused.body.details.scan.findings[0].attachment_index, 0);
    await t
      .client()
      .mailboxes.update("files", { scanner_policy: { outbound_pii_policy: { ssn: "review" } } });

    const before = sink.received.length;
    await t.client().messages.approve(sent.message_id, { note: "the customer's own notes" });
    await t.pb.drain();
    await sink.waitFor(before + 1);
    const mail = await simpleParser(sink.received.at(-1)!.raw);
    assert.equal(mail.text?.trim(), "Your notes, attached.");
    assert.equal(mail.attachments.length, 1);
    assert.equal(mail.attachments[0]!.filename, "notes.txt");
    assert.ok(mail.attachments[0]!.content.equals(NOTES), "byte-exact");
  });

  it("is for admin keys, on held outbound mail of the account only, with a valid body", async () => {
    const held = await send("strict", "Quote attached.");
    const before = await t.client().messages.get(held.message_id);
    await assert.rejects(
      agent().messages.revise(held.message_id, { text: "approved by me" }),
      (e: unknown) => e instanceof ForbiddenError && e.code === "INSUFFICIENT_SCOPE",
    );
    assert.deepEqual(await t.client().messages.get(held.message_id), before, "the agent changed nothing");

    const other = await t.client().accounts.create({ name: "elsewhere" });
    const theirs = await revise(held.message_id, { text: "x" }, other.admin_key);
    assert.deepEqual([theirs.status, theirs.body.code], [404, "NOT_FOUND"]);
    await t.client(other.admin_key).mailboxes.create({ name: "theirs" });
    await t.client(other.admin_key).mailboxes.update("theirs", { hitl_mode: "all_outbound" });
    const foreign = await t
      .client(other.admin_key)
      .messages.send({ from_mailbox: "theirs", to: "a@example.com", subject: "s", body: "b" });
    const mine = await revise(foreign.message_id, { text: "x" });
    assert.deepEqual([mine.status, mine.body.code], [404, "NOT_FOUND"], "and the other way round");
    assert.equal((await revise("not-a-uuid", { text: "x" })).status, 404);

    const sent = await send("desk", "Plain and clean.");
    assert.equal(sent.status, "sent");
    const notHeld = await revise(sent.message_id, { text: "x" });
    assert.deepEqual([notHeld.status, notHeld.body.code], [409, "MESSAGE_NOT_HELD"]);
    const inbound = (await t.client().messages.list("desk", { direction: "inbound" })).data[0]!;
    assert.equal((await revise(inbound.id, { text: "x" })).body.code, "MESSAGE_NOT_HELD");
    const blocked = await send("desk", "prod key AKIAIOSFODNN7EXAMPLE");
    assert.equal(blocked.status, "blocked");
    assert.equal((await revise(blocked.message_id, { text: "x" })).body.code, "MESSAGE_NOT_HELD");

    for (const body of [
      {},
      { note: "only a note" },
      { text: "x", unknown: 1 },
      { subject: "two\r\nlines" },
      { text: 42 },
      { html: 1 },
    ]) {
      const r = await revise(held.message_id, body);
      assert.deepEqual([r.status, r.body.code], [400, "VALIDATION_ERROR"], JSON.stringify(body));
    }
    const noBody = await t.api("POST", `/v1/messages/${held.message_id}/revise`);
    assert.equal(noBody.status, 400);
    assert.deepEqual(await t.client().messages.get(held.message_id), before);
  });
});
