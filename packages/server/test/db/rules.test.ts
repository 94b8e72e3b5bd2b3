import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { startDnsServer } from "../dns-server.ts";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  settle,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

/** example.org lets 192.0.2.10 send (SPF): mail from there with an example.org envelope sender authenticates. */
const MTA_IP = "192.0.2.10";
const ZONE = { "example.org": { TXT: [`v=spf1 ip4:${MTA_IP} -all`] } };

type IngestOpts = {
  from?: string;
  subject?: string;
  body?: string;
  extraHeaders?: string;
  mailFrom?: string;
  clientIp?: string;
};

/** Ingests a message as an MTA in front of Postbox reports it; returns the message id. */
async function ingestInto(t: TestServer, mailbox: string, opts: IngestOpts): Promise<string> {
  const q = new URLSearchParams({
    rcpt_to: `${mailbox}@test.local`,
    ...(opts.mailFrom !== undefined ? { mail_from: opts.mailFrom } : {}),
    ...(opts.clientIp !== undefined ? { client_ip: opts.clientIp, helo: "mx.example.org" } : {}),
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

/** The message once its rules have run. */
async function ruled(t: TestServer, id: string) {
  return eventually(async () => {
    await t.pb.drain();
    const x = (await t.api("GET", `/v1/messages/${id}`)).body;
    return x.rules_applied ? x : null;
  });
}

describe(`inbound rules, automated-mail classification and the loop guard (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;

  before(async () => {
    sink = await startSink();
    dns = await startDnsServer(ZONE);
    t = await startTestServer({
      POSTBOX_SMTP_RELAY: sink.url,
      POSTBOX_DNS_SERVERS: dns.address,
      POSTBOX_AUTO_REPLIES_PER_HOUR: "3",
      POSTBOX_RULE_FORWARDS_PER_HOUR: "3",
    });
    for (const name of ["triage", "alice", "bob", "agent", "desk", "frontdesk", "limited", "relay"])
      await t.client().mailboxes.create({ name });
  });
  after(async () => {
    await t.stop();
    await sink.close();
    await dns.close();
  });

  const ingest = (mailbox: string, opts: IngestOpts) => ingestInto(t, mailbox, opts);
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
    const agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["triage"] })).api_key;
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
    const labelled = (await t.api("GET", "/v1/mailboxes/triage/messages?label=customers/acme")).body.messages;
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
    // Everything that could still produce mail has run: the exchange is over, not merely paused.
    await settle(t);
    const count = async (box: string) => (await t.client().messages.list(box)).data.length;
    assert.equal(await count("alice"), 2, "alice: Ping (sent) and one auto-reply (received)");
    assert.equal(await count("bob"), 2, "bob: Ping (received) and one auto-reply (sent)");
  });

  const autoReply = {
    rules: [{ action: { type: "auto_reply" as const, body: "Thanks {{sender}}. About: {{subject}}" } }],
  };
  const outbound = async (box: string) =>
    (await t.client().messages.list(box, { direction: "outbound", limit: 100 })).data;

  it("auto-replies at most once per envelope sender per period, whatever From says", async () => {
    await t.client().setRules("frontdesk", autoReply);
    const carol = { mailFrom: "carol@example.org", clientIp: MTA_IP };
    const first = await ruled(t, await ingest("frontdesk", { ...carol, from: "carol@example.org" }));
    assert.deepEqual(
      [first.rules_applied[0].outcome, first.rules_applied[0].detail],
      ["replied", "carol@example.org"],
    );
    // A new From does not make a new sender: the period is keyed on the envelope sender.
    const forged = await ruled(t, await ingest("frontdesk", { ...carol, from: "someone.new@example.com" }));
    assert.equal(forged.rules_applied[0].outcome, "skipped");
    assert.match(forged.rules_applied[0].detail, /already auto-replied to carol@example.org within 24 h/);
    // …and the same From behind another envelope sender is another sender.
    const dave = await ruled(
      t,
      await ingest("frontdesk", {
        mailFrom: "dave@example.org",
        clientIp: MTA_IP,
        from: "carol@example.org",
      }),
    );
    assert.deepEqual(
      [dave.rules_applied[0].outcome, dave.rules_applied[0].detail],
      ["replied", "dave@example.org"],
    );
    assert.deepEqual((await outbound("frontdesk")).map((m) => m.to).sort(), [
      ["carol@example.org"],
      ["dave@example.org"],
    ]);
  });

  it("answers only the envelope sender, never a 1,000-address Reply-To, and echoes no link", async () => {
    await t.client().setRules("desk", autoReply);
    const crowd = Array.from({ length: 1000 }, (_, i) => `victim${i}@example.com`);
    const before = sink.received.length;
    const id = await ingest("desk", {
      mailFrom: "mallory@example.org",
      clientIp: MTA_IP,
      from: "Innocent <innocent@example.com>",
      extraHeaders: `Reply-To: ${crowd.join(",\r\n ")}\r\nCc: ${crowd.slice(0, 200).join(",\r\n ")}`,
      subject: `Claim your prize at http://evil.example/win or www.evil.example today \u202e${"x".repeat(200)}`,
    });
    const m = await ruled(t, id);
    assert.equal(m.reply_to.length, 1000, "the Reply-To really had 1,000 addresses");
    assert.deepEqual(
      [m.rules_applied[0].outcome, m.rules_applied[0].detail],
      ["replied", "mallory@example.org"],
    );
    const sent = await outbound("desk");
    assert.equal(sent.length, 1);
    assert.deepEqual([sent[0]!.to, sent[0]!.cc, sent[0]!.bcc], [["mallory@example.org"], [], []]);
    await sink.waitFor(before + 1);
    await t.pb.drain();
    assert.equal(sink.received.length, before + 1, "one message to one recipient");
    const reply = sink.received[before]!;
    assert.deepEqual(reply.to, ["mallory@example.org"]);
    // What went over the wire, decoded: subject, text and headers of the DKIM-signed reply.
    const wire = await simpleParser(reply.raw);
    const seen = `${wire.subject}\n${wire.text}`;
    assert.doesNotMatch(
      seen,
      /evil\.example|http:|\u202e/,
      "no link and no bidi override in the signed reply",
    );
    assert.match(wire.subject!, /^Re: Claim your prize at \[link\] or \[link\] today x+…$/);
    assert.ok([...wire.subject!].length <= "Re: ".length + 78, wire.subject);
    assert.equal(wire.subject, sent[0]!.subject);
    assert.match(wire.text!, /^Thanks mallory@example\.org\. About: Claim your prize at \[link\]/);
    assert.equal(wire.headers.get("auto-submitted"), "auto-replied");
  });

  it("does not auto-reply to a sender that did not authenticate, or to a null sender", async () => {
    const cases: [IngestOpts, RegExp][] = [
      // SPF fails: example.org does not let this address send.
      [
        { mailFrom: "spoofed@example.org", clientIp: "198.51.100.9" },
        /spoofed@example\.org is not authenticated/,
      ],
      // No SPF record and no signature: nothing proves the address.
      [
        { mailFrom: "someone@nospf.example", clientIp: MTA_IP },
        /someone@nospf\.example is not authenticated/,
      ],
      // The sender's domain would pass, but the envelope names someone else's: From does not count.
      [
        { mailFrom: "target@nospf.example", clientIp: MTA_IP, from: "carol@example.org" },
        /target@nospf\.example is not authenticated/,
      ],
      [{ from: "carol@example.org" }, /no envelope sender/],
    ];
    const before = (await outbound("desk")).length;
    for (const [opts, why] of cases) {
      const m = await ruled(t, await ingest("desk", { subject: "hello", ...opts }));
      assert.equal(m.rules_applied[0].outcome, "skipped", JSON.stringify(opts));
      assert.match(m.rules_applied[0].detail, why);
    }
    assert.equal((await outbound("desk")).length, before, "no reply was sent");
  });

  it("caps auto-replies and forwards per mailbox per hour", async () => {
    await t.client().setRules("limited", autoReply);
    const outcomes: string[] = [];
    for (const who of ["a1", "a2", "a3", "a4"]) {
      const m = await ruled(t, await ingest("limited", { mailFrom: `${who}@example.org`, clientIp: MTA_IP }));
      outcomes.push(m.rules_applied[0].outcome);
      if (who === "a4")
        assert.match(m.rules_applied[0].detail, /limit of 3 auto-replies per hour is reached/);
    }
    assert.deepEqual(outcomes, ["replied", "replied", "replied", "skipped"]);
    assert.equal((await outbound("limited")).length, 3);

    await t.client().setRules("relay", {
      rules: [{ action: { type: "forward", to: "archive@example.net" } }],
    });
    const forwards: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await ruled(t, await ingest("relay", { subject: `report ${i}` }));
      forwards.push(m.rules_applied[0].outcome);
      if (i === 3) assert.match(m.rules_applied[0].detail, /limit of 3 forwards per hour is reached/);
    }
    assert.deepEqual(forwards, ["forwarded", "forwarded", "forwarded", "skipped"]);
  });

  it("judges our own noreply mailbox by its headers, not its name", async () => {
    await t.client().mailboxes.create({ name: "noreply" });
    await t
      .client()
      .messages.send({ from_mailbox: "noreply", to: "desk@test.local", subject: "Invoice", body: "x" });
    const received = await eventually(async () => {
      await t.pb.drain();
      const page = await t.client().messages.list("desk", { direction: "inbound", limit: 50 });
      const m = page.data.find((x) => x.sender === "noreply@test.local");
      return m ? ruled(t, m.id) : null;
    });
    assert.equal(received.envelope.transport, "local");
    assert.equal(received.auto_submitted, null, "an agent's mail, whatever the mailbox is called");
    assert.deepEqual(
      [received.rules_applied[0].outcome, received.rules_applied[0].detail],
      ["replied", "noreply@test.local"],
    );
    // The same name from elsewhere is still taken as a machine's.
    const outside = await ruled(
      t,
      await ingest("desk", {
        from: "noreply@example.org",
        mailFrom: "noreply@example.org",
        clientIp: MTA_IP,
      }),
    );
    assert.equal(outside.auto_submitted, "noreply sender");
    assert.equal(outside.rules_applied[0].outcome, "skipped");
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

describe(`auto-replies with POSTBOX_AUTO_REPLY_REQUIRE_AUTH=0 (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url, POSTBOX_AUTO_REPLY_REQUIRE_AUTH: "0" });
    await t.client().mailboxes.create({ name: "open" });
    await t.client().setRules("open", { rules: [{ action: { type: "auto_reply", body: "Noted." } }] });
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  it("answers an unauthenticated envelope sender when the operator opts out — still that sender alone", async () => {
    const m = await ruled(
      t,
      await ingestInto(t, "open", {
        mailFrom: "anyone@nospf.example",
        extraHeaders: "Reply-To: a@example.com, b@example.com",
      }),
    );
    assert.equal(m.sender_authentication.verdict, "none");
    assert.deepEqual(
      [m.rules_applied[0].outcome, m.rules_applied[0].detail],
      ["replied", "anyone@nospf.example"],
    );
    await sink.waitFor(1);
    assert.deepEqual(sink.received[0]!.to, ["anyone@nospf.example"]);
  });
});
