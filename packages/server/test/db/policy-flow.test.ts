import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Transporter } from "nodemailer";
import { dkimSignMessage } from "../../src/outbound/dkim/sign.ts";
import { startDnsServer, startSilentDns } from "../dns-server.ts";
import { scheduling, support } from "../fixtures/policies.ts";
import {
  dbLabel,
  eventually,
  rawMessage,
  type Sink,
  smtpClient,
  startSink,
  startTestServer,
  type TestServer,
} from "../helpers.ts";

const key = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privateKey = key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicDns = `v=DKIM1; k=rsa; p=${key.publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;

const bodySha = (raw: string | Buffer) => {
  const s = Buffer.from(raw);
  return createHash("sha256")
    .update(s.subarray(s.indexOf("\r\n\r\n") + 4))
    .digest("hex");
};

describe(`MailPolicy on arriving mail: SMTP session and ingest (${dbLabel})`, () => {
  let t: TestServer;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  let sink: Sink;
  let smtp: Transporter;

  before(async () => {
    dns = await startDnsServer({
      "s1._domainkey.acme.com": { TXT: [publicDns] },
      "acme.com": { TXT: ["v=spf1 ip4:192.0.2.10 -all"] },
      "s1._domainkey.partner.test": { TXT: [publicDns] },
      "partner.test": { TXT: ["v=spf1 ip4:127.0.0.1 ip4:192.0.2.20 -all"] },
      "s1._domainkey.vip-customer.com": { TXT: [publicDns] },
    });
    sink = await startSink();
    t = await startTestServer({ POSTBOX_DNS_SERVERS: dns.address, POSTBOX_SMTP_RELAY: sink.url });
    const pb = t.client();
    for (const name of ["scheduler", "support", "open"]) await pb.mailboxes.create({ name });
    await pb.setPolicy("scheduler", scheduling);
    await pb.setPolicy("support", support);
    smtp = smtpClient(t.pb.smtpPort!);
  });
  after(async () => {
    smtp.close();
    await t.stop();
    await sink.close();
    await dns.close();
  });

  const signed = (raw: string, domain = "acme.com") =>
    dkimSignMessage(Buffer.from(raw), { domain, selector: "s1", privateKey });

  /** Sends over SMTP; resolves to the final reply, 250 or the refusal, never throws for a 5xx. */
  async function smtpSend(to: string[], raw: string | Buffer, from: string) {
    try {
      const info = await smtp.sendMail({ envelope: { from, to }, raw });
      return { code: 250, response: info.response ?? "" };
    } catch (err) {
      const e = err as { responseCode?: number; response?: string };
      if (!e.responseCode) throw err;
      return { code: e.responseCode, response: e.response ?? "" };
    }
  }

  const audit = async (mailbox: string, query = "") =>
    (await t.api("GET", `/v1/mailboxes/${mailbox}/audit${query}`)).body;
  const storedCount = async (mailbox: string) => {
    const mb = await t.client().mailboxes.get(mailbox);
    const [row] = await t.pb.db.query<{ n: number }>(
      "select count(*)::int as n from messages where mailbox_id = $1 and direction = 'inbound'",
      [mb.id],
    );
    return row!.n;
  };

  it("accepts the boss in the session and hands the rule's capabilities to the agent (reads, wait, safety context)", async () => {
    const pb = t.client();
    const raw = await signed(
      rawMessage({
        from: "Boss <boss@acme.com>",
        to: "scheduler@test.local",
        subject: "Lunch?",
        body: "Lunch on Friday?",
      }),
    );
    const waiting = pb.messages.wait("scheduler", { timeout: 20 });
    const reply = await smtpSend(["scheduler@test.local"], raw, "boss@acme.com");
    assert.equal(reply.code, 250);
    const got = await waiting;
    assert.ok(got.message);
    const caps = ["read_calendar", "propose_meeting", "confirm_meeting"];
    assert.deepEqual(got.message.capabilities, caps);
    assert.deepEqual(got.message.agent_safety_context?.capabilities, caps);
    assert.deepEqual(got.message.policy, { outcome: "accepted", rule_index: 0, decided_in: "smtp_session" });
    const read = await pb.messages.get(got.message.id);
    assert.deepEqual(read.capabilities, caps);
    assert.equal(read.sender_authentication?.dkim.result, "pass");
    const entries = await audit("scheduler", "?limit=1");
    const [e] = entries.entries;
    assert.equal(e.outcome, "accepted");
    assert.equal(e.action, "delivered");
    assert.equal(e.rule_index, 0);
    assert.equal(e.message_id, got.message.id);
    assert.equal(e.envelope_sender, "boss@acme.com");
    assert.equal(e.header_sender, "boss@acme.com");
    assert.equal(e.transport, "smtp");
    assert.deepEqual(e.capabilities, caps);
    assert.equal(e.body_sha256, bodySha(raw), "includeBodyHash: SHA-256 of the body bytes");
  });

  it("refuses an unknown sender with 550 5.7.1 and the reason; nothing is stored, the audit keeps the record", async () => {
    const before = await storedCount("scheduler");
    const raw = rawMessage({ from: "stranger@evil.test", to: "scheduler@test.local", body: "hello" });
    const reply = await smtpSend(["scheduler@test.local"], raw, "stranger@evil.test");
    assert.equal(reply.code, 550);
    assert.match(reply.response, /^550 5\.7\.1 sender is not allowed by the mailbox policy/);
    assert.equal(await storedCount("scheduler"), before);
    const [e] = (await audit("scheduler", "?limit=1")).entries;
    assert.equal(e.outcome, "rejected_at_policy");
    assert.equal(e.action, "rejected_in_session");
    assert.equal(e.rule_index, null);
    assert.equal(e.message_id, null);
    assert.equal(e.body_sha256, bodySha(raw));
    assert.equal(sink.received.length, 0, "a 5xx in the session sends no notification of ours");
  });

  it("refuses a domain sender whose DKIM did not pass (requireDkim)", async () => {
    const reply = await smtpSend(
      ["scheduler@test.local"],
      rawMessage({ from: "alice@acme.com", to: "scheduler@test.local" }),
      "alice@acme.com",
    );
    assert.equal(reply.code, 550);
    assert.match(reply.response, /5\.7\.1 DKIM verification failed/);
    assert.equal((await audit("scheduler", "?limit=1")).entries[0].outcome, "rejected_at_verification");
  });

  it("does not let a valid signature of another domain vouch for the From domain", async () => {
    const raw = await signed(
      rawMessage({ from: "alice@acme.com", to: "scheduler@test.local" }),
      "partner.test",
    );
    const reply = await smtpSend(["scheduler@test.local"], raw, "alice@acme.com");
    assert.equal(reply.code, 550);
    assert.equal((await audit("scheduler", "?limit=1")).entries[0].outcome, "rejected_at_verification");
  });

  it("refuses a body that matches a content guard, with the guard's reason", async () => {
    const raw = await signed(
      rawMessage({
        from: "boss@acme.com",
        to: "scheduler@test.local",
        body: "Please make a WIRE TRANSFER today",
      }),
    );
    const reply = await smtpSend(["scheduler@test.local"], raw, "boss@acme.com");
    assert.equal(reply.code, 550);
    assert.match(reply.response, /5\.7\.1 phishing-likely keyword/);
    const [e] = (await audit("scheduler", "?limit=1")).entries;
    assert.equal(e.outcome, "rejected_at_content_guard");
    assert.equal(e.reason, "phishing-likely keyword");
  });

  it("rate-limits a rule per sender and UTC hour (the 11th message of perHour 10 is refused)", async () => {
    const replies = [];
    for (let i = 0; i < 11; i++) {
      const raw = await signed(
        rawMessage({ from: "carol@acme.com", to: "scheduler@test.local", subject: `n${i}` }),
      );
      replies.push((await smtpSend(["scheduler@test.local"], raw, "carol@acme.com")).code);
    }
    assert.deepEqual(replies, [...Array(10).fill(250), 550]);
    const [e] = (await audit("scheduler", "?limit=1")).entries;
    assert.equal(e.outcome, "rate_limited");
    assert.equal(e.rule_index, 1);
    const limited = await audit("scheduler", "?outcome=rate_limited&sender=CAROL@acme.com");
    assert.equal(limited.entries.length, 1);
  });

  it("gates the next message of a thread whose token budget was exhausted (retrospectively)", async () => {
    const pb = t.client();
    const rootId = "<budget-root@acme.com>";
    const root = await signed(
      rawMessage({ from: "boss@acme.com", to: "scheduler@test.local", subject: "Plan", messageId: rootId }),
    );
    assert.equal((await smtpSend(["scheduler@test.local"], root, "boss@acme.com")).code, 250);
    const stored = await eventually(async () =>
      (await pb.messages.list("scheduler", { limit: 20 })).data.find((m) => m.internet_message_id === rootId),
    );
    // 8000 of 8000 is not "exceeded": the next message still passes.
    const r = await t.api("POST", `/v1/messages/${stored.id}/token-usage`, { body: { tokens: 8000 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const reply1 = await signed(
      rawMessage({
        from: "boss@acme.com",
        to: "scheduler@test.local",
        subject: "Re: Plan",
        inReplyTo: rootId,
      }),
    );
    assert.equal((await smtpSend(["scheduler@test.local"], reply1, "boss@acme.com")).code, 250);
    const reported = await pb.messages.reportTokenUsage(stored.id, 1);
    assert.deepEqual(
      [reported.tokens, reported.sender, reported.thread_id],
      [1, "boss@acme.com", stored.thread_id],
    );
    const reply2 = await signed(
      rawMessage({
        from: "boss@acme.com",
        to: "scheduler@test.local",
        subject: "Re: Plan",
        inReplyTo: rootId,
      }),
    );
    const refused = await smtpSend(["scheduler@test.local"], reply2, "boss@acme.com");
    assert.equal(refused.code, 550);
    assert.match(refused.response, /token budget exhausted/);
    assert.equal((await audit("scheduler", "?limit=1")).entries[0].outcome, "budget_exhausted");
    // Another thread of the same sender has its own budget.
    const fresh = await signed(
      rawMessage({ from: "boss@acme.com", to: "scheduler@test.local", subject: "Other" }),
    );
    assert.equal((await smtpSend(["scheduler@test.local"], fresh, "boss@acme.com")).code, 250);
  });

  it('answers 250 and discards silently under defaultAction "drop"', async () => {
    const before = await storedCount("support");
    const reply = await smtpSend(
      ["support@test.local"],
      rawMessage({ from: "ceo@vip-customer.com", to: "support@test.local", body: "unsigned VIP claim" }),
      "ceo@vip-customer.com",
    );
    assert.equal(reply.code, 250);
    assert.equal(await storedCount("support"), before);
    const [e] = (await audit("support", "?limit=1")).entries;
    assert.equal(e.outcome, "rejected_at_verification");
    assert.equal(e.action, "dropped");
  });

  it("one DATA for several mailboxes: 250 when any copy is accepted; the refused copy is bounced by notification", async () => {
    const pb = t.client();
    const raw = await signed(
      rawMessage({
        from: "news@partner.test",
        to: "scheduler@test.local, open@test.local",
        subject: "Partner news",
      }),
      "partner.test",
    );
    const reply = await smtpSend(["scheduler@test.local", "open@test.local"], raw, "news@partner.test");
    assert.equal(reply.code, 250);
    await eventually(async () =>
      (await pb.messages.list("open", { limit: 5 })).data.find((m) => m.subject === "Partner news"),
    );
    const [e] = (await audit("scheduler", "?limit=1")).entries;
    assert.equal(e.outcome, "rejected_at_policy");
    assert.equal(e.action, "bounced", "the sender's domain authenticated (SPF and DKIM), so it may be told");
    await t.pb.drain();
    await sink.waitFor(1);
    const notice = sink.received[0]!;
    assert.equal(notice.from, "", "notifications go out with the null reverse path");
    assert.deepEqual(notice.to, ["news@partner.test"]);
    const text = notice.raw.toString();
    assert.match(text, /Content-Type: multipart\/report; report-type=delivery-status/);
    assert.match(text, /Status: 5\.7\.1/);
    assert.match(text, /sender is not allowed by the mailbox policy/);
    assert.match(text, /Subject: Partner news/, "the original's headers come back");
    assert.doesNotMatch(text, /Hi there\./, "the original's body does not");
  });

  it("dry-runs raw MIME with real authentication and thread lookup, moving nothing", async () => {
    const auditBefore = (await audit("scheduler", "?limit=100")).entries.length;
    const dry = (raw: string | Buffer, q: string) =>
      t.api("POST", `/v1/mailboxes/scheduler/policy/test?${q}`, {
        raw,
        headers: { "content-type": "message/rfc822" },
      });
    const signedAlice = await signed(rawMessage({ from: "alice@acme.com", to: "scheduler@test.local" }));
    const pass = await dry(signedAlice, "mail_from=alice@acme.com&client_ip=192.0.2.10&helo=mx.acme.com");
    assert.equal(pass.status, 200, JSON.stringify(pass.body));
    assert.equal(pass.body.outcome, "accepted");
    assert.equal(pass.body.rule_index, 1);
    assert.equal(pass.body.sender_authentication.verdict, "verified_aligned");
    assert.equal(pass.body.input.dkim_pass, true);
    assert.equal(pass.body.input.spf_pass, true);
    const tampered = await dry(
      signedAlice.toString().replace("Hi there.", "Hi there!"),
      "mail_from=alice@acme.com&client_ip=203.0.113.9",
    );
    assert.equal(tampered.body.outcome, "rejected_at_verification");
    assert.equal(tampered.body.sender_authentication.dkim.signatures[0].result, "neutral");
    // The reply to the budget-exhausted thread is found by its In-Reply-To, as on real arrival.
    const inThread = await dry(
      await signed(
        rawMessage({
          from: "boss@acme.com",
          to: "scheduler@test.local",
          inReplyTo: "<budget-root@acme.com>",
        }),
      ),
      "mail_from=boss@acme.com",
    );
    assert.equal(inThread.body.outcome, "budget_exhausted");
    assert.ok(inThread.body.input.thread_id);
    const viaSdk = await t.client().testPolicy("scheduler", {
      raw: signedAlice,
      mail_from: "alice@acme.com",
      client_ip: "192.0.2.10",
    });
    assert.equal(viaSdk.outcome, "accepted");
    assert.equal(viaSdk.sender_authentication?.dkim.aligned, true);
    const bad = await dry(signedAlice, "client_ip=not-an-ip");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, ["querystring.client_ip must be an IPv4 or IPv6 address"]);
    assert.equal((await audit("scheduler", "?limit=100")).entries.length, auditBefore, "no audit entry");
  });

  describe("HTTP ingest (decided after acceptance)", () => {
    const ingest = async (raw: string | Buffer, q: Record<string, string>) => {
      const res = await t.api("POST", `/v1/ingest?${new URLSearchParams(q)}`, {
        raw,
        headers: { "content-type": "message/rfc822" },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      await t.pb.drain();
      return res.body.accepted[0].message_id as string;
    };

    it("accepts with the rule's capabilities, decided in the pipeline", async () => {
      const raw = await signed(
        rawMessage({ from: "boss@acme.com", to: "scheduler@test.local", subject: "via ingest" }),
      );
      const id = await ingest(raw, {
        rcpt_to: "scheduler@test.local",
        mail_from: "boss@acme.com",
        client_ip: "192.0.2.10",
      });
      const msg = await t.client().messages.get(id);
      assert.deepEqual(msg.policy, { outcome: "accepted", rule_index: 0, decided_in: "pipeline" });
      assert.deepEqual(msg.agent_safety_context?.capabilities, [
        "read_calendar",
        "propose_meeting",
        "confirm_meeting",
      ]);
      const [e] = (await audit("scheduler", "?limit=1")).entries;
      assert.equal(e.transport, "http");
      assert.equal(e.message_id, id);
    });

    it("bounces to an authenticated sender through the outbound queue", async () => {
      const sent = sink.received.length;
      const raw = rawMessage({ from: "sales@partner.test", to: "scheduler@test.local", subject: "Offer" });
      const id = await ingest(raw, {
        rcpt_to: "scheduler@test.local",
        mail_from: "sales@partner.test",
        client_ip: "192.0.2.20",
      });
      const res = await t.api("GET", `/v1/messages/${id}`);
      assert.equal(res.status, 404, "the refused message is not kept");
      const [e] = (await audit("scheduler", "?limit=1")).entries;
      assert.equal(e.action, "bounced");
      assert.equal(e.transport, "http");
      await sink.waitFor(sent + 1);
      assert.deepEqual(sink.received[sent]!.to, ["sales@partner.test"]);
    });

    it("reaches every refusal outcome through ingest too", async () => {
      const q = (from: string) => ({
        rcpt_to: "scheduler@test.local",
        mail_from: from,
        client_ip: "192.0.2.10",
      });
      const cases: [string | Buffer, string, string][] = [
        [
          rawMessage({ from: "alice@acme.com", to: "scheduler@test.local" }),
          "alice@acme.com",
          "rejected_at_verification",
        ],
        // carol used up her ten messages of this hour over SMTP above.
        [
          await signed(rawMessage({ from: "carol@acme.com", to: "scheduler@test.local" })),
          "carol@acme.com",
          "rate_limited",
        ],
        [
          await signed(
            rawMessage({
              from: "boss@acme.com",
              to: "scheduler@test.local",
              inReplyTo: "<budget-root@acme.com>",
            }),
          ),
          "boss@acme.com",
          "budget_exhausted",
        ],
        [
          rawMessage({ from: "nobody@nowhere.test", to: "scheduler@test.local" }),
          "nobody@nowhere.test",
          "rejected_at_policy",
        ],
      ];
      for (const [raw, from, outcome] of cases) {
        const id = await ingest(raw, q(from));
        assert.equal((await t.api("GET", `/v1/messages/${id}`)).status, 404, outcome);
        const [e] = (await audit("scheduler", "?limit=1")).entries;
        assert.equal(e.outcome, outcome);
        assert.equal(e.transport, "http");
      }
    });

    it("sends no notification when the envelope sender did not authenticate (no backscatter)", async () => {
      const sent = sink.received.length;
      const raw = rawMessage({
        from: "boss@acme.com",
        to: "scheduler@test.local",
        body: "wire transfer now",
      });
      // Forged: acme.com's SPF does not allow this IP and nothing is signed.
      await ingest(raw, {
        rcpt_to: "scheduler@test.local",
        mail_from: "victim@acme.com",
        client_ip: "203.0.113.5",
      });
      const [e] = (await audit("scheduler", "?limit=1")).entries;
      assert.equal(e.outcome, "rejected_at_content_guard");
      assert.equal(e.action, "bounce_suppressed");
      await t.pb.drain();
      assert.equal(sink.received.length, sent);
    });
  });
});

describe(`MailPolicy when the session runs out of time (${dbLabel})`, () => {
  it("answers 250 past the budget and decides in the pipeline afterwards", async () => {
    // Nothing answers DNS here, so authentication takes its whole timeout, far past the session's budget.
    const silent = await startSilentDns();
    const t = await startTestServer({
      POSTBOX_DNS_SERVERS: silent.address,
      POSTBOX_SMTP_POLICY_TIMEOUT_MS: "200",
      POSTBOX_AUTH_TIMEOUT_MS: "1000",
    });
    const smtp = smtpClient(t.pb.smtpPort!);
    try {
      await t.client().mailboxes.create({ name: "scheduler" });
      await t.client().setPolicy("scheduler", scheduling);
      const info = await smtp.sendMail({
        envelope: { from: "boss@acme.com", to: ["scheduler@test.local"] },
        raw: rawMessage({ from: "boss@acme.com", to: "scheduler@test.local", subject: "Slow DNS" }),
      });
      assert.match(info.response, /^250 /);
      const msg = await eventually(async () => {
        await t.pb.drain();
        return (await t.client().messages.list("scheduler", { limit: 5 })).data.find(
          (m) => m.subject === "Slow DNS",
        );
      });
      assert.deepEqual(msg.policy, { outcome: "accepted", rule_index: 0, decided_in: "pipeline" });
      assert.equal(msg.sender_authentication?.verdict, "error");
      const entries = (await t.api("GET", "/v1/mailboxes/scheduler/audit")).body.entries;
      assert.equal(
        entries.length,
        1,
        "one evaluation, one entry: the abandoned session's work was rolled back",
      );
    } finally {
      smtp.close();
      await t.stop();
      await silent.close();
    }
  });
});
