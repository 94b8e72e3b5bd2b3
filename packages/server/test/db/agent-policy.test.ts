import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

// The seed's policy routes: the read model (with the MailPolicy document, decision 0014), the send preview, the
// account policy, and what the usage route reports of the limits.

describe(`the agent policy: read model, preview, account policy (${dbLabel})`, () => {
  let t: TestServer;
  let agentKey: string;

  before(async () => {
    t = await startTestServer({ POSTBOX_ACCOUNT_DAILY_SEND_CAP: "500", POSTBOX_MAILBOX_LIMIT: "12" });
    for (const name of ["policed", "preview", "budget", "other"]) await t.client().mailboxes.create({ name });
    agentKey = (
      await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["policed", "preview", "budget"] })
    ).api_key;
  });
  after(() => t.stop());

  const patch = (mailbox: string, body: unknown) => t.api("PATCH", `/v1/mailboxes/${mailbox}`, { body });
  const preview = (mailbox: string, body: Record<string, unknown>, key?: string) =>
    t.api("POST", `/v1/mailboxes/${mailbox}/policy/preview`, { body, ...(key ? { key } : {}) });
  const gate = (r: { body: { trace: { gate: string }[] } }, name: string) =>
    r.body.trace.find((g) => g.gate === name) as unknown as {
      outcome: string;
      reason: string;
      details: Record<string, unknown>;
    };

  it("answers the read model and the MailPolicy document from one GET; PUT answers the same", async () => {
    const fresh = await t.api("GET", "/v1/mailboxes/policed/policy");
    assert.equal(fresh.status, 200);
    const m = fresh.body;
    assert.equal(m.policy_mode, "custom", "a new mailbox sends to anyone: no mode's template");
    assert.deepEqual(m.enforcement, { risky_only: "enforce", send_window: "enforce" });
    assert.equal(m.agent_authoring_mode, "send_and_draft");
    assert.equal(m.agent_send_policy, "open");
    assert.equal(m.restricted_by, null);
    assert.equal(m.hitl_mode, "disabled");
    assert.equal(m.approval_expiry, "72h");
    assert.equal(m.send_window, null);
    assert.equal(m.allow_thread_replies, true);
    assert.equal(m.recipient_policy_mode, "blocklist");
    assert.equal(m.latest_revision_id, null);
    assert.equal(m.last_applied_policy_mode, null);
    assert.deepEqual(m.binding, {
      scope: "admin",
      permitted_verbs: ["send", "reply", "draft_create", "draft_update", "draft_send"],
    });
    assert.equal(m.policy, null);
    assert.equal(m.updated_at, null);

    const doc = {
      defaultAction: "bounce",
      senders: [{ match: { domain: "example.com" }, capabilities: ["read_calendar"] }],
      auditLog: { retentionDays: 30 },
    };
    const put = await t.api("PUT", "/v1/mailboxes/policed/policy", { body: doc });
    assert.equal(put.status, 200);
    assert.equal(put.body.policy.defaultAction, "bounce");
    assert.deepEqual(put.body.warnings, []);
    assert.equal(put.body.policy_mode, "custom", "the read model comes with it");
    const got = await t.client().getPolicy("policed");
    assert.equal(got.policy?.defaultAction, "bounce");
    assert.ok(got.updated_at);
    assert.equal(got.agent_send_policy, "open");
  });

  it("apply_policy_mode writes a mode's settings; the read model names it until a setting departs from it", async () => {
    const empty = await patch("policed", { apply_policy_mode: "supervised" });
    assert.deepEqual(
      [empty.status, empty.body.code],
      [400, "ALLOWLIST_EMPTY"],
      "restricting needs an allowlist",
    );
    const clash = await patch("policed", { apply_policy_mode: "supervised", hitl_mode: "disabled" });
    assert.equal(clash.body.code, "CONFLICTING_FIELDS");
    const applied = await patch("policed", { apply_policy_mode: "supervised", force_empty: true });
    assert.equal(applied.status, 200);
    assert.deepEqual(
      [applied.body.policy_mode, applied.body.hitl_mode, applied.body.agent_send_policy],
      ["supervised", "risky_only", "restricted"],
    );
    const p = (await t.api("GET", "/v1/mailboxes/policed/policy")).body;
    assert.equal(p.policy_mode, "supervised");
    assert.equal(p.last_applied_policy_mode, "supervised");
    assert.equal(p.restricted_by, "mailbox_allowlist");
    assert.match(p.latest_revision_id, /^[0-9a-f-]{36}$/);
    assert.equal(p.policy.defaultAction, "bounce", "the MailPolicy is untouched");

    await patch("policed", { hitl_mode: "all_outbound" });
    const custom = (await t.api("GET", "/v1/mailboxes/policed/policy")).body;
    assert.equal(custom.policy_mode, "custom");
    assert.equal(custom.last_applied_policy_mode, "supervised");
    assert.notEqual(custom.latest_revision_id, p.latest_revision_id, "every policy change is a new revision");

    await patch("policed", { apply_policy_mode: "draft_only" });
    const agentView = (await t.api("GET", "/v1/mailboxes/policed/policy", { key: agentKey })).body;
    assert.equal(agentView.policy_mode, "draft_only");
    assert.deepEqual(agentView.binding, {
      scope: "agent",
      permitted_verbs: ["draft_create", "draft_update"],
    });
    await patch("policed", { apply_policy_mode: "read_only" });
    assert.deepEqual((await t.api("GET", "/v1/mailboxes/policed/policy", { key: agentKey })).body.binding, {
      scope: "agent",
      permitted_verbs: [],
    });
    const otherBox = await t.api("GET", "/v1/mailboxes/other/policy", { key: agentKey });
    assert.equal(otherBox.status, 403, "an agent reaches only its own mailboxes");
  });

  it("preview runs the send gates in order and says what each would do", async () => {
    const clean = await preview("preview", { to: "ann@example.com" });
    assert.equal(clean.status, 200);
    assert.equal(clean.body.result, "passes_all_checks_run");
    assert.equal(clean.body.content_scan_run, false);
    assert.deepEqual(
      clean.body.trace.map((g: { gate: string; outcome: string }) => [g.gate, g.outcome]),
      [
        ["authoring", "pass"],
        ["recipient_authority", "pass"],
        ["send_window", "skipped"],
        ["content_scan", "not_run"],
        ["human_review", "pass"],
        ["send_budget", "pass"],
      ],
    );
    assert.deepEqual(clean.body.email_effect, {
      effect_status: "sent",
      releasable: false,
      terminal: false,
      retryable: false,
    });
    assert.deepEqual(clean.body.budget, { limit: 500, remaining: 500, warmup_applied: false });
    assert.match(clean.body.result_summary, /content analysis not run/);

    // The content scan only when asked.
    const pii = await preview("preview", {
      to: "ann@example.com",
      body: "My SSN is 123-45-6780",
      run_content_scan: true,
    });
    assert.equal(gate(pii, "content_scan").outcome, "would_block");
    assert.equal(pii.body.result, "would_block");
    assert.equal(gate(pii, "human_review").outcome, "skipped");
    assert.equal(pii.body.email_effect.effect_status, "blocked");

    // Suppressed and off-allowlist recipients.
    await t.api("POST", "/v1/suppressions", { body: { email: "gone@example.com" } });
    const suppressed = await preview("preview", { to: "gone@example.com" });
    assert.equal(gate(suppressed, "recipient_authority").details.code, "RECIPIENT_SUPPRESSED");
    await t.api("POST", "/v1/mailboxes/preview/allowlist", { body: { email: "ann@example.com" } });
    await patch("preview", { recipient_policy_mode: "allowlist" });
    assert.equal(
      gate(await preview("preview", { to: "ann@example.com" }), "recipient_authority").outcome,
      "pass",
    );
    const off = await preview("preview", { to: "bob@example.com" });
    assert.equal(gate(off, "recipient_authority").details.code, "RECIPIENT_NOT_ON_ALLOWLIST");
    assert.equal(off.body.result, "would_block");

    // The send window at a given moment: Monday 10:00 UTC is inside a weekday 09:00–17:00 window, Sunday is not.
    await patch("preview", {
      send_window: {
        timezone: "UTC",
        days: ["mon", "tue", "wed", "thu", "fri"],
        start: "09:00",
        end: "17:00",
        outside_action: "require_approval",
      },
    });
    const inside = await preview("preview", { to: "ann@example.com", at_time: "2026-11-23T10:00:00Z" });
    assert.equal(gate(inside, "send_window").outcome, "pass");
    const outside = await preview("preview", { to: "ann@example.com", at_time: "2026-11-22T10:00:00Z" });
    assert.equal(gate(outside, "send_window").outcome, "would_hold");
    assert.equal(outside.body.result, "would_hold");
    assert.equal(outside.body.email_effect.effect_status, "held_for_review");
    await patch("preview", { send_window: null, hitl_mode: "all_outbound" });
    assert.equal(
      gate(await preview("preview", { to: "ann@example.com" }), "human_review").outcome,
      "would_hold",
    );
    await patch("preview", { hitl_mode: "risky_only" });
    const risky = await preview("preview", {
      to: "ann@example.com",
      body: "Call me on +1 415 555 0100",
      run_content_scan: true,
    });
    assert.equal(gate(risky, "human_review").outcome, "would_hold", "risky_only holds what the scan flags");
    await patch("preview", { hitl_mode: "disabled", agent_authoring_mode: "draft_only" });
    const drafting = await preview("preview", { to: "ann@example.com" });
    assert.equal(gate(drafting, "authoring").details.code, "AGENT_SENDING_DISABLED");
    assert.equal(gate(drafting, "recipient_authority").outcome, "skipped");
    await patch("preview", { agent_authoring_mode: "send_and_draft" });
  });

  it("preview changes nothing: no blocked attempt, no event, no counter", async () => {
    const count = async () => {
      const [row] = await t.pb.db.query<{ attempts: number; events: number; counters: number }>(
        `select (select count(*) from allowlist_blocked_attempts)::int as attempts,
                (select count(*) from events)::int as events,
                (select coalesce(sum(count), 0) from send_counters)::int as counters`,
      );
      return row!;
    };
    const before = await count();
    for (let i = 0; i < 3; i++) await preview("preview", { to: "bob@example.com", run_content_scan: true });
    await preview("preview", { to: "ann@example.com", body: "hello", run_content_scan: true });
    assert.deepEqual(await count(), before);
  });

  it("the account's daily cap feeds every send's daily_limit and sends_remaining, and the preview's budget", async () => {
    const initial = await t.api("GET", "/v1/account/policy");
    assert.deepEqual(initial.body, {
      custom_daily_send_limit: null,
      daily_send_limit: 500,
      default_policy_mode: null,
      resolved_default_policy_mode: null,
      sandbox: false,
      retention_days: null,
      effective_retention_days: 90,
    });
    const used = (await t.api("GET", "/v1/accounts/quota")).body.today.count;
    const capped = await t.api("PATCH", "/v1/account/policy", {
      body: { custom_daily_send_limit: used + 2 },
    });
    assert.deepEqual(
      [capped.body.custom_daily_send_limit, capped.body.daily_send_limit],
      [used + 2, used + 2],
    );

    const send = () =>
      t.api("POST", "/v1/messages/send", {
        key: agentKey,
        body: { from_mailbox: "budget", to: "ann@example.com", subject: "Hi", body: "Hello" },
      });
    const first = await send();
    assert.deepEqual([first.body.daily_limit, first.body.sends_remaining], [used + 2, 1]);
    const budget = await preview("budget", { to: "ann@example.com" });
    assert.deepEqual(budget.body.budget, { limit: used + 2, remaining: 1, warmup_applied: false });
    assert.equal(gate(budget, "send_budget").outcome, "pass");
    assert.equal((await send()).body.sends_remaining, 0);
    const over = await preview("budget", { to: "ann@example.com" });
    assert.equal(gate(over, "send_budget").outcome, "would_block");
    assert.equal(gate(over, "send_budget").details.code, "RATE_LIMITED");
    const refused = await send();
    assert.deepEqual([refused.status, refused.body.code], [429, "RATE_LIMITED"]);
    assert.equal(refused.body.details.limit, used + 2);

    const cleared = await t.api("PATCH", "/v1/account/policy", { body: { custom_daily_send_limit: null } });
    assert.deepEqual([cleared.body.custom_daily_send_limit, cleared.body.daily_send_limit], [null, 500]);
    assert.equal((await send()).body.daily_limit, 500);
    assert.equal((await t.api("GET", "/v1/accounts/usage")).body.today.limit, 500);
  });

  it("default_policy_mode is where new mailboxes start", async () => {
    const set = await t.api("PATCH", "/v1/account/policy", { body: { default_policy_mode: "trusted" } });
    assert.deepEqual(
      [set.body.default_policy_mode, set.body.resolved_default_policy_mode],
      ["trusted", "trusted"],
    );
    const mb = (await t.api("POST", "/v1/mailboxes", { body: { name: "newcomer" } })).body;
    assert.equal(mb.policy_mode, "trusted");
    assert.deepEqual(
      [mb.agent_authoring_mode, mb.recipient_policy_mode, mb.hitl_mode],
      ["send_and_draft", "allowlist", "disabled"],
    );
    assert.equal(
      (await t.api("GET", "/v1/mailboxes/newcomer/policy")).body.last_applied_policy_mode,
      "trusted",
    );
    await t.api("PATCH", "/v1/account/policy", { body: { default_policy_mode: null } });
    const plain = (await t.api("POST", "/v1/mailboxes", { body: { name: "plain-newcomer" } })).body;
    assert.equal(plain.recipient_policy_mode, "blocklist");
  });

  it("usage reports the mailbox limit, which creating one more enforces", async () => {
    const usage = (await t.api("GET", "/v1/accounts/usage")).body;
    assert.equal(usage.mailbox_limit, 12);
    assert.equal(typeof usage.mailbox_count, "number");
    assert.deepEqual(Object.keys(usage.storage.breakdown).sort(), [
      "attachment_bytes",
      "derivative_bytes",
      "raw_mime_bytes",
    ]);
    assert.ok(usage.storage.used_bytes > 0);
    for (let i = usage.mailbox_count; i < 12; i++)
      assert.equal((await t.api("POST", "/v1/mailboxes", { body: { name: `filler-${i}` } })).status, 201);
    const over = await t.api("POST", "/v1/mailboxes", { body: { name: "one-too-many" } });
    assert.deepEqual(
      [over.status, over.body.code, over.body.details.limit],
      [403, "MAILBOX_LIMIT_REACHED", 12],
    );
    // The bridge's allocation counts too.
    const alloc = await t.api("POST", "/alloc", { body: { agent_id: "one-more-agent" } });
    assert.equal(alloc.body.code, "MAILBOX_LIMIT_REACHED");
    await t.api("DELETE", "/v1/mailboxes/filler-11");
    assert.equal((await t.api("POST", "/v1/mailboxes", { body: { name: "one-too-many" } })).status, 201);
    assert.equal((await t.api("GET", "/v1/accounts/usage")).body.mailbox_count, 12);
  });

  it("agent keys may read their mailboxes' policy but not preview, nor read or change the account policy", async () => {
    for (const [method, path, body] of [
      ["POST", "/v1/mailboxes/preview/policy/preview", { to: "ann@example.com" }],
      ["GET", "/v1/account/policy", undefined],
      ["PATCH", "/v1/account/policy", { custom_daily_send_limit: 1 }],
      ["PUT", "/v1/mailboxes/preview/policy", { defaultAction: "bounce", senders: [] }],
    ] as const) {
      const r = await t.api(method, path, { key: agentKey, ...(body ? { body } : {}) });
      assert.deepEqual([r.status, r.body.code], [403, "INSUFFICIENT_SCOPE"], `${method} ${path}`);
    }
    assert.equal((await t.api("GET", "/v1/mailboxes/preview/policy", { key: agentKey })).status, 200);
  });

  it("refuses bad input with stable codes", async () => {
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/v1/mailboxes/preview/policy/preview", { to: "not an address" }, 400, "VALIDATION_ERROR"],
      ["POST", "/v1/mailboxes/preview/policy/preview", {}, 400, "VALIDATION_ERROR"],
      [
        "POST",
        "/v1/mailboxes/preview/policy/preview",
        { to: "a@example.com", at_time: "yesterday" },
        400,
        "VALIDATION_ERROR",
      ],
      [
        "POST",
        "/v1/mailboxes/preview/policy/preview",
        { to: "a@example.com", extra: 1 },
        400,
        "VALIDATION_ERROR",
      ],
      ["POST", "/v1/mailboxes/nope/policy/preview", { to: "a@example.com" }, 404, "NOT_FOUND"],
      ["PATCH", "/v1/account/policy", { custom_daily_send_limit: 0 }, 400, "VALIDATION_ERROR"],
      ["PATCH", "/v1/account/policy", { custom_daily_send_limit: "lots" }, 400, "VALIDATION_ERROR"],
      ["PATCH", "/v1/account/policy", { default_policy_mode: "anarchy" }, 400, "VALIDATION_ERROR"],
      ["PATCH", "/v1/mailboxes/preview", { apply_policy_mode: "custom" }, 400, "VALIDATION_ERROR"],
      ["PATCH", "/v1/mailboxes/preview", { recipient_policy_mode: "everyone" }, 400, "VALIDATION_ERROR"],
      ["PATCH", "/v1/mailboxes/preview/sender-policy", { mode: "maybe" }, 400, "VALIDATION_ERROR"],
      ["PATCH", "/v1/mailboxes/preview/sender-policy", {}, 400, "VALIDATION_ERROR"],
      ["POST", "/v1/mailboxes/preview/attachment-access", { mode: "everything" }, 400, "VALIDATION_ERROR"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await t.api(method, path, { body });
      assert.deepEqual([r.status, r.body.code], [status, code], `${method} ${path} ${JSON.stringify(body)}`);
    }
  });
});
