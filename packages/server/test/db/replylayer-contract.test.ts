/**
 * The ReplyLayer wire, as its real clients speak it: each request below is the one the public `rly` CLI
 * (src/api-client.ts) sends — method, path, body, the headers it sets (Bearer auth, Content-Type only with a body,
 * Idempotency-Key, Prefer) — and each assertion is a field that client reads from the answer (src/protocol.ts,
 * src/types.ts). A failure here means a user of that system who points it at Postbox breaks.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, eventually, rawMessage, startTestServer, type TestServer } from "../helpers.ts";
import { startWebhookReceiver } from "../webhook-receiver.ts";

type Kind = "string" | "number" | "boolean" | "array" | "object" | "null";
/** Field → allowed kinds ("string|null"); a trailing "?" on the name makes the field optional. */
type Shape = Record<string, string>;

function kindOf(v: unknown): Kind {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v as Kind;
}

/** Asserts `obj` has every field of `shape` with an allowed kind, as the client's TypeScript type declares it. */
export function assertShape(obj: unknown, shape: Shape, where: string): void {
  assert.equal(kindOf(obj), "object", `${where}: not an object: ${JSON.stringify(obj)}`);
  const o = obj as Record<string, unknown>;
  for (const [rawName, kinds] of Object.entries(shape)) {
    const optional = rawName.endsWith("?");
    const name = optional ? rawName.slice(0, -1) : rawName;
    if (!(name in o)) {
      assert.ok(optional, `${where}: missing field "${name}" in ${JSON.stringify(o).slice(0, 300)}`);
      continue;
    }
    const allowed = kinds.split("|");
    assert.ok(
      allowed.includes(kindOf(o[name])),
      `${where}: field "${name}" is ${kindOf(o[name])} (${JSON.stringify(o[name])}), the client reads ${kinds}`,
    );
  }
}

const MailboxShape: Shape = {
  id: "string",
  name: "string",
  address: "string",
  status: "string",
  scanner_policy: "object|null",
  pii_mode: "string",
  "display_name?": "string|null",
  "effective_from_display?": "string",
  attachment_exposure_mode: "string",
  attachment_allowed_file_families: "array",
  default_subaddress_mode: "string",
  recipient_policy_mode: "string",
  sender_policy_mode: "string",
  hitl_mode: "string",
  "allow_thread_replies?": "boolean",
  "agent_send_policy?": "string",
  "restricted_by?": "string|null",
  created_at: "string",
};
const ScanShape: Shape = { verdict: "string", categories: "array", findings: "array" };
const MessageSummaryShape: Shape = {
  id: "string",
  direction: "string",
  state: "string",
  sender: "string",
  recipient: "string",
  subject: "string",
  "mailbox_name?": "string|null",
  scan: "object|null",
  subaddress_instance_id: "string|null",
  firewall_block: "object|null",
  thread_id: "string|null",
  created_at: "string",
  read_at: "string|null",
  body_preview: "string|null",
  starred: "boolean",
  has_attachment: "boolean",
  dashboard_url: "string|null",
};
const MessageShape: Shape = {
  id: "string",
  mailbox_id: "string",
  direction: "string",
  state: "string",
  sender: "string",
  recipient: "string",
  subject: "string",
  body: "object",
  attachments: "array",
  scan: "object|null",
  "agent_safety_context?": "object|null",
  thread_id: "string|null",
  in_reply_to: "string|null",
  subaddress_instance_id: "string|null",
  firewall_block: "object|null",
  read_at: "string|null",
  starred: "boolean",
  dashboard_url: "string|null",
  created_at: "string",
};
const BodyShape: Shape = {
  format: "string",
  content: "string|null",
  char_count: "number",
  returned_char_count: "number",
  truncated: "boolean",
};
const SendShape: Shape = {
  message_id: "string",
  status: "string",
  scan: "object|null",
  hold_context: "object|null",
  daily_limit: "number",
  sends_remaining: "number",
  "email_effect?": "object|null",
};
const EffectShape: Shape = {
  effect_status: "string",
  releasable: "boolean",
  terminal: "boolean",
  retryable: "boolean",
};
const DraftShape: Shape = {
  id: "string",
  mailbox_id: "string",
  state: "string",
  sender: "string",
  recipient: "string",
  subject: "string",
  body: "object",
  scan: "object",
  worst_decision: "string",
  thread_id: "string|null",
  in_reply_to: "string|null",
  subaddress_instance_id: "string|null",
  subaddress_mode: "string|null",
  created_at: "string",
  updated_at: "string",
};
const WebhookShape: Shape = {
  id: "string",
  url: "string",
  description: "string|null",
  enabled: "boolean",
  enabled_events: "array",
  created_at: "string",
  updated_at: "string",
  consecutive_failures: "number",
  last_success_at: "string|null",
  last_failure_at: "string|null",
  last_error: "string|null",
  disabled_at: "string|null",
  disabled_reason: "string|null",
};
const DeliveryShape: Shape = {
  id: "string",
  event_type: "string",
  status: "string",
  http_status: "number|null",
  attempt_count: "number",
  created_at: "string",
  delivered_at: "string|null",
  failed_at: "string|null",
  next_retry_at: "string|null",
  response_preview: "string|null",
};
const KeyRowShape: Shape = {
  id: "string",
  prefix: "string",
  status: "string",
  role: "string|null",
  label: "string|null",
  mailbox_ids: "array",
  created_at: "string",
  last_used_at: "string|null",
  revoked_at: "string|null",
};
const SuppressionShape: Shape = {
  email: "string",
  reason: "string",
  source: "string",
  created_at: "string",
  pattern_type: "string",
  added_by_actor_type: "string|null",
  added_by_actor_id: "string|null",
};
const ThreadSummaryShape: Shape = {
  id: "string",
  subject: "string",
  first_message_at: "string",
  last_message_at: "string",
  message_count: "number",
  unread_count: "number",
  starred: "boolean",
  participants: "array",
};
const BulkShape: Shape = { added: "array", already_existed: "array", invalid: "array", counts: "object" };

