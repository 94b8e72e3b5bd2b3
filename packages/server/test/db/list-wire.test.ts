import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

/**
 * The address lists as the seed's clients send and read them: the inbound sender allowlist (routes over the same
 * rows as the mailbox setting), the inbound blocklist's bulk add, blocked attempts of the inbound firewall, who may
 * change what, and accounts kept apart.
 */
describe(`inbound allowlist, inbound blocklist and their blocked attempts on the seed's wire (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;
  let other: { admin_key: string };

  before(async () => {
    t = await startTestServer();
    for (const name of ["gated", "openbox", "spare"]) await t.client().mailboxes.create({ name });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["gated", "openbox"] }))
      .api_key;
    other = await t.client().accounts.create({ name: "lists-tenant" });
    await t.api("POST", "/v1/mailboxes", { key: other.admin_key, body: { name: "elsewhere" } });
  });
  after(() => t.stop());

  async function ingest(mailbox: string, from: string, mailFrom = from) {
    const res = await t.api(
      "POST",
      `/v1/ingest?rcpt_to=${mailbox}@test.local&mail_from=${encodeURIComponent(mailFrom)}`,
      {
        raw: rawMessage({ from, to: `${mailbox}@test.local` }),
        headers: { "content-type": "message/rfc822" },
      },
    );
    assert.equal(res.status, 202);
    await t.pb.drain();
    const id = res.body.accepted[0].message_id as string;
    return { id, state: (await t.api("GET", `/v1/messages/${id}`)).body.state as string };
  }
  const path = (mb: string, rest = "") => `/v1/mailboxes/${mb}/inbound-allowlist${rest}`;

  it("adds, lists, pages and removes inbound allowlist entries, with the rows the seed's clients print", async () => {
    const empty = await t.api("GET", path("gated"));
    assert.deepEqual(empty.body, { mode: "blocklist", allowlist: [], has_more: false, next_cursor: null });

    const one = await t.api("POST", path("gated"), { body: { email: "Boss@Corp.example" } });
    assert.equal(one.status, 201);
    assert.equal(one.body.email, "boss@corp.example", "stored lower-cased");
    assert.equal(one.body.pattern_type, "email");
    assert.equal(one.body.already_existed, false);
    assert.equal(one.body.source, "customer");
    assert.equal(one.body.added_by_actor_type, "api_key");
    assert.ok(one.body.mailbox_id && Date.parse(one.body.created_at));
    const again = await t.api("POST", path("gated"), { body: { email: "boss@corp.example" } });
    assert.deepEqual(
      [again.status, again.body.already_existed, again.body.created_at],
      [200, true, one.body.created_at],
    );

    const bulk = await t.api("POST", path("gated", "/bulk"), {
      body: { emails: ["@partner.example", "boss@corp.example", "x@@y", "a@team.example", "A@team.example"] },
    });
    assert.equal(bulk.status, 200);
    assert.deepEqual(
      bulk.body.added.map((a: { email: string; pattern_type: string }) => [a.email, a.pattern_type]),
      [
        ["@partner.example", "domain"],
        ["a@team.example", "email"],
      ],
    );
    assert.deepEqual(bulk.body.already_existed, ["boss@corp.example"]);
    assert.deepEqual(bulk.body.invalid, [
      { email: "x@@y", reason: "invalid_format", detail: bulk.body.invalid[0].detail },
    ]);
    assert.deepEqual(bulk.body.counts, { added: 2, already_existed: 1, invalid: 1, total: 4 });

    // Entries are inert until the sender policy is allowlist (the seed's sender_policy_mode).
    assert.equal((await t.api("GET", path("gated"))).body.mode, "blocklist");
    const switched = await t.api("PATCH", "/v1/mailboxes/gated/sender-policy", {
      body: { mode: "allowlist" },
    });
    assert.equal(switched.body.sender_policy_mode, "allowlist");
    const first = await t.api("GET", path("gated", "?limit=2"));
    assert.equal(first.body.mode, "allowlist");
    assert.deepEqual(
      first.body.allowlist.map((e: { email: string }) => e.email),
      ["@partner.example", "a@team.example"],
    );
    assert.equal(first.body.has_more, true);
    const second = await t.api(
      "GET",
      path("gated", `?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`),
    );
    assert.deepEqual(
      second.body.allowlist.map((e: { email: string }) => e.email),
      ["boss@corp.example"],
    );
    assert.equal(second.body.next_cursor, null);

    const removed = await t.api("DELETE", path("gated", "/a@team.example"));
    assert.deepEqual(
      [removed.status, removed.body.deleted, removed.body.email],
      [200, true, "a@team.example"],
    );
    assert.equal((await t.api("DELETE", path("gated", "/a@team.example"))).status, 404);
  });

  it("lets only listed senders through, and records each stopped message as a blocked attempt", async () => {
    assert.equal((await ingest("gated", "boss@corp.example")).state, "available");
    assert.equal((await ingest("gated", "ann@partner.example")).state, "available");
    const stopped = [
      await ingest("gated", "eve@else.example"),
      await ingest("gated", "eve@else.example", "bounce@else.example"),
      await ingest("gated", "mallory@else.example"),
    ];
    for (const s of stopped) assert.equal(s.state, "blocked");
    assert.equal(
      (await ingest("openbox", "eve@else.example")).state,
      "available",
      "other mailboxes unaffected",
    );

    const agg = (await t.api("GET", path("gated", "/blocked-attempts"))).body;
    assert.equal(agg.next_cursor, null);
    assert.deepEqual(
      agg.attempts.map((a: Record<string, unknown>) => [
        a.sender,
        a.count,
        a.reason_code,
        a.mode,
        a.matched_list,
      ]),
      [
        ["eve@else.example", 2, "SENDER_NOT_ON_ALLOWLIST", "allowlist", "mailbox_allowlist"],
        ["mallory@else.example", 1, "SENDER_NOT_ON_ALLOWLIST", "allowlist", "mailbox_allowlist"],
      ],
    );
    assert.ok(Date.parse(agg.attempts[0].last_attempted_at));

    const raw = (await t.api("GET", path("gated", "/blocked-attempts?aggregate=false&limit=2"))).body;
    assert.deepEqual(
      raw.attempts.map((a: Record<string, unknown>) => [a.message_id, a.from_address, a.envelope_sender]),
      [
        [stopped[2]!.id, "mallory@else.example", "mallory@else.example"],
        [stopped[1]!.id, "eve@else.example", "bounce@else.example"],
      ],
    );
    assert.ok(raw.next_cursor);
    const rest = (
      await t.api(
        "GET",
        path("gated", `/blocked-attempts?aggregate=false&within_days=30&cursor=${raw.next_cursor}`),
      )
    ).body;
    assert.deepEqual(
      rest.attempts.map((a: { message_id: string }) => a.message_id),
      [stopped[0]!.id],
    );
    assert.equal(rest.next_cursor, null);
    assert.ok(Date.parse(rest.attempts[0].attempted_at));
    for (const bad of ["within_days=0", "within_days=400", "aggregate=false&cursor=-1", "aggregate=maybe"])
      assert.equal((await t.api("GET", path("gated", `/blocked-attempts?${bad}`))).status, 400, bad);
  });

  it("records the account blocklist's blocks too, and adds blocklist entries in bulk", async () => {
    const single = await t.api("POST", "/v1/inbound-blocklist", { body: { email: "Spam@Junk.example" } });
    assert.equal(single.status, 201);
    assert.deepEqual(
      [
        single.body.email,
        single.body.pattern_type,
        single.body.reason,
        single.body.source,
        single.body.already_existed,
      ],
      ["spam@junk.example", "email", "manual", "customer", false],
    );
    const twice = await t.api("POST", "/v1/inbound-blocklist", { body: { email: "spam@junk.example" } });
    assert.deepEqual([twice.status, twice.body.already_existed], [200, true]);

    const bulk = await t.api("POST", "/v1/inbound-blocklist/bulk", {
      body: { emails: ["@junk.example", "spam@junk.example", "not-an-address", "@junk.example"] },
    });
    assert.equal(bulk.status, 200);
    assert.deepEqual(
      bulk.body.added.map((a: { email: string; pattern_type: string; added_by_actor_type: string }) => [
        a.email,
        a.pattern_type,
        a.added_by_actor_type,
      ]),
      [["@junk.example", "domain", "api_key"]],
    );
    assert.deepEqual(bulk.body.already_existed, ["spam@junk.example"]);
    assert.deepEqual(
      bulk.body.invalid.map((i: { reason: string }) => i.reason),
      ["invalid_format"],
    );
    assert.deepEqual(bulk.body.counts, { added: 1, already_existed: 1, invalid: 1, total: 3 });

    const page1 = (await t.api("GET", "/v1/inbound-blocklist?limit=1")).body;
    assert.deepEqual(
      [page1.blocklist.length, page1.blocklist[0].email, page1.has_more],
      [1, "@junk.example", true],
    );
    const page2 = (
      await t.api("GET", `/v1/inbound-blocklist?limit=1&cursor=${encodeURIComponent(page1.next_cursor)}`)
    ).body;
    assert.deepEqual(
      page2.blocklist.map((e: { email: string }) => e.email),
      ["spam@junk.example"],
    );

    const blocked = await ingest("openbox", "offers@junk.example");
    assert.equal(blocked.state, "blocked");
    const [attempt] = (await t.api("GET", path("openbox", "/blocked-attempts?aggregate=false"))).body
      .attempts;
    assert.deepEqual(
      [attempt.message_id, attempt.reason_code, attempt.matched_list, attempt.matched_pattern, attempt.mode],
      [blocked.id, "SENDER_BLOCKED", "account_blocklist", "@junk.example", "blocklist"],
    );

    const bad = await t.api("POST", "/v1/inbound-blocklist", { body: { email: "nope" } });
    assert.deepEqual(
      [bad.status, bad.body.code, bad.body.details.reason],
      [400, "INVALID_EMAIL", "invalid_format"],
    );
    for (const e of ["@junk.example", "spam@junk.example"])
      assert.equal((await t.api("DELETE", `/v1/inbound-blocklist/${e}`)).status, 200);
  });

  it("refuses to remove the last entry while the sender allowlist is in force, unless forced", async () => {
    await t.api("DELETE", path("gated", "/@partner.example"));
    const last = await t.api("DELETE", path("gated", "/boss@corp.example"));
    assert.equal(last.status, 409);
    assert.equal(last.body.code, "ALLOWLIST_LAST_ENTRY");
    assert.equal((await t.api("GET", path("gated"))).body.allowlist.length, 1, "nothing removed");
    const forced = await t.api("DELETE", path("gated", "/boss@corp.example?force_empty=true"));
    assert.equal(forced.status, 200);
    // Still allowlist mode, with no one on the list: everyone is blocked until entries are added.
    assert.equal((await t.api("GET", path("gated"))).body.mode, "allowlist");
    assert.equal(
      (await ingest("gated", "boss@corp.example")).state,
      "blocked",
      "an empty allowlist lets no one in",
    );
    await t.api("PATCH", "/v1/mailboxes/gated/sender-policy", { body: { mode: "blocklist" } });
    assert.equal(
      (await ingest("gated", "eve@else.example")).state,
      "available",
      "blocklist mode lets everyone in",
    );
  });

  it("keeps the mailbox setting and the routes one list", async () => {
    const set = await t.api("PATCH", "/v1/mailboxes/spare", {
      body: { inbound_sender_allowlist: ["@a.example", "B@b.example", "@a.example"] },
    });
    assert.equal(set.status, 200);
    assert.equal(set.body.inbound_sender_allowlist, undefined, "read it from the inbound-allowlist route");
    assert.deepEqual(
      (await t.api("GET", path("spare"))).body.allowlist.map((e: { email: string }) => e.email),
      ["@a.example", "b@b.example"],
    );
    await t.api("POST", path("spare"), { body: { email: "c@c.example" } });
    await t.api("PATCH", "/v1/mailboxes/spare", {
      body: { inbound_sender_allowlist: ["c@c.example", "d@d.example"] },
    });
    assert.deepEqual(
      (await t.api("GET", path("spare"))).body.allowlist.map((e: { email: string }) => e.email),
      ["c@c.example", "d@d.example"],
    );
    const bad = await t.api("PATCH", "/v1/mailboxes/spare", {
      body: { inbound_sender_allowlist: ["ok@x.example", "nope"] },
    });
    assert.deepEqual([bad.status, bad.body.code], [400, "INVALID_EMAIL"]);
    assert.equal(
      (await t.api("GET", path("spare"))).body.allowlist.length,
      2,
      "a refused PATCH changes nothing",
    );
    await t.api("PATCH", "/v1/mailboxes/spare", { body: { inbound_sender_allowlist: [] } });
    assert.deepEqual((await t.api("GET", path("spare"))).body.allowlist, []);
  });

  it("lets agent keys read the lists of their mailboxes and change none", async () => {
    await t.api("POST", path("gated"), { body: { email: "boss@corp.example" } });
    const read = await t.api("GET", path("gated"), { key: agentKey });
    assert.equal(read.status, 200);
    assert.deepEqual(
      read.body.allowlist.map((e: { email: string }) => e.email),
      ["boss@corp.example"],
    );
    assert.equal((await t.api("GET", "/v1/mailboxes/gated/allowlist", { key: agentKey })).status, 200);
    const tries: [string, string, unknown?][] = [
      ["POST", path("gated"), { email: "me@attacker.example" }],
      ["POST", path("gated", "/bulk"), { emails: ["me@attacker.example"] }],
      ["DELETE", path("gated", "/boss@corp.example?force_empty=true")],
      ["POST", "/v1/mailboxes/gated/allowlist", { email: "victim@example.com" }],
      ["POST", "/v1/mailboxes/gated/allowlist/bulk", { emails: ["victim@example.com"] }],
      ["DELETE", "/v1/mailboxes/gated/allowlist/victim@example.com"],
      ["PATCH", "/v1/mailboxes/gated/recipient-policy", { mode: "blocklist" }],
      ["POST", "/v1/inbound-blocklist/bulk", { emails: ["x@example.com"] }],
      ["GET", path("gated", "/blocked-attempts")],
    ];
    for (const [method, p, body] of tries) {
      const r = await t.api(method, p, { key: agentKey, body });
      assert.equal(r.status, 403, `${method} ${p}`);
      assert.equal(r.body.code, "INSUFFICIENT_SCOPE", `${method} ${p}`);
      assert.ok(r.body.details.agent_instructions.length > 0, "agent-facing refusals say what to do");
    }
    assert.equal((await t.api("GET", path("spare"), { key: agentKey })).status, 403, "not its mailbox");
    assert.deepEqual(
      (await t.api("GET", path("gated"))).body.allowlist.map((e: { email: string }) => e.email),
      ["boss@corp.example"],
      "nothing changed",
    );
  });

  it("keeps accounts apart, both ways", async () => {
    const theirs = other.admin_key;
    // They cannot reach our mailboxes' lists…
    for (const [method, p, body] of [
      ["GET", path("gated")],
      ["POST", path("gated"), { email: "x@example.com" }],
      ["POST", path("gated", "/bulk"), { emails: ["x@example.com"] }],
      ["DELETE", path("gated", "/boss@corp.example?force_empty=true")],
      ["GET", path("gated", "/blocked-attempts")],
      ["GET", "/v1/mailboxes/gated/allowlist/blocked-attempts"],
    ] as [string, string, unknown?][]) {
      const r = await t.api(method, p, { key: theirs, body });
      assert.equal(r.status, 404, `${method} ${p}`);
    }
    // …and we cannot reach theirs.
    await t.api("POST", path("elsewhere"), { key: theirs, body: { email: "friend@example.com" } });
    await t.api("POST", "/v1/inbound-blocklist/bulk", { key: theirs, body: { emails: ["@theirs.example"] } });
    await t.api("POST", "/v1/suppressions/bulk", { key: theirs, body: { emails: ["@theirs.example"] } });
    assert.equal((await t.api("GET", path("elsewhere"))).status, 404);
    assert.equal((await t.api("POST", path("elsewhere"), { body: { email: "y@example.com" } })).status, 404);
    const ourBlocklist = (await t.api("GET", "/v1/inbound-blocklist?limit=500")).body.blocklist;
    assert.ok(!ourBlocklist.some((e: { email: string }) => e.email === "@theirs.example"));
    const ourSuppressions = (await t.api("GET", "/v1/suppressions?limit=500")).body.suppressions;
    assert.ok(!ourSuppressions.some((e: { email: string }) => e.email === "@theirs.example"));
    assert.equal((await t.api("DELETE", "/v1/inbound-blocklist/@theirs.example")).status, 404);
    // Their blocklist does not stop mail to us.
    assert.equal((await ingest("openbox", "hello@theirs.example")).state, "available");
    assert.deepEqual(
      (await t.api("GET", path("elsewhere"), { key: theirs })).body.allowlist.map(
        (e: { email: string }) => e.email,
      ),
      ["friend@example.com"],
    );
  });

  it("is what the SDK reads and writes", async () => {
    const pb = t.client();
    const added = await pb.inboundAllowlist.add("spare", "Sdk@Example.com");
    assert.deepEqual(
      [added.email, added.already_existed, added.pattern_type],
      ["sdk@example.com", false, "email"],
    );
    const bulk = await pb.inboundAllowlist.addBulk("spare", ["@sdk.example", "sdk@example.com", "bad@@x"]);
    assert.deepEqual(
      [bulk.added.map((a) => a.email), bulk.already_existed, bulk.counts.invalid],
      [["@sdk.example"], ["sdk@example.com"], 1],
    );
    assert.equal((await pb.mailboxes.setSenderPolicy("spare", "allowlist")).previous_mode, "blocklist");
    const listed = await pb.inboundAllowlist.list("spare");
    assert.deepEqual(
      [listed.mode, listed.data.map((e) => e.email)],
      ["allowlist", ["@sdk.example", "sdk@example.com"]],
    );
    await pb.inboundAllowlist.remove("spare", "@sdk.example");
    const removed = await pb.inboundAllowlist.remove("spare", "sdk@example.com", { forceEmpty: true });
    assert.equal(removed.email, "sdk@example.com");
    const groups = await pb.inboundAllowlist.blockedAttempts("openbox", { within_days: 30 });
    assert.deepEqual(
      groups.map((g) => [g.sender, g.reason_code, g.count]),
      [["offers@junk.example", "SENDER_BLOCKED", 1]],
    );
    const log = await pb.inboundAllowlist.blockedAttemptLog("openbox", { limit: 1 });
    assert.equal(log.data.length, 1);
    assert.equal(log.data[0]!.reason_code, "SENDER_BLOCKED");

    const many = Array.from({ length: 620 }, (_, i) => `bulk${String(i).padStart(3, "0")}@sdk.example`);
    const blocked = await pb.blocklist.addBulk(many);
    assert.equal(blocked.counts.added, 620);
    const all = await pb.blocklist.list();
    assert.ok(all.length >= 620, "the SDK follows the pages");
    assert.equal(new Set(all.map((e) => e.email)).size, all.length);
    const sup = await pb.suppressions.add("sdk-gone@example.com");
    assert.deepEqual(
      [sup.email, sup.already_existed, sup.source],
      ["sdk-gone@example.com", false, "customer"],
    );
    assert.equal((await pb.suppressions.remove("sdk-gone@example.com")).deleted, true);
  });

  it("refuses bad input with 400, never a 500", async () => {
    const cases: [string, string, unknown?][] = [
      ["POST", path("gated"), { email: "" }],
      ["POST", path("gated"), { email: "a@b@c" }],
      ["POST", path("gated"), { email: "ok@example.com", extra: 1 }],
      ["POST", path("gated"), {}],
      ["POST", path("gated", "/bulk"), { emails: [] }],
      [
        "POST",
        path("gated", "/bulk"),
        { emails: Array.from({ length: 1001 }, (_, i) => `u${i}@example.com`) },
      ],
      ["POST", path("gated", "/bulk"), { emails: "a@example.com" }],
      ["DELETE", path("gated", "/not%20an%20address")],
      ["GET", path("gated", "?limit=0")],
      ["GET", path("gated", "?limit=501")],
      ["POST", "/v1/inbound-blocklist/bulk", { emails: [] }],
      ["POST", "/v1/suppressions/bulk", { emails: [42] }],
    ];
    for (const [method, p, body] of cases) {
      const r = await t.api(method, p, { body });
      assert.equal(r.status, 400, `${method} ${p} ${JSON.stringify(body)?.slice(0, 60)}`);
    }
    const invalid = await t.api("POST", path("gated"), { body: { email: "a@b@c" } });
    assert.equal(invalid.body.code, "INVALID_EMAIL");
    assert.equal((await t.api("GET", path("no-such-mailbox"))).status, 404);
  });
});
