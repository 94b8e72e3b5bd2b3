import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

describe(`inbound rules, automated-mail classification and the loop guard (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;

  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    for (const name of ["triage", "alice", "bob", "agent"]) await t.client().mailboxes.create({ name });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  async function ingest(
    mailbox: string,
    opts: { from?: string; subject?: string; body?: string; extraHeaders?: string; mailFrom?: string },
  ) {
    const q = new URLSearchParams({
      rcpt_to: `${mailbox}@test.local`,
      ...(opts.mailFrom !== undefined ? { mail_from: opts.mailFrom } : {}),
    });
    const res = await t.api("POST", `/v1/ingest?${q}`, {
      raw: rawMessage({
        to: `${mailbox}@test.local`,
        from: opts.from,
        subject: opts.subject,
        body: opts.body,
        extraHeaders: opts.extraHeaders,
      }),
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await t.pb.drain();
    return res.body.accepted[0].message_id as string;
  }
  const get = async (id: string) => (await t.api("GET", `/v1/messages/${id}`)).body;
  const putRules = (mailbox: string, body: unknown) =>
    t.api("PUT", `/v1/mailboxes/${mailbox}/rules`, { body });

  it("validates rules and names every problem", async () => {
    const r = await putRules("triage", {
      rules: [
        { when: { from: "*@acme.com", color: "red" }, action: { type: "teleport" } },
        { action: { type: "forward", to: "nope" } },
      ],
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.details.errors, [
      "rules[0].when.color is not a known condition",
      "rules[0].action.type must be label, forward or auto_reply",
      "rules[1].action.to must be an email address",
    ]);
    const agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["triage"] })).key;
    assert.equal(
      (await t.api("PUT", "/v1/mailboxes/triage/rules", { key: agentKey, body: { rules: [] } })).status,
      403,
    );
    assert.equal((await t.api("GET", "/v1/mailboxes/triage/rules", { key: agentKey })).status, 200);
  });

  it("classifies automated mail on every inbound message", async () => {
    const cases: [Record<string, string>, string | null][] = [
      [{}, null],
      [{ extraHeaders: "Auto-Submitted: auto-replied" }, "auto-submitted: auto-replied"],
      [{ extraHeaders: "Auto-Submitted: no" }, null],
      [{ extraHeaders: "Precedence: bulk" }, "precedence: bulk"],
      [{ extraHeaders: "List-Id: <news.example.com>" }, "list-id"],
      [{ extraHeaders: "List-Unsubscribe: <mailto:u@example.com>" }, "list-unsubscribe"],
      [{ extraHeaders: "X-Auto-Response-Suppress: All" }, "x-auto-response-suppress"],
      [{ from: "MAILER-DAEMON@example.com" }, "mailer-daemon sender"],
      [{ mailFrom: "" }, "null sender"],
    ];
    for (const [opts, want] of cases) {
      const id = await ingest("agent", opts);
      assert.equal((await get(id)).auto_submitted, want, JSON.stringify(opts));
    }
  });

  it("labels, forwards through the outbound gates, and records what each rule did", async () => {
    await t.api("POST", "/v1/suppressions", { body: { email: "blocked@example.net" } });
    const ok = await putRules("triage", {
      rules: [
        { name: "acme", when: { from: "*@acme.com" }, action: { type: "label", label: "customers/acme" } },
        {
          when: { from: "*@acme.com", subject_contains: "urgent" },
          action: { type: "forward", to: "oncall@example.net" },
        },
        { when: { subject_contains: "urgent" }, action: { type: "forward", to: "blocked@example.net" } },
        {
          when: { header: { name: "X-Team", contains: "billing" } },
          action: { type: "label", label: "billing" },
          stop: true,
        },
        { action: { type: "label", label: "never" } },
      ],
    });
    assert.equal(ok.status, 200);
    const before = sink.received.length;
    const id = await ingest("triage", {
      from: "Ann <ann@acme.com>",
      subject: "URGENT: server down",
      extraHeaders: "X-Team: billing-ops",
    });
    const m = await eventually(async () => {
      const x = await get(id);
      return x.rules_applied ? x : null;
    });
    assert.deepEqual(m.labels.sort(), ["billing", "customers/acme"]);
    const labelled = (await t.api("GET", "/v1/mailboxes/triage/messages?label=customers/acme")).body.data;
    assert.deepEqual(
      labelled.map((x: { id: string }) => x.id),
      [id],
    );
    assert.deepEqual(
      m.rules_applied.map((r: { rule: number; outcome: string }) => [r.rule, r.outcome]),
      [
        [0, "labelled"],
        [1, "forwarded"],
        [2, "refused"],
        [3, "labelled"],
      ],
    );
    assert.match(m.rules_applied[2].detail, /RECIPIENT_SUPPRESSED/);
    await t.pb.drain();
    await sink.waitFor(before + 1);
    const fwd = sink.received[before]!;
    assert.deepEqual(fwd.to, ["oncall@example.net"]);
    const text = fwd.raw.toString("latin1");
    assert.match(text, /^Subject: Fwd: URGENT: server down/m);
    assert.match(text, /^Auto-Submitted: auto-generated/m);
    assert.match(text, /From: Ann <ann@acme.com>|From: ann@acme.com/);
  });

  it("runs the rules on quarantined mail only once an admin releases it", async () => {
    await t.client().mailboxes.update("triage", { injection_threshold: 0.001 });
    const id = await ingest("triage", { from: "ann@acme.com", subject: "held" });
    await t.client().mailboxes.update("triage", { injection_threshold: 0.8 });
    const held = await get(id);
    assert.equal(held.state, "quarantined");
    assert.equal(held.rules_applied, null, "no rule runs on held mail");
    assert.equal((await t.api("POST", `/v1/messages/${id}/release`, { body: {} })).status, 200);
    const released = await eventually(async () => {
      await t.pb.drain();
      const x = await get(id);
      return x.rules_applied ? x : null;
    });
    assert.ok(released.labels.includes("customers/acme"));
  });

  it("never forwards or auto-replies to automated mail", async () => {
    const id = await ingest("triage", {
      from: "ann@acme.com",
      subject: "urgent digest",
      extraHeaders: "Precedence: bulk",
    });
    const m = await eventually(async () => {
      const x = await get(id);
      return x.rules_applied ? x : null;
    });
    const fwd = m.rules_applied.find((r: { rule: number }) => r.rule === 1);
    assert.equal(fwd.outcome, "skipped");
    assert.match(fwd.detail, /automated mail \(precedence: bulk\)/);
  });

  it("stops two auto-replying mailboxes from answering each other for ever", async () => {
    for (const box of ["alice", "bob"])
      await t.client().setRules(box, {
        rules: [{ action: { type: "auto_reply", body: "Thanks {{sender}}, {{subject}} is noted." } }],
      });
    assert.equal((await t.client().getRules("bob")).rules.length, 1);
    const sent = await t
      .client()
      .messages.send({ from_mailbox: "alice", to: "bob@test.local", subject: "Ping", body: "Hello Bob" });
    // Bob receives Ping and auto-replies; Alice receives the auto-reply, sees it is automated, and stays quiet.
    const aliceInbox = await eventually(async () => {
      await t.pb.drain();
      const page = await t.client().messages.list("alice");
      const reply = page.data.find((x) => x.direction === "inbound");
      return reply && (await get(reply.id)).rules_applied ? page : null;
    });
    const autoReply = await get(aliceInbox.data.find((x) => x.direction === "inbound")!.id);
    assert.equal(autoReply.auto_submitted, "auto-submitted: auto-replied");
    assert.match(autoReply.body.text, /Thanks alice@test\.local, Ping is noted\./);
    assert.equal(autoReply.thread_id, sent.thread_id, "the auto-reply threads with the original");
    assert.deepEqual(
      autoReply.rules_applied.map((r: { outcome: string }) => r.outcome),
      ["skipped"],
    );
    await new Promise((r) => setTimeout(r, 500));
    await t.pb.drain();
    const count = async (box: string) => (await t.client().messages.list(box)).data.length;
    assert.equal(await count("alice"), 2, "alice: Ping (sent) and one auto-reply (received)");
    assert.equal(await count("bob"), 2, "bob: Ping (received) and one auto-reply (sent)");
  });

  it("auto-replies at most once per sender per period", async () => {
    const first = await ingest("bob", { from: "carol@example.org", subject: "one" });
    const second = await ingest("bob", { from: "carol@example.org", subject: "two" });
    const done = async (id: string) =>
      eventually(async () => {
        const x = await get(id);
        return x.rules_applied ? x : null;
      });
    assert.equal((await done(first)).rules_applied[0].outcome, "replied");
    const s = (await done(second)).rules_applied[0];
    assert.equal(s.outcome, "skipped");
    assert.match(s.detail, /already auto-replied to carol@example.org within 24 h/);
  });

  it("refuses an agent's reply that would continue a loop with an automated sender", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        await ingest("agent", {
          from: "robot@example.com",
          subject: `Ticket ${i}`,
          extraHeaders: "Auto-Submitted: auto-generated",
        }),
      );
    for (let i = 0; i < 3; i++) {
      const r = await t.api("POST", `/v1/messages/${ids[i]}/reply`, { body: { body: `ack ${i}` } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const looping = await t.api("POST", `/v1/messages/${ids[3]}/reply`, { body: { body: "ack 3" } });
    assert.equal(looping.status, 429);
    assert.equal(looping.body.code, "REPLY_LOOP_DETECTED");
    assert.match(looping.body.error, /Do not retry/);
    assert.equal(looping.body.details.replies_in_window, 3);
    assert.equal(looping.headers.get("retry-after"), null, "no Retry-After: retrying is not the answer");
    // A person's mail is not limited this way.
    const human = await ingest("agent", { from: "dana@example.com", subject: "hi" });
    for (let i = 0; i < 4; i++)
      assert.equal(
        (await t.api("POST", `/v1/messages/${human}/reply`, { body: { body: `hi ${i}` } })).status,
        200,
      );
  });
});