describe(`the ReplyLayer wire, request by request as rly sends it (${dbLabel})`, () => {
  let t: TestServer;
  let key: string;
  let hooks: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const ids: Record<string, string> = {};

  /** One request exactly as rly's ApiClient builds it. */
  async function rl(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      as?: string;
    } = {},
  ): Promise<{ status: number; body: any }> {
    let url = `${t.baseUrl}${path}`;
    if (opts.query) {
      const qs = new URLSearchParams(Object.entries(opts.query).filter(([, v]) => v !== "")).toString();
      if (qs) url += `?${qs}`;
    }
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.as ?? key}` };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, opts.headers);
    const res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const ok = (r: { status: number; body: any }, what: string) =>
    assert.ok(r.status >= 200 && r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`);

  before(async () => {
    t = await startTestServer({ POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    key = t.adminKey;
    hooks = await startWebhookReceiver();
  });
  after(async () => {
    await t.stop();
    await hooks.close();
  });

  it("errors: {error, code, details?} with the message under `error`", async () => {
    const r = await rl("GET", "/v1/messages/00000000-0000-4000-8000-000000000000");
    assert.equal(r.status, 404);
    assertShape(r.body, { error: "string", code: "string" }, "error envelope");
    const bad = await rl("GET", "/v1/mailboxes", { as: "rly_live_k3m9p2qx7vn4hjd0.nope" });
    assert.equal(bad.status, 401);
    assert.equal(typeof bad.body.code, "string");
  });

  it("health: GET /v1/health without auth", async () => {
    const r = await fetch(`${t.baseUrl}/v1/health`);
    assert.equal(r.status, 200);
    const b = (await r.json()) as { status: string; capabilities?: string[] };
    assert.ok(["ok", "degraded", "down"].includes(b.status));
  });

  it("account: GET /v1/accounts, /v1/auth/me, /v1/accounts/quota", async () => {
    const acct = await rl("GET", "/v1/accounts");
    ok(acct, "accounts");
    assertShape(acct.body, { account_id: "string", status: "string", tier: "string" }, "AccountInfo");
    ok(await rl("GET", "/v1/auth/me"), "auth/me");
    const q = await rl("GET", "/v1/accounts/quota");
    ok(q, "quota");
    assertShape(
      q.body,
      {
        today: "object",
        sends_remaining: "number",
        reset_at: "string",
        scope: "string",
        bound_mailbox_ids: "array",
      },
      "AgentQuotaResponse",
    );
    assertShape(q.body.today, { count: "number", limit: "number", day: "string" }, "quota.today");
  });

  it("mailboxes: create, list, get by name, update display name", async () => {
    const c = await rl("POST", "/v1/mailboxes", { body: { name: "wire", display_name: "Wire Desk" } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assertShape(c.body, { id: "string", name: "string", address: "string" }, "CreateMailboxResponse");
    ids.mailbox = c.body.id;
    const list = await rl("GET", "/v1/mailboxes");
    ok(list, "list mailboxes");
    assert.ok(Array.isArray(list.body.mailboxes));
    for (const m of list.body.mailboxes) assertShape(m, MailboxShape, "MailboxListEntry");
    const got = await rl("GET", "/v1/mailboxes/wire");
    assertShape(got.body, MailboxShape, "GET mailbox");
    const up = await rl("PATCH", `/v1/mailboxes/${ids.mailbox}`, { body: { display_name: "Wire" } });
    ok(up, "update mailbox");
    assert.equal(up.body.display_name, "Wire");
  });

  it("api keys: create an agent key bound by name, list, rebind, revoke", async () => {
    const c = await rl("POST", "/v1/accounts/api-keys", {
      body: { role: "agent", label: "bot", mailbox_ids: ["wire"] },
    });
    ok(c, "create key");
    assertShape(
      c.body,
      { id: "string", api_key: "string", role: "string", label: "string|null", mailbox_ids: "array" },
      "CreateApiKeyResponse",
    );
    ids.agentKey = c.body.api_key;
    ids.agentKeyId = c.body.id;
    const l = await rl("GET", "/v1/accounts/api-keys");
    for (const k of l.body.keys) assertShape(k, KeyRowShape, "ListApiKeysResponse.keys[]");
    const withRevoked = await rl("GET", "/v1/accounts/api-keys?include_revoked=true");
    ok(withRevoked, "include_revoked");
    const up = await rl("PATCH", `/v1/accounts/api-keys/${encodeURIComponent(ids.agentKeyId!)}`, {
      body: { mailbox_ids: [ids.mailbox] },
    });
    ok(up, "rebind");
    assertShape(
      up.body,
      { id: "string", role: "string", label: "string|null", mailbox_ids: "array" },
      "UpdateApiKeyResponse",
    );
    assert.deepEqual(up.body.mailbox_ids, [ids.mailbox]);
  });

  it("messages: inbound mail read through list, wait, get, mark-read, star", async () => {
    const raw = rawMessage({
      from: "Alice <alice@example.org>",
      to: "wire@test.local",
      subject: "Quarterly",
      body: "Numbers attached.",
    });
    const ing = await t.api("POST", "/v1/ingest?rcpt_to=wire@test.local", {
      raw,
      headers: { "content-type": "message/rfc822" },
    });
    assert.equal(ing.status, 202);
    await t.pb.drain();
    const w = await rl("GET", `/v1/mailboxes/${ids.mailbox}/messages/wait`, {
      query: { timeout: "5", since: "2000-01-01T00:00:00Z" },
      as: ids.agentKey,
    });
    ok(w, "wait");
    assertShape(w.body.message, MessageSummaryShape, "WaitResponse.message");
    ids.inbound = w.body.message.id;
    const list = await rl("GET", `/v1/mailboxes/${ids.mailbox}/messages`, {
      query: {
        limit: "50",
        view: "summary",
        sender: "alice",
        since: "2000-01-01T00:00:00Z",
        direction: "inbound",
      },
    });
    ok(list, "list messages");
    for (const m of list.body.messages)
      assertShape(m, MessageSummaryShape, "ListMessagesResponse.messages[]");
    const got = await rl("GET", `/v1/messages/${ids.inbound}`, { as: ids.agentKey });
    assertShape(got.body, MessageShape, "GetMessageResponse");
    assertShape(got.body.body, BodyShape, "GetMessageResponse.body");
    assertShape(got.body.scan, ScanShape, "ScanSummary");
    const read = await rl("POST", `/v1/messages/${ids.inbound}/read`, { body: {}, as: ids.agentKey });
    ok(read, "mark read");
    assert.equal(read.body.message_id, ids.inbound);
    const star = await rl("PATCH", `/v1/messages/${ids.inbound}/star`, {
      body: { starred: true },
      as: ids.agentKey,
    });
    ok(star, "star");
    assertShape(star.body, { message_id: "string", starred: "boolean" }, "MessageStarResponse");
  });

  it("send and reply: the send contract, Idempotency-Key replay and the probe", async () => {
    const s = await rl("POST", "/v1/messages/send", {
      body: { from_mailbox: "wire", to: "bob@example.org", subject: "Hello", body: "Hi Bob" },
      headers: { "Idempotency-Key": "contract-send-1" },
      as: ids.agentKey,
    });
    ok(s, "send");
    assertShape(s.body, SendShape, "SendMessageResponse");
    assertShape(s.body.email_effect, EffectShape, "email_effect");
    const again = await rl("POST", "/v1/messages/send", {
      body: { from_mailbox: "wire", to: "bob@example.org", subject: "Hello", body: "Hi Bob" },
      headers: { "Idempotency-Key": "contract-send-1" },
      as: ids.agentKey,
    });
    assert.equal(again.body.message_id, s.body.message_id, "the same key answers the same message");
    const probe = await rl("GET", "/v1/messages/idempotency", {
      headers: { "Idempotency-Key": "contract-send-1" },
    });
    assert.equal(probe.status, 200, JSON.stringify(probe.body));
    const miss = await rl("GET", "/v1/messages/idempotency", {
      headers: { "Idempotency-Key": "never-used" },
    });
    assert.equal(miss.status, 404);
    const r = await rl("POST", `/v1/messages/${ids.inbound}/reply`, {
      body: { body: "Thanks, Alice" },
      headers: { "Idempotency-Key": "contract-reply-1", Prefer: "outcome=strict" },
      as: ids.agentKey,
    });
    ok(r, "reply");
    assertShape(r.body, SendShape, "reply SendMessageResponse");
  });

  it("threads: list, read, mark read, star", async () => {
    const l = await rl("GET", `/v1/mailboxes/${ids.mailbox}/threads`, { query: { limit: "20" } });
    ok(l, "list threads");
    assert.ok(l.body.threads.length > 0);
    for (const th of l.body.threads) assertShape(th, ThreadSummaryShape, "ThreadSummary");
    const tid = l.body.threads[0].id;
    const g = await rl("GET", `/v1/threads/${tid}`);
    ok(g, "get thread");
    assertShape(
      g.body,
      { id: "string", mailbox_id: "string", subject: "string", message_count: "number", messages: "array" },
      "GetThreadResponse",
    );
    for (const m of g.body.messages) assertShape(m, MessageShape, "GetThreadResponse.messages[]");
    const read = await rl("POST", `/v1/mailboxes/${ids.mailbox}/threads/${tid}/read`, { body: {} });
    ok(read, "thread read");
    const star = await rl("PATCH", `/v1/mailboxes/${ids.mailbox}/threads/${tid}/star`, {
      body: { starred: true },
    });
    ok(star, "thread star");
    assertShape(
      star.body,
      { thread_id: "string", starred: "boolean", updated_count: "number" },
      "ThreadStarResponse",
    );
  });

  it("drafts: create with mailbox_id and Idempotency-Key, list, get, update, send with Prefer: respond-async, delete", async () => {
    const c = await rl("POST", "/v1/drafts", {
      body: { mailbox_id: "wire", to: "carol@example.org", subject: "Draft", body: "draft body" },
      headers: { "Idempotency-Key": "contract-draft-1" },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assertShape(c.body, DraftShape, "DraftResponse");
    assertShape(c.body.body, BodyShape, "DraftResponse.body");
    const l = await rl("GET", `/v1/mailboxes/${ids.mailbox}/drafts`, { query: { limit: "20" } });
    ok(l, "list drafts");
    assert.ok(l.body.drafts.some((d: { id: string }) => d.id === c.body.id));
    ok(await rl("GET", `/v1/drafts/${c.body.id}`), "get draft");
    const up = await rl("PATCH", `/v1/drafts/${c.body.id}`, { body: { subject: "Draft v2" } });
    assert.equal(up.body.subject, "Draft v2");
    const sent = await rl("POST", `/v1/drafts/${c.body.id}/send`, {
      body: {},
      headers: { Prefer: "respond-async" },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const d2 = await rl("POST", "/v1/drafts", {
      body: { mailbox_id: "wire", to: "dan@example.org", subject: "Bin", body: "x" },
    });
    const del = await rl("DELETE", `/v1/drafts/${d2.body.id}`);
    ok(del, "delete draft");
  });

  it("webhooks: create (secret once), list, get, update, test, deliveries, rotate, delete", async () => {
    const c = await rl("POST", "/v1/webhooks", {
      body: { url: hooks.url, description: "contract", enabled_events: ["message.received"] },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assertShape(c.body, { ...WebhookShape, signing_secret: "string" }, "CreateWebhookResponse");
    const l = await rl("GET", "/v1/webhooks");
    for (const w of l.body.webhooks) assertShape(w, WebhookShape, "ListWebhooksResponse.webhooks[]");
    assertShape((await rl("GET", `/v1/webhooks/${c.body.id}`)).body, WebhookShape, "WebhookSummary");
    const up = await rl("PATCH", `/v1/webhooks/${c.body.id}`, { body: { description: "contract 2" } });
    assert.equal(up.body.description, "contract 2");
    const test = await rl("POST", `/v1/webhooks/${c.body.id}/test`, { body: {} });
    ok(test, "test");
    assert.equal(typeof test.body.delivery_id, "string");
    const d = await rl("GET", `/v1/webhooks/${c.body.id}/deliveries?limit=50`);
    ok(d, "deliveries");
    assert.equal(typeof d.body.has_more, "boolean");
    for (const x of d.body.deliveries) assertShape(x, DeliveryShape, "WebhookDeliverySummary");
    const rot = await rl("POST", `/v1/webhooks/${c.body.id}/rotate-secret`, { body: {} });
    assert.equal(typeof rot.body.signing_secret, "string");
    const del = await rl("DELETE", `/v1/webhooks/${c.body.id}`);
    ok(del, "delete webhook");
    assert.equal(typeof del.body.status, "string");
  });

  it("suppressions: add, bulk, list with next_cursor, remove", async () => {
    const a = await rl("POST", "/v1/suppressions", { body: { email: "gone@example.org" } });
    ok(a, "add suppression");
    assertShape(
      a.body,
      { email: "string", reason: "string", source: "string", already_existed: "boolean" },
      "AddSuppressionResponse",
    );
    const b = await rl("POST", "/v1/suppressions/bulk", {
      body: { emails: ["a@example.org", "@spam.example", "nope"] },
    });
    ok(b, "bulk");
    assertShape(b.body, BulkShape, "BulkAddResponse");
    assert.deepEqual(
      b.body.invalid.map((i: { email: string; reason: string }) => [i.email, i.reason]),
      [["nope", "invalid_format"]],
    );
    for (const row of b.body.added)
      assertShape(row, { email: "string", created_at: "string" }, "BulkAddResponse.added[]");
    assert.ok(
      b.body.already_existed.every((e: unknown) => typeof e === "string"),
      "already_existed: addresses",
    );
    assertShape(
      b.body.counts,
      { added: "number", already_existed: "number", invalid: "number", total: "number" },
      "counts",
    );
    const l = await rl("GET", "/v1/suppressions", { query: { limit: "100" } });
    assert.ok("next_cursor" in l.body);
    for (const s of l.body.suppressions) assertShape(s, SuppressionShape, "SuppressionRow");
    const r = await rl("DELETE", `/v1/suppressions/${encodeURIComponent("gone@example.org")}`);
    ok(r, "remove suppression");
    assertShape(r.body, { status: "string", email: "string" }, "DeleteSuppressionResponse");
  });

  it("outbound allowlist: add, list, remove", async () => {
    const a = await rl("POST", `/v1/mailboxes/${ids.mailbox}/allowlist`, {
      body: { email: "bob@example.org" },
    });
    ok(a, "allowlist add");
    const l = await rl("GET", `/v1/mailboxes/${ids.mailbox}/allowlist`, { query: { limit: "100" } });
    assert.ok(Array.isArray(l.body.allowlist));
    assert.ok("next_cursor" in l.body);
    const r = await rl(
      "DELETE",
      `/v1/mailboxes/${ids.mailbox}/allowlist/${encodeURIComponent("bob@example.org")}`,
    );
    ok(r, "allowlist remove");
  });

  it("inbound blocklist: add by email, list, remove", async () => {
    const a = await rl("POST", "/v1/inbound-blocklist", { body: { email: "spammer@example.org" } });
    ok(a, "blocklist add");
    const l = await rl("GET", "/v1/inbound-blocklist", { query: { limit: "100" } });
    assert.ok(l.body.blocklist.some((e: { email: string }) => e.email === "spammer@example.org"));
    ok(
      await rl("DELETE", `/v1/inbound-blocklist/${encodeURIComponent("spammer@example.org")}`),
      "blocklist remove",
    );
  });

  it("simulator and quarantine actions: inject, release, report", async () => {
    const s = await rl("POST", "/v1/simulator/inbound", {
      body: { mailbox_id: ids.mailbox, scenario: "prompt_injection_quarantined" },
    });
    ok(s, "simulate");
    assert.equal(s.body.status, "quarantined");
    const rel = await rl("POST", `/v1/messages/${s.body.message_id}/release`, {
      body: { reason: "looked fine" },
    });
    ok(rel, "release");
    const rep = await rl("POST", `/v1/messages/${s.body.message_id}/report`, { body: {} });
    ok(rep, "report");
  });

  it("usage and mailbox delete", async () => {
    ok(await rl("GET", "/v1/accounts/usage"), "usage");
    const extra = await rl("POST", "/v1/mailboxes", { body: { name: "wire-bin" } });
    const del = await rl("DELETE", `/v1/mailboxes/${extra.body.id}`);
    ok(del, "delete mailbox");
    assert.equal(typeof del.body.status, "string");
  });

  it("health: capabilities the CLI checks before using a feature", async () => {
    const b = (await (await fetch(`${t.baseUrl}/v1/health`)).json()) as Record<string, unknown>;
    assertShape(
      b,
      {
        status: "string",
        database: "boolean",
        queue_depth: "number",
        timestamp: "string",
        capabilities: "array",
      },
      "HealthResponse",
    );
    assert.ok((b.capabilities as string[]).includes("messages.has_attachment_filter"));
  });

  it("mailbox policy switches: recipient policy, thread replies, agent sends, subaddress mode, language, sender policy", async () => {
    const patch = (body: unknown) => rl("PATCH", `/v1/mailboxes/${ids.mailbox}`, { body });
    const empty = await patch({ recipient_policy_mode: "allowlist" });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.code, "ALLOWLIST_EMPTY");
    const forced = await patch({ recipient_policy_mode: "allowlist", force_empty: true });
    ok(forced, "set-policy allowlist --force-empty");
    assert.equal(forced.body.recipient_policy_mode, "allowlist");
    assert.equal(forced.body.agent_send_policy, "restricted");
    ok(await patch({ recipient_policy_mode: "blocklist" }), "set-policy blocklist");
    ok(await patch({ allow_thread_replies: true }), "set-thread-replies");
    ok(await patch({ default_subaddress_mode: "none" }), "set-subaddress-mode");
    const lang = await patch({ scanner_policy: { language_mode: "allow_all_languages" } });
    ok(lang, "language mode");
    assert.equal(lang.body.scanner_policy.language_mode, "allow_all_languages");
    const sp = await rl("PATCH", `/v1/mailboxes/${ids.mailbox}/sender-policy`, {
      body: { mode: "allowlist", force_empty: true },
    });
    ok(sp, "sender-policy allowlist");
    assert.equal(sp.body.sender_policy_mode, "allowlist");
    ok(
      await rl("PATCH", `/v1/mailboxes/${ids.mailbox}/sender-policy`, { body: { mode: "blocklist" } }),
      "sender-policy blocklist",
    );
    const agent = await rl("PATCH", `/v1/mailboxes/${ids.mailbox}`, {
      body: { allow_thread_replies: false },
      as: ids.agentKey,
    });
    assert.equal(agent.status, 403);
  });

  it("policy: the read model (agent keys too), preview, the account policy", async () => {
    const show = await rl("GET", `/v1/mailboxes/${ids.mailbox}/policy`, { as: ids.agentKey });
    ok(show, "policy show");
    assertShape(
      show.body,
      {
        mailbox_id: "string",
        policy_mode: "string",
        enforcement: "object",
        agent_authoring_mode: "string",
        agent_send_policy: "string",
        restricted_by: "string|null",
        hitl_mode: "string",
        approval_expiry: "string",
        send_window: "object|null",
        allow_thread_replies: "boolean",
        recipient_policy_mode: "string",
        latest_revision_id: "string|null",
        binding: "object",
      },
      "MailboxPolicyResponse",
    );
    assertShape(show.body.binding, { scope: "string", permitted_verbs: "array" }, "binding");
    const pre = await rl("POST", `/v1/mailboxes/${ids.mailbox}/policy/preview`, {
      body: { to: "bob@example.org", subject: "Hi" },
    });
    ok(pre, "policy check");
    assertShape(
      pre.body,
      {
        result: "string",
        result_summary: "string",
        content_scan_run: "boolean",
        email_effect: "object",
        trace: "array",
        budget: "object",
      },
      "PolicyPreviewResponse",
    );
    for (const g of pre.body.trace)
      assertShape(g, { gate: "string", outcome: "string", reason: "string" }, "trace[]");
    const cap = await rl("PATCH", "/v1/account/policy", { body: { custom_daily_send_limit: 500 } });
    ok(cap, "policy cap");
    assertShape(
      (await rl("GET", "/v1/account/policy")).body,
      {
        custom_daily_send_limit: "number|null",
        default_policy_mode: "string|null",
        resolved_default_policy_mode: "string|null", // null: new mailboxes start with no mode (open)
      },
      "AccountPolicyResponse",
    );
    const s = await rl("POST", "/v1/messages/send", {
      body: { from_mailbox: "wire", to: "erin@example.org", subject: "Cap", body: "x" },
    });
    assert.equal(s.body.daily_limit, 500, "the account cap is the send's daily limit");
  });

  it("inbound allowlist and blocklist bulk, blocked attempts", async () => {
    const add = await rl("POST", `/v1/mailboxes/${ids.mailbox}/inbound-allowlist`, {
      body: { email: "alice@example.org" },
    });
    ok(add, "inbound-allowlist add");
    const bulk = await rl("POST", `/v1/mailboxes/${ids.mailbox}/inbound-allowlist/bulk`, {
      body: { emails: ["x@example.org", "@trusted.example"] },
    });
    assertShape(bulk.body, BulkShape, "inbound allowlist bulk");
    const l = await rl("GET", `/v1/mailboxes/${ids.mailbox}/inbound-allowlist`, { query: { limit: "100" } });
    assert.ok(l.body.allowlist.some((e: { email: string }) => e.email === "alice@example.org"));
    assert.ok("next_cursor" in l.body);
    ok(
      await rl(
        "DELETE",
        `/v1/mailboxes/${ids.mailbox}/inbound-allowlist/${encodeURIComponent("x@example.org")}`,
      ),
      "inbound-allowlist remove",
    );
    ok(await rl("GET", `/v1/mailboxes/${ids.mailbox}/inbound-allowlist/blocked-attempts`), "inbound blocked");
    const bl = await rl("POST", "/v1/inbound-blocklist/bulk", {
      body: { emails: ["s1@example.org", "@spam2.example", "bad"] },
    });
    assertShape(bl.body, BulkShape, "inbound blocklist bulk");
    const agg = await rl("GET", `/v1/mailboxes/${ids.mailbox}/allowlist/blocked-attempts`);
    ok(agg, "blocked attempts (aggregate)");
    assert.ok(Array.isArray(agg.body.attempts));
    const raw = await rl("GET", `/v1/mailboxes/${ids.mailbox}/allowlist/blocked-attempts`, {
      query: { aggregate: "false", within_days: "7" },
    });
    assert.ok("next_cursor" in raw.body);
    const bad = await rl("POST", `/v1/mailboxes/${ids.mailbox}/allowlist`, {
      body: { email: "not an address" },
    });
    assert.equal(bad.body.code, "INVALID_EMAIL");
  });

  it("search with operators, status filter, threads continued by thread_id, drafts answering a message", async () => {
    const found = await rl("GET", `/v1/mailboxes/${ids.mailbox}/messages`, {
      query: { search: "subject:quarterly from:alice" },
    });
    ok(found, "search");
    assert.ok(found.body.messages.some((m: { id: string }) => m.id === ids.inbound));
    const unknown = await rl("GET", `/v1/mailboxes/${ids.mailbox}/messages`, {
      query: { search: "foo:bar" },
    });
    assert.equal(unknown.body.code, "SEARCH_OPERATOR_UNSUPPORTED");
    const byStatus = await rl("GET", `/v1/mailboxes/${ids.mailbox}/messages`, {
      query: { status: "available" },
    });
    ok(byStatus, "status filter");
    const m = (await rl("GET", `/v1/messages/${ids.inbound}`)).body;
    const s = await rl("POST", "/v1/messages/send", {
      body: { thread_id: m.thread_id, body: "Following up" },
    });
    ok(s, "send --thread");
    const d = await rl("POST", "/v1/drafts", {
      body: { in_reply_to_message_id: ids.inbound, body: "draft answer" },
    });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    assert.equal(d.body.thread_id, m.thread_id);
    const fr = await rl("POST", `/v1/messages/${ids.inbound}/firewall-release`, { body: {} });
    assert.equal(fr.status, 409);
    assert.equal(fr.body.code, "MESSAGE_NOT_FIREWALL_BLOCKED");
  });

  it("domains: create, list, inspect, verify, set-default, delete as `rly domain` sends them", async () => {
    const DomainRecord: Shape = {
      id: "string",
      domain_name: "string",
      domain_type: "string",
      transport_mode: "string",
      is_default: "boolean",
      verification_status: "string",
      "dns_records_json?": "array|null",
      "admin_review_status?": "string|null",
      "created_at?": "string|null",
      "verified_at?": "string|null",
    };
    const created = await rl("POST", "/v1/domains", { body: { domain: "rly.example" } });
    assert.equal(created.status, 201);
    assertShape(
      created.body,
      { ...DomainRecord, "domain_id?": "string", "claim_token?": "string|null", message: "string" },
      "CreateDomainResponse",
    );
    const id = created.body.id;
    const list = await rl("GET", "/v1/domains");
    ok(list, "listDomains");
    for (const d of list.body.domains) assertShape(d, DomainRecord, "ListDomainsResponse.domains[]");
    assert.ok(list.body.domains.some((d: { domain_name: string }) => d.domain_name === "rly.example"));
    const got = await rl("GET", `/v1/domains/${id}`);
    ok(got, "getDomain");
    assertShape(got.body, DomainRecord, "DomainRecord");
    const verified = await rl("POST", `/v1/domains/${id}/verify`);
    ok(verified, "verifyDomain");
    assertShape(
      verified.body,
      {
        verification_status: "string",
        "dns_records_json?": "array|null",
        "failed_gate?": "string|null",
        "failure_reason?": "string|null",
        message: "string",
      },
      "VerifyDomainResponse",
    );
    assert.equal(verified.body.verification_status, "failed", "nothing is published in the test zone");
    // `rly domain recheck`: the same check under the seed's path.
    const rechecked = await rl("POST", `/v1/domains/${id}/self-hosted-recheck`, { body: {} });
    ok(rechecked, "recheckDomain");
    assert.equal(rechecked.body.verification_status, "failed");
    assert.equal(rechecked.body.failed_gate, verified.body.failed_gate);
    const platform = list.body.domains.find((d: { domain_type: string }) => d.domain_type === "platform");
    ok(await rl("PATCH", `/v1/domains/${platform.id}/set-default`, { body: {} }), "setDefaultDomain");
    ok(await rl("DELETE", `/v1/domains/${id}`), "deleteDomain");
    const mailgun = await rl("POST", "/v1/domains", {
      body: { domain: "mg.example", transport_mode: "mailgun" },
    });
    assert.equal(mailgun.status, 400, "Postbox is the only transport");
  });

  it("legal holds and the account export, as `rly legal-hold` and `rly account export` send them", async () => {
    ok(await rl("POST", "/v1/mailboxes", { body: { name: "held-box" } }), "mailbox");
    const holdShape = {
      id: "string",
      scope: "string",
      mailbox_id: "string|null",
      case_reference: "string|null",
      reason: "string",
      applied_at: "string",
      applied_by_type: "string",
      released_at: "string|null",
      released_by_type: "string|null",
      release_reason: "string|null",
    };
    // apply: {scope, reason, mailbox_id, case_reference}; omitted options are left out of the JSON body.
    const applied = await rl("POST", "/v1/legal-holds", {
      body: { scope: "mailbox", reason: "Regulatory inquiry", mailbox_id: "held-box", case_reference: "T-1" },
    });
    ok(applied, "apply");
    assertShape(applied.body, holdShape, "LegalHold");
    const account = await rl("POST", "/v1/legal-holds", { body: { scope: "account", reason: "Litigation" } });
    ok(account, "apply account");
    const listed = await rl("GET", "/v1/legal-holds", { query: { limit: "50" } });
    ok(listed, "list");
    assert.equal(listed.body.legal_holds.length, 2);
    for (const h of listed.body.legal_holds) assertShape(h, holdShape, "LegalHold (list)");
    const got = await rl("GET", `/v1/legal-holds/${encodeURIComponent(applied.body.id)}`);
    assert.equal(got.body.case_reference, "T-1");
    const released = await rl("POST", `/v1/legal-holds/${encodeURIComponent(applied.body.id)}/release`, {
      body: { release_reason: "Matter closed" },
    });
    ok(released, "release");
    assert.equal(released.body.release_reason, "Matter closed");
    assert.equal(typeof released.body.released_at, "string");
    const history = await rl("GET", "/v1/legal-holds", { query: { include_released: "true", limit: "200" } });
    assert.equal(history.body.legal_holds.length, 2);
    ok(
      await rl("POST", `/v1/legal-holds/${encodeURIComponent(account.body.id)}/release`, {
        body: { release_reason: "done" },
      }),
      "release account hold",
    );
    // export: a body-less GET whose answer rly parses as JSON and writes out whole.
    const exported = await rl("GET", "/v1/accounts/export");
    ok(exported, "export");
    assert.equal(typeof exported.body, "object");
    assert.ok(Array.isArray(exported.body.mailboxes));
  });

  it("account delete, as `rly account delete --confirm` sends it: GET /v1/accounts, then its email echoed", async () => {
    const tenant = await t.client().accounts.create({ name: "rly-tenant" });
    const as = tenant.admin_key;
    const me = await rl("GET", "/v1/accounts", { as });
    ok(me, "account");
    assertShape(
      me.body,
      { account_id: "string", email: "string|null", status: "string", tier: "string" },
      "AccountInfo",
    );
    // rly sends {confirm_email: me.email} whatever it is: null for a self-hosted account.
    const deleted = await rl("DELETE", "/v1/accounts", { as, body: { confirm_email: me.body.email } });
    ok(deleted, "delete");
    assertShape(deleted.body, { status: "string", message: "string" }, "delete answer");
    assert.equal((await rl("GET", "/v1/accounts", { as })).status, 401, "the key is gone with the account");
  });

  it("verified recipients, as `rly recipients add|list|resend|remove` send them (email → id by listing)", async () => {
    const RecipientShape: Shape = {
      id: "string",
      email: "string",
      status: "string",
      created_at: "string",
      "confirmed_at?": "string|null",
    };
    const added = await rl("POST", "/v1/recipients", { body: { email: "Pat@Partner.example" } });
    ok(added, "add");
    const listed = await rl("GET", "/v1/recipients");
    ok(listed, "list");
    for (const r of listed.body.recipients) assertShape(r, RecipientShape, "VerifiedRecipient");
    const pat = listed.body.recipients.find((r: { email: string }) => r.email === "pat@partner.example");
    assert.equal(pat.status, "pending");
    // resend: a second mail within the minute is refused with a retry hint, as the seed's rate limit does.
    const resent = await rl("POST", `/v1/recipients/${pat.id}/resend`);
    assert.ok([200, 429].includes(resent.status), JSON.stringify(resent.body));
    const removed = await rl("DELETE", `/v1/recipients/${pat.id}`);
    ok(removed, "remove");
    assert.equal(removed.body.deleted, true);
    assert.ok(
      !(await rl("GET", "/v1/recipients")).body.recipients.some((r: { id: string }) => r.id === pat.id),
    );
  });

  it("attachments, as `rly send --attach` and `rly inbox attachment url|preview` use them", async () => {
    ok(await rl("POST", "/v1/mailboxes", { body: { name: "attach-box" } }), "mailbox");
    ok(
      await rl("POST", "/v1/mailboxes/attach-box/attachment-access", {
        body: { mode: "raw_download_selected_types", allowed_file_families: ["csv"], outbound_enabled: true },
      }),
      "attachment access",
    );
    // The upload: multipart with mailbox_id and file, answered with the handle rly polls.
    const form = new FormData();
    form.append("mailbox_id", "attach-box");
    form.append("file", new Blob(["sku,qty\r\nA-1,3\r\n"], { type: "text/csv" }), "order.csv");
    const up = await fetch(`${t.baseUrl}/v1/attachments`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}` },
      body: form,
    });
    const handle = (await up.json()) as { id: string };
    assert.ok(up.status >= 200 && up.status < 300, JSON.stringify(handle));
    assertShape(
      handle,
      {
        id: "string",
        filename: "string",
        content_type: "string",
        size: "number",
        hash: "string",
        content_scan_status: "string",
      },
      "AttachmentUpload",
    );
    const scanned = await eventually(async () => {
      const r = await rl("GET", `/v1/attachments/${handle.id}`);
      return r.body.content_scan_status !== "pending" ? r.body : null;
    });
    assert.equal(scanned.content_scan_status, "clean");
    const sent = await rl("POST", "/v1/messages/send", {
      body: {
        from_mailbox: "attach-box",
        to: "attach-box@test.local",
        subject: "order with a file",
        body: "attached",
        attachment_ids: [handle.id],
      },
    });
    ok(sent, "send --attach");
    // The local delivery arrives as inbound mail with the file; rly asks for its URL and its preview.
    const inbound = await eventually(async () => {
      await t.pb.drain();
      const l = await rl("GET", "/v1/mailboxes/attach-box/messages", { query: { direction: "inbound" } });
      return l.body.messages.find((m: { subject: string }) => m.subject === "order with a file") ?? null;
    });
    assert.equal(inbound.has_attachment, true);
    const url = await rl("GET", `/v1/messages/${inbound.id}/attachments/0`);
    ok(url, "attachment url");
    assertShape(
      url.body,
      { url: "string", expires_at: "string", content_type: "string", filename: "string", size: "number" },
      "AttachmentDownloadUrl",
    );
    const file = await fetch(url.body.url);
    assert.equal(Buffer.from(await file.arrayBuffer()).toString(), "sku,qty\r\nA-1,3\r\n");
    const preview = await rl("GET", `/v1/messages/${inbound.id}/attachments/0/preview`);
    ok(preview, "attachment preview");
    assertShape(
      preview.body.attachment,
      { filename: "string", content_type: "string", size: "number", hash: "string" },
      "AttachmentPreview.attachment",
    );
    assertShape(
      preview.body.preview,
      { kind: "string", content: "string", truncated: "boolean", char_count: "number" },
      "AttachmentPreview.preview",
    );
    assert.match(preview.body.preview.content, /A-1/);
  });

  it("usage: every field rly prints", async () => {
    const u = await rl("GET", "/v1/accounts/usage");
    assertShape(
      u.body,
      {
        today: "object",
        history: "array",
        mailbox_count: "number",
        mailbox_limit: "number",
        pending_review_count: "number",
        storage: "object",
        tier: "string",
      },
      "UsageResponse",
    );
    assertShape(
      u.body.storage,
      {
        used_bytes: "number",
        limit_bytes: "number|null",
        percent_used: "number|null",
        state: "string",
        breakdown: "object",
      },
      "storage",
    );
  });
});
