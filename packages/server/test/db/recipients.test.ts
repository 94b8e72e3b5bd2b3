import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ForbiddenError, RateLimitError } from "@postbox/sdk";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

describe(`recipient controls: suppressions, allowlists, quotas (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;
  let agentKeyId: string;

  before(async () => {
    t = await startTestServer({ POSTBOX_ACCOUNT_DAILY_SEND_CAP: "1000" });
    for (const name of ["outbox", "guarded", "metered", "counted", "crowd"])
      await t.client().mailboxes.create({ name });
    const created = await t.client().apiKeys.create({
      role: "agent",
      mailbox_ids: ["outbox", "guarded", "metered", "counted", "crowd"],
    });
    agentKey = created.api_key;
    agentKeyId = created.id;
  });
  after(() => t.stop());

  const send = (from: string, to: string | string[], key = agentKey) =>
    t.api("POST", "/v1/messages/send", {
      key,
      body: { from_mailbox: from, to, subject: "Hi", body: "Hello" },
    });
  const events = async (type: string) =>
    (await t.api("GET", `/v1/events?types=${type}&limit=500`)).body.events as {
      event: string;
      data: Record<string, unknown>;
    }[];

  it("refuses sends to suppressed addresses and exact domains, and lets an admin lift them", async () => {
    assert.equal((await send("outbox", "gone@example.com")).status, 200);
    const added = await t.api("POST", "/v1/suppressions", {
      key: agentKey,
      body: { email: "Gone@Example.com", reason: "unsubscribe" },
    });
    assert.equal(added.status, 201, "an agent may add a suppression (an unsubscribe)");
    assert.equal(added.body.already_existed, false);
    const twice = await t.api("POST", "/v1/suppressions", {
      body: { email: "gone@example.com", reason: "unsubscribe" },
    });
    assert.deepEqual([twice.status, twice.body.already_existed], [200, true]);
    assert.equal((await t.api("POST", "/v1/suppressions", { body: { email: "@corp.example" } })).status, 201);

    const refused = await send("outbox", ["ok@example.com", "gone@example.com"]);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "RECIPIENT_SUPPRESSED");
    const { agent_instructions, ...details } = refused.body.details;
    assert.deepEqual(details, {
      email: "gone@example.com",
      entry: "gone@example.com",
      reason: "suppressed",
      suppression_reason: "unsubscribe",
    });
    assert.ok(
      agent_instructions.length > 0 && agent_instructions.every((x: unknown) => typeof x === "string"),
    );
    assert.match(agent_instructions[0], /Do not retry/);
    const byDomain = await send("outbox", "anyone@corp.example");
    assert.equal(byDomain.body.code, "RECIPIENT_SUPPRESSED");
    assert.equal(byDomain.body.details.entry, "@corp.example");
    assert.equal(
      (await send("outbox", "anyone@sub.corp.example")).status,
      200,
      "a bare domain does not cover subdomains",
    );

    const list = (await t.api("GET", "/v1/suppressions?reason=unsubscribe")).body.suppressions;
    assert.deepEqual(
      list.map((s: { email: string }) => s.email),
      ["gone@example.com"],
    );
    const agentDelete = await t.api("DELETE", "/v1/suppressions/gone@example.com", { key: agentKey });
    assert.equal(agentDelete.status, 403);
    const removed = await t.api("DELETE", "/v1/suppressions/gone@example.com");
    assert.equal(removed.status, 200);
    assert.deepEqual([removed.body.status, removed.body.email], ["deleted", "gone@example.com"]);
    assert.equal((await t.api("DELETE", "/v1/suppressions/gone@example.com")).status, 404);
    assert.equal((await send("outbox", "gone@example.com")).status, 200);
    assert.ok((await events("recipient_blocklist.added")).some((e) => e.data.email === "@corp.example"));
    // The former name still filters, and answers the events under the seed's name.
    const former = await events("suppression.added");
    assert.ok(former.some((e) => e.data.email === "@corp.example"));
    assert.ok(former.every((e) => e.event === "recipient_blocklist.added"));
  });

  it("adds in bulk with a per-entry account of what happened", async () => {
    const r = await t.api("POST", "/v1/suppressions/bulk", {
      body: {
        emails: [
          "a@bulk.example",
          "A@bulk.example",
          "not an address",
          "@",
          "b@bulk.example",
          "@corp.example",
        ],
      },
    });
    assert.equal(r.status, 200);
    // `added` holds the new rows as the list shows them; the rest are named.
    assert.deepEqual(
      r.body.added.map((a: { email: string; pattern_type: string; reason: string; source: string }) => [
        a.email,
        a.pattern_type,
        a.reason,
        a.source,
      ]),
      [
        ["a@bulk.example", "email", "manual", "customer"],
        ["b@bulk.example", "email", "manual", "customer"],
      ],
    );
    assert.equal(r.body.added[0].added_by_actor_type, "api_key");
    assert.equal(typeof r.body.added[0].added_by_actor_id, "string");
    assert.ok(Date.parse(r.body.added[0].created_at));
    assert.deepEqual(r.body.already_existed, ["@corp.example"]);
    assert.deepEqual(
      r.body.invalid.map((i: { email: string; reason: string }) => [i.email, i.reason]),
      [
        ["not an address", "invalid_format"],
        ["@", "invalid_format"],
      ],
    );
    assert.deepEqual(r.body.counts, { added: 2, already_existed: 1, invalid: 2, total: 5 });
    const bad = await t.api("POST", "/v1/suppressions", { body: { email: "nope" } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "INVALID_EMAIL");
    assert.equal(bad.body.details.reason, "invalid_format");
    assert.match(bad.body.error, /not an email address/);
    const listed = (await t.api("GET", "/v1/suppressions?limit=500")).body.suppressions.find(
      (x: { email: string }) => x.email === "@corp.example",
    );
    assert.equal(listed.pattern_type, "domain");
    assert.equal(listed.added_by_actor_type, "api_key");
    assert.equal((await t.api("DELETE", "/v1/suppressions/not%20an%20address")).body.code, "INVALID_EMAIL");
  });

  it("lets only admin keys add domain suppressions, which block every mailbox of the account", async () => {
    const one = await t.api("POST", "/v1/suppressions", { key: agentKey, body: { email: "@Gmail.example" } });
    assert.equal(one.status, 403);
    assert.equal(one.body.code, "DOMAIN_SUPPRESSION_ADMIN_ONLY");
    assert.deepEqual(one.body.details.entries, ["@gmail.example"]);
    assert.match(one.body.error, /exact address/);

    // The bulk route refuses the whole request and adds nothing, not even the exact addresses in it.
    const bulk = await t.api("POST", "/v1/suppressions/bulk", {
      key: agentKey,
      body: { emails: ["x@scope.example", "@gmail.example", "oops", "@scope.example"] },
    });
    assert.equal(bulk.status, 403);
    assert.equal(bulk.body.code, "DOMAIN_SUPPRESSION_ADMIN_ONLY");
    assert.deepEqual(bulk.body.details.entries, ["@gmail.example", "@scope.example"]);
    const listed = (await t.api("GET", "/v1/suppressions?limit=500")).body.suppressions.map(
      (s: { email: string }) => s.email,
    );
    for (const e of ["x@scope.example", "@gmail.example", "@scope.example"])
      assert.ok(!listed.includes(e), e);
    assert.equal((await send("outbox", "friend@gmail.example")).status, 200, "nothing was suppressed");

    // Exact addresses from an agent still work, one by one and in bulk.
    const exact = await t.api("POST", "/v1/suppressions/bulk", {
      key: agentKey,
      body: { emails: ["x@scope.example", "oops"] },
    });
    assert.equal(exact.status, 200);
    assert.deepEqual(
      exact.body.added.map((a: { email: string }) => a.email),
      ["x@scope.example"],
    );
    assert.deepEqual(exact.body.counts, { added: 1, already_existed: 0, invalid: 1, total: 2 });

    // An admin key may add the domain, in either route.
    assert.equal(
      (await t.api("POST", "/v1/suppressions", { body: { email: "@gmail.example" } })).status,
      201,
    );
    const adminBulk = await t.api("POST", "/v1/suppressions/bulk", { body: { emails: ["@scope.example"] } });
    assert.deepEqual(
      adminBulk.body.added.map((a: { email: string }) => a.email),
      ["@scope.example"],
    );
    assert.equal((await send("outbox", "friend@gmail.example")).body.code, "RECIPIENT_SUPPRESSED");
    for (const e of ["@gmail.example", "@scope.example", "x@scope.example"])
      assert.equal((await t.api("DELETE", `/v1/suppressions/${e}`)).status, 200);
  });

  it("keeps suppression lists per account", async () => {
    const other = await t.client().accounts.create({ name: "recipients-tenant" });
    await t.api("POST", "/v1/mailboxes", { key: other.admin_key, body: { name: "theirs" } });
    assert.deepEqual(
      (await t.api("GET", "/v1/suppressions", { key: other.admin_key })).body.suppressions,
      [],
    );
    const theirs = await send("theirs", "anyone@corp.example", other.admin_key);
    assert.equal(theirs.status, 200, "our suppression does not bind them");
    assert.equal(
      (await t.api("DELETE", "/v1/suppressions/@corp.example", { key: other.admin_key })).status,
      404,
    );
  });

  it("switches a mailbox to allowlist mode only with entries, and lets only admins change the list", async () => {
    const empty = await t.api("PATCH", "/v1/mailboxes/guarded/recipient-policy", {
      body: { mode: "allowlist" },
    });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.code, "ALLOWLIST_EMPTY");
    const agentAdd = await t.api("POST", "/v1/mailboxes/guarded/allowlist", {
      key: agentKey,
      body: { email: "x@example.com" },
    });
    assert.equal(agentAdd.status, 403);
    assert.equal(agentAdd.body.code, "INSUFFICIENT_SCOPE");
    assert.equal(
      (
        await t.api("PATCH", "/v1/mailboxes/guarded/recipient-policy", {
          key: agentKey,
          body: { mode: "blocklist" },
        })
      ).status,
      403,
    );
    const bulk = await t.api("POST", "/v1/mailboxes/guarded/allowlist/bulk", {
      body: { emails: ["ann@example.com", "@partner.example", "bad", "ann@example.com"] },
    });
    assert.deepEqual(bulk.body.counts, { added: 2, already_existed: 0, invalid: 1, total: 3 });
    const on = await t.api("PATCH", "/v1/mailboxes/guarded/recipient-policy", {
      body: { mode: "allowlist" },
    });
    assert.deepEqual(on.body, { mode: "allowlist", allowlist_size: 2 });
    const seen = await t.api("GET", "/v1/mailboxes/guarded/allowlist", { key: agentKey });
    assert.equal(seen.body.mode, "allowlist");
    assert.deepEqual(
      seen.body.allowlist.map((e: { email: string }) => e.email),
      ["@partner.example", "ann@example.com"],
    );
    const changed = await events("mailbox.recipient_policy_changed");
    assert.deepEqual(changed.at(-1)!.data.mode, "allowlist");
    assert.ok((await events("recipient_allowlist.added")).length >= 1);
  });

  it("refuses off-list sends, records every attempt, and emits one event a minute per recipient", async () => {
    assert.equal((await send("guarded", "ann@example.com")).status, 200);
    assert.equal(
      (await send("guarded", "bob@partner.example")).status,
      200,
      "a domain entry covers its addresses",
    );
    const before = (await events("recipient_allowlist.blocked_attempt")).length;
    for (let i = 0; i < 3; i++) {
      const r = await send("guarded", ["ann@example.com", "stranger@example.org"]);
      assert.equal(r.status, 403);
      assert.equal(r.body.code, "RECIPIENT_NOT_ON_ALLOWLIST");
      assert.deepEqual(r.body.details.emails, ["stranger@example.org"]);
    }
    await assert.rejects(
      t
        .client(agentKey)
        .messages.send({ from_mailbox: "guarded", to: "other@example.org", subject: "x", body: "y" }),
      (e: unknown) => e instanceof ForbiddenError && e.code === "RECIPIENT_NOT_ON_ALLOWLIST",
    );
    const after = await events("recipient_allowlist.blocked_attempt");
    assert.equal(after.length - before, 2, "one event for stranger@, one for other@ — not one per attempt");
    // By default the log is grouped by recipient and key, the most frequent first, as the seed's clients read it.
    const agg = (await t.api("GET", "/v1/mailboxes/guarded/allowlist/blocked-attempts", { key: agentKey }))
      .body;
    assert.equal(agg.next_cursor, null);
    const top = agg.attempts[0];
    assert.deepEqual(
      [top.recipient, top.count, top.actor_type, top.actor_id],
      ["stranger@example.org", 3, "api_key", agentKeyId],
    );
    assert.ok(Date.parse(top.last_attempted_at) >= Date.parse(top.first_attempted_at));
    // One by one, newest first, paged.
    const first = (
      await t.api("GET", "/v1/mailboxes/guarded/allowlist/blocked-attempts?aggregate=false&limit=2", {
        key: agentKey,
      })
    ).body;
    assert.equal(first.attempts.length, 2);
    assert.deepEqual(
      [first.attempts[0].recipient, first.attempts[0].origin, first.attempts[0].actor_id],
      ["other@example.org", "send", agentKeyId],
    );
    assert.ok(first.next_cursor);
    const rest = (
      await t.api(
        "GET",
        `/v1/mailboxes/guarded/allowlist/blocked-attempts?aggregate=false&within_days=1&cursor=${first.next_cursor}`,
      )
    ).body;
    assert.deepEqual(
      [...first.attempts, ...rest.attempts].map((a: { recipient: string }) => a.recipient),
      ["other@example.org", "stranger@example.org", "stranger@example.org", "stranger@example.org"],
    );
    assert.equal(rest.next_cursor, null);
    for (const bad of ["within_days=0", "within_days=366", "aggregate=false&cursor=abc", "limit=501"])
      assert.equal(
        (await t.api("GET", `/v1/mailboxes/guarded/allowlist/blocked-attempts?${bad}`)).status,
        400,
        bad,
      );
  });

  it("checks suppression before the allowlist", async () => {
    await t.api("POST", "/v1/suppressions", { body: { email: "ann@example.com", reason: "hard_bounce" } });
    const r = await send("guarded", "ann@example.com");
    assert.equal(r.body.code, "RECIPIENT_SUPPRESSED");
    assert.equal(r.body.details.reason, "suppressed");
    assert.equal(r.body.details.suppression_reason, "hard_bounce");
    await t.api("DELETE", "/v1/suppressions/ann@example.com");
  });

  it("will not drop the last allowlist entry in allowlist mode unless forced", async () => {
    assert.equal((await t.api("DELETE", "/v1/mailboxes/guarded/allowlist/@partner.example")).status, 200);
    const last = await t.api("DELETE", "/v1/mailboxes/guarded/allowlist/ann@example.com");
    assert.equal(last.status, 409);
    assert.equal(last.body.code, "ALLOWLIST_LAST_ENTRY");
    const forced = await t.api("DELETE", "/v1/mailboxes/guarded/allowlist/ann@example.com?force_empty=true");
    assert.equal(forced.status, 200);
    assert.equal(forced.body.email, "ann@example.com");
    assert.equal(forced.body.status, "deleted");
    assert.equal((await send("guarded", "ann@example.com")).body.code, "RECIPIENT_NOT_ON_ALLOWLIST");
    assert.ok((await events("recipient_allowlist.removed")).some((e) => e.data.email === "ann@example.com"));
  });

  it("enforces per-mailbox quota windows with 429, Retry-After and what is left", async () => {
    const bad = await t.api("PATCH", "/v1/mailboxes/metered", {
      body: { send_quotas: [{ window_seconds: 10, limit: 1 }] },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /window_seconds must be an integer from 60/);
    const set = await t.api("PATCH", "/v1/mailboxes/metered", {
      body: {
        send_quotas: [
          { window_seconds: 3600, limit: 2 },
          { window_seconds: 86400, limit: 100 },
        ],
      },
    });
    assert.equal(set.status, 200);
    const first = await send("metered", "q@example.com");
    assert.equal(first.body.sends_remaining, 1);
    const second = await send("metered", "q@example.com");
    assert.equal(second.body.sends_remaining, 0);
    const third = await send("metered", "q@example.com");
    assert.equal(third.status, 429);
    assert.equal(third.body.code, "RATE_LIMITED");
    assert.equal(third.body.details.limit, 2);
    assert.equal(third.body.details.remaining, 0);
    assert.equal(third.body.details.window_seconds, 3600);
    const reset = Date.parse(third.body.details.reset_at);
    assert.equal(reset % 3_600_000, 0, "fixed windows reset on the hour");
    const retryAfter = Number(third.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
    await assert.rejects(
      t
        .client(agentKey)
        .messages.send({ from_mailbox: "metered", to: "q@example.com", subject: "x", body: "y" }),
      (e: unknown) => e instanceof RateLimitError && e.retryAfter !== null,
    );
    const q = (await t.api("GET", "/v1/accounts/quota", { key: agentKey })).body;
    const metered = q.mailboxes.find((m: { name: string }) => m.name === "metered");
    assert.deepEqual(
      metered.windows.map((w: { used: number; remaining: number }) => [w.used, w.remaining]),
      [
        [2, 0],
        [2, 98],
      ],
      "refused sends are not counted",
    );
    assert.equal(q.account.daily.limit, 1000);
    assert.ok(q.account.daily.used >= 2);
    const others = await t.api("GET", "/v1/accounts/quota", {
      key: (await t.client().accounts.create({ name: "q2" })).admin_key,
    });
    assert.deepEqual(others.body.mailboxes, []);
  });

  it("counts recipients, not messages, against quotas", async () => {
    await t.api("PATCH", "/v1/mailboxes/counted", {
      body: { send_quotas: [{ window_seconds: 3600, limit: 5 }] },
    });
    const three = (n: string) => [`${n}1@example.com`, `${n}2@example.com`, `${n}3@example.com`];
    const first = await send("counted", three("a"));
    assert.equal(first.status, 200);
    assert.equal(first.body.sends_remaining, 2, "a send to three uses three");
    const over = await send("counted", three("b"));
    assert.equal(over.status, 429);
    assert.equal(over.body.code, "RATE_LIMITED");
    assert.deepEqual([over.body.details.remaining, over.body.details.recipients], [2, 3]);
    assert.match(over.body.error, /has 2 left, fewer than this send's 3/);
    const two = await send("counted", ["c1@example.com", "c2@example.com"]);
    assert.equal(two.body.sends_remaining, 0, "the refused send used nothing");
    // Repeats of one address count once.
    await t.api("PATCH", "/v1/mailboxes/counted", { body: { send_quotas: [] } });
    const single = await send("counted", "d@example.com");
    const dup = await t.api("POST", "/v1/messages/send", {
      key: agentKey,
      body: { from_mailbox: "counted", to: "d@example.com", cc: "D@example.com", subject: "s", body: "b" },
    });
    assert.equal(dup.body.sends_remaining, single.body.sends_remaining - 1);
  });

  it("holds every send path to 50 recipients: send, reply, reply-all and drafts", async () => {
    const many = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}@example.com`);
    const send60 = await t.api("POST", "/v1/messages/send", {
      key: agentKey,
      body: { from_mailbox: "crowd", to: many(30, "t"), cc: many(30, "c"), subject: "s", body: "b" },
    });
    assert.equal(send60.status, 400);
    assert.equal(send60.body.code, "TOO_MANY_RECIPIENTS");
    assert.deepEqual([send60.body.details.recipients, send60.body.details.limit], [60, 50]);
    const draft = await t.api("POST", "/v1/drafts", {
      key: agentKey,
      body: { from_mailbox: "crowd", to: many(30, "t"), bcc: many(21, "b") },
    });
    assert.equal(draft.body.code, "TOO_MANY_RECIPIENTS");
    // A message addressed to 80 people, with 60 more in Reply-To.
    const raw = [
      "From: Ann <ann@example.com>",
      `To: crowd@test.local, ${many(40, "to").join(",\r\n ")}`,
      `Cc: ${many(40, "cc").join(",\r\n ")}`,
      `Reply-To: ${many(60, "rt").join(",\r\n ")}`,
      "Subject: Party",
      "Message-ID: <party@example.com>",
      "",
      "Everyone come.",
      "",
    ].join("\r\n");
    const ing = await t.api("POST", "/v1/ingest?rcpt_to=crowd@test.local", {
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(ing.status, 202);
    await t.pb.drain();
    const id = ing.body.accepted[0].message_id;
    const reply = (body: Record<string, unknown>) =>
      t.api("POST", `/v1/messages/${id}/reply`, { key: agentKey, body: { body: "ok", ...body } });
    const all = await reply({ reply_all: true });
    assert.equal(all.status, 400);
    assert.equal(all.body.code, "TOO_MANY_RECIPIENTS");
    assert.match(all.body.error, /reply without reply_all/);
    assert.equal(all.body.details.recipients, 140);
    // Reply-To alone is over the cap too: a reply cannot be turned into a mass mailing either.
    assert.equal((await reply({})).body.code, "TOO_MANY_RECIPIENTS");
    const [n] = await t.pb.db.query<{ n: number }>(
      "select count(*)::int as n from messages m join mailboxes b on b.id = m.mailbox_id where b.name = 'crowd' and m.direction = 'outbound'",
    );
    assert.equal(n!.n, 0, "nothing was sent");
  });
});

describe(`the account-wide daily cap (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ POSTBOX_ACCOUNT_DAILY_SEND_CAP: "3" });
    await t.client().mailboxes.create({ name: "one" });
    await t.client().mailboxes.create({ name: "two" });
  });
  after(() => t.stop());

  it("counts every recipient of every mailbox of the account together", async () => {
    const send = (from: string, to: string[]) =>
      t.api("POST", "/v1/messages/send", {
        body: { from_mailbox: from, to, subject: "s", body: "b" },
      });
    const first = await send("one", ["c@example.com", "d@example.com"]);
    assert.equal(first.status, 200);
    assert.equal(first.body.sends_remaining, 1);
    const tooMany = await send("two", ["c@example.com", "d@example.com"]);
    assert.equal(tooMany.status, 429);
    assert.deepEqual([tooMany.body.details.scope, tooMany.body.details.remaining], ["account", 1]);
    const third = await send("two", ["c@example.com"]);
    assert.equal(third.body.sends_remaining, 0);
    const fourth = await send("one", ["c@example.com"]);
    assert.equal(fourth.status, 429);
    assert.equal(fourth.body.details.scope, "account");
    assert.equal(fourth.body.details.window_seconds, 86400);
  });
});
