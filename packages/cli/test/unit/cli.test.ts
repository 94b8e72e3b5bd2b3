import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandNames, VERSION } from "../../src/cli.ts";
import { arity } from "../../src/command.ts";
import { cli } from "../in-process.ts";

const KEY = { POSTBOX_API_KEY: "pbx_test_key", POSTBOX_URL: "http://api.test" };

/** A scripted server: each request is answered by the first route whose method and path match. */
function server(
  routes: Record<string, (req: { url: URL; body: unknown; headers: Headers }) => [number, unknown]>,
) {
  const seen: { method: string; path: string; body: unknown; headers: Headers }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const headers = new Headers(init?.headers);
    seen.push({ method, path: url.pathname, body, headers });
    const route = routes[`${method} ${url.pathname}`];
    if (!route) return Response.json({ error: "no route", code: "NOT_FOUND" }, { status: 404 });
    const [status, answer] = route({ url, body, headers });
    return Response.json(answer, { status });
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const summary = (id: string, subject: string) => ({
  id,
  direction: "inbound",
  state: "available",
  sender: "ann@example.org",
  to: ["support@test.local"],
  subject,
  body_preview: "hi",
  starred: false,
  read_at: null,
  created_at: "2026-11-27T10:00:00.000Z",
});

describe("the CLI's command line", () => {
  it("knows how many positionals each synopsis allows", () => {
    assert.deepEqual(arity(""), { min: 0, max: 0 });
    assert.deepEqual(arity("<mailbox>"), { min: 1, max: 1 });
    assert.deepEqual(arity("<webhook id> <delivery id>"), { min: 2, max: 2 });
    assert.deepEqual(arity("<mailbox> <address or @domain>..."), { min: 2, max: Number.POSITIVE_INFINITY });
    assert.deepEqual(arity("<mailbox> [<cursor>]"), { min: 1, max: 2 });
  });

  it("gives every command (and alias) a --help that exits 0", async () => {
    const names = commandNames();
    for (const required of [
      "messages list",
      "messages read",
      "messages reply",
      "messages mark-read",
      "messages star",
      "messages unstar",
      "messages delete",
      "mailboxes list",
      "mailboxes create",
      "mailboxes get",
      "mailboxes update",
      "mailboxes delete",
      "drafts create",
      "drafts list",
      "drafts get",
      "drafts update",
      "drafts send",
      "drafts delete",
      "reviews list",
      "reviews approve",
      "reviews revise",
      "reviews deny",
      "quarantine release",
      "quarantine block",
      "quarantine report",
      "webhooks create",
      "webhooks list",
      "webhooks get",
      "webhooks update",
      "webhooks delete",
      "webhooks test",
      "webhooks rotate-secret",
      "webhooks deliveries list",
      "webhooks deliveries retry",
      "suppressions list",
      "suppressions add",
      "suppressions remove",
      "allowlist list",
      "allowlist add",
      "allowlist remove",
      "keys list",
      "keys create",
      "keys rotate",
      "keys revoke",
      "keys rebind",
      "wait",
      "send",
      "serve",
      "pii",
      "scan",
      "policy set",
      "audit",
      "events",
      "mailbox create",
    ])
      assert.ok(names.includes(required), `postbox ${required} exists`);
    for (const name of names) {
      const r = await cli([...name.split(" "), "--help"], {});
      assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: postbox /, name);
      assert.match(r.stdout, /--json/, `${name} --help lists the global options`);
    }
    const viaHelp = await cli(["help", "webhooks", "deliveries", "retry"], {});
    assert.match(viaHelp.stdout, /^Usage: postbox webhooks deliveries retry <webhook id> <delivery id>/);
  });

  it("prints the overview, group help and the version", async () => {
    const top = await cli([], {});
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Exit codes: 0 done/);
    assert.equal((await cli(["--help"], {})).stdout, top.stdout);
    const group = await cli(["webhooks", "--help"], {});
    assert.equal(group.code, 0);
    assert.match(group.stdout, /webhooks deliveries retry <webhook id> <delivery id>/);
    const version = await cli(["--version"], {});
    assert.equal(version.stdout, `postbox ${VERSION}\n`);
    assert.deepEqual((await cli(["--json", "-V"], {})).json(), { version: VERSION });
  });

  it("answers usage errors with exit 2, as text or as {error, code, details} under --json", async () => {
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /unknown command: frobnicate/],
      [["messages"], /which messages command\? \(one of: send, list, read, get, reply/],
      [["messages", "frob"], /unknown command: messages frob/],
      [["messages", "list"], /missing <mailbox>/],
      [["messages", "list", "a", "b"], /unexpected argument: b/],
      [["messages", "list", "a", "--nope"], /Unknown option '--nope'/],
      [["messages", "list", "a", "--limit", "0"], /--limit must be a whole number from 1 to 100/],
      [["messages", "list", "a", "--direction", "sideways"], /--direction must be one of inbound, outbound/],
      [["wait", "box", "--count=-1"], /--count must be a whole number/],
      [["keys", "create", "--role", "root"], /--role must be admin, agent or ingest/],
      [["send", "--from", "a", "--to", "b@x.test"], /--from, --to and --subject are required/],
      [["mailboxes", "update", "a"], /nothing to change/],
      [["--frob", "mailboxes", "list"], /unknown option --frob/],
    ];
    for (const [args, message] of cases) {
      const text = await cli(args, KEY);
      assert.equal(text.code, 2, `${args.join(" ")}: ${text.stderr}`);
      assert.match(text.stderr, message);
      assert.equal(text.stdout, "");
      const json = await cli([...args, "--json"], KEY);
      assert.equal(json.code, 2);
      const e = json.error();
      assert.equal(e.code, "USAGE_ERROR");
      assert.match(e.error, message);
    }
    const withUsage = (await cli(["webhooks", "deliveries", "retry", "w1", "--json"], KEY)).error();
    assert.deepEqual(withUsage.details, {
      usage: "postbox webhooks deliveries retry <webhook id> <delivery id>",
    });
  });

  it("maps each kind of failure to its exit code", async () => {
    const noKey = await cli(["mailboxes", "list", "--json"], { POSTBOX_URL: KEY.POSTBOX_URL });
    assert.equal(noKey.code, 3);
    assert.equal(noKey.error().code, "API_KEY_REQUIRED");
    const answers: [number, unknown, number, string][] = [
      [401, { error: "invalid API key", code: "INVALID_API_KEY" }, 3, "INVALID_API_KEY"],
      [403, { error: "admin keys only", code: "INSUFFICIENT_SCOPE" }, 1, "INSUFFICIENT_SCOPE"],
      [404, { error: "no such mailbox", code: "MAILBOX_NOT_FOUND" }, 1, "MAILBOX_NOT_FOUND"],
      [409, { error: "exists", code: "MAILBOX_EXISTS", details: { name: "a" } }, 1, "MAILBOX_EXISTS"],
      [429, { error: "slow down", code: "RATE_LIMITED" }, 1, "RATE_LIMITED"],
      [500, { error: "oops", code: "INTERNAL_ERROR" }, 4, "INTERNAL_ERROR"],
      [503, { error: "shutting down", code: "UNAVAILABLE" }, 4, "UNAVAILABLE"],
    ];
    for (const [status, body, exit, code] of answers) {
      const { fetch } = server({ "GET /v1/mailboxes/a": () => [status, body] });
      const r = await cli(["mailboxes", "get", "a", "--json"], KEY, { fetch });
      assert.equal(r.code, exit, `HTTP ${status}`);
      assert.equal(r.error().code, code);
      assert.equal(r.stdout, "");
    }
    const conflict = server({
      "GET /v1/mailboxes/a": () => [409, { error: "exists", code: "X", details: { n: 1 } }],
    });
    assert.deepEqual((await cli(["mailboxes", "get", "a", "--json"], KEY, conflict)).error().details, {
      n: 1,
    });
    const text = await cli(["mailboxes", "get", "a"], KEY, conflict);
    assert.match(text.stderr, /^postbox: exists \(X\)\n {2}details: \{"n":1\}\n$/);

    const invalid = server({
      "PUT /v1/mailboxes/a/policy": () => [
        422,
        { error: "invalid policy", code: "VALIDATION_ERROR", errors: ["defaultAction must be one of"] },
      ],
    });
    const bad = await cli(["policy", "set", "a", "-", "--json"], KEY, { fetch: invalid.fetch, stdin: "{}" });
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.error().details, { errors: ["defaultAction must be one of"] });
    const badText = await cli(["policy", "set", "a", "-"], KEY, { fetch: invalid.fetch, stdin: "{}" });
    assert.match(badText.stderr, /\n {2}- defaultAction must be one of/);

    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const unreachable = await cli(["mailboxes", "list", "--json"], KEY, { fetch: down });
    assert.equal(unreachable.code, 4);
    assert.equal(unreachable.error().code, "CONNECTION_ERROR");
  });

  it("exits 0 for held and quarantined sends unless --strict, and 5 when a check says no", async () => {
    const held = server({
      "POST /v1/messages/send": ({ headers }) =>
        headers.get("prefer") === "outcome=strict"
          ? [409, { error: "held for review", code: "EMAIL_EFFECT_HELD" }]
          : [
              200,
              {
                message_id: "m1",
                status: "pending_review",
                thread_id: "t1",
                scan: { verdict: "review_required", categories: [], findings: [] },
                hold_context: {
                  trigger_source: "mailbox_policy",
                  summary_reasons: ["every send is reviewed"],
                },
              },
            ],
    });
    const args = ["send", "--from", "a", "--to", "b@x.test", "--subject", "s", "--body", "b"];
    const r = await cli(args, KEY, held);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pending_review: message m1 \(thread t1\)\n {2}held: every send is reviewed/);
    const strict = await cli([...args, "--strict", "--json"], KEY, held);
    assert.equal(strict.code, 1);
    assert.equal(strict.error().code, "EMAIL_EFFECT_HELD");

    const rejected = server({
      "POST /v1/mailboxes/a/policy/test": () => [
        200,
        { outcome: "rejected_at_policy", reason: "sender is not allowed", disposition: "reject", trace: [] },
      ],
    });
    assert.equal((await cli(["policy", "test", "a", "--from", "x@y.test"], KEY, rejected)).code, 5);
  });

  it("sends what the options say, to the SDK's routes", async () => {
    const s = server({
      "PATCH /v1/mailboxes/a": ({ body }) => [200, { id: "a", ...(body as object) }],
      "POST /v1/messages/m1/approve": () => [200, { id: "m1", state: "dispatching" }],
      "POST /v1/messages/m1/revise": () => [200, { id: "m1", state: "pending_review", scan: null }],
      "POST /v1/webhooks": ({ body }) => [201, { id: "w1", ...(body as object), signing_secret: "whsec_x" }],
      "GET /v1/webhooks/w1/deliveries": ({ url }) => [
        200,
        { deliveries: [], has_more: false, next_before_at: null, next_before_id: null, q: url.search },
      ],
      "POST /v1/suppressions/bulk": () => [
        200,
        {
          added: ["a@x.test"],
          already_existed: [],
          invalid: [{ email: "nope", reason: "not an address" }],
          counts: { added: 1, already_existed: 0, invalid: 1, total: 2 },
        },
      ],
    });
    const upd = await cli(
      [
        "mailboxes",
        "update",
        "a",
        "--hitl-mode",
        "all_outbound",
        "--injection-threshold",
        "default",
        "--inbound-allowlist",
        "a@x.test,@y.test",
        "--json",
      ],
      KEY,
      s,
    );
    assert.equal(upd.code, 0, upd.stderr);
    assert.deepEqual(s.seen.at(-1)!.body, {
      hitl_mode: "all_outbound",
      injection_threshold: null,
      inbound_sender_allowlist: ["a@x.test", "@y.test"],
    });
    assert.equal((await cli(["reviews", "approve", "m1", "--reason", "looks fine"], KEY, s)).code, 0);
    assert.deepEqual(s.seen.at(-1)!.body, { note: "looks fine" });
    const revised = await cli(
      ["reviews", "revise", "m1", "--body", "New text", "--html", "", "--reason", "r"],
      KEY,
      s,
    );
    assert.equal(revised.code, 0, revised.stderr);
    assert.deepEqual(s.seen.at(-1)!.body, { text: "New text", html: null, note: "r" });
    const nothing = await cli(["reviews", "revise", "m1", "--reason", "r"], KEY, s);
    assert.equal(nothing.code, 2, "a usage error: nothing to revise");
    const hook = await cli(
      [
        "webhooks",
        "create",
        "--url",
        "https://h.test/x",
        "--events",
        "message.received,message.sent",
        "--json",
      ],
      KEY,
      s,
    );
    assert.equal(hook.json().signing_secret, "whsec_x");
    assert.deepEqual(s.seen.at(-1)!.body, {
      url: "https://h.test/x",
      enabled_events: ["message.received", "message.sent"],
    });
    const page = await cli(
      ["webhooks", "deliveries", "list", "w1", "--cursor", "2026-11-27T10:00:00.000Z|d9", "--json"],
      KEY,
      s,
    );
    assert.deepEqual(page.json(), { data: [], has_more: false, cursor: null });
    assert.match(s.seen.at(-1)!.path, /deliveries$/);
    const bulk = await cli(["suppressions", "add", "a@x.test", "nope"], KEY, s);
    assert.equal(bulk.code, 1, "an invalid entry makes the exit code 1");
    assert.match(bulk.stdout, /added 1, already there 0, invalid 1\n {2}invalid: nope \(not an address\)/);
  });

  it("wait follows the cursor: one JSON line per message, then stops at --count", async () => {
    const answers = [
      { message: summary("m1", "one"), cursor: "c1" },
      { message: null, cursor: "c1" },
      { message: summary("m2", "two"), cursor: "c2" },
    ];
    const s = server({ "GET /v1/mailboxes/box/messages/wait": () => [200, answers.shift()] });
    const r = await cli(["wait", "box", "--count", "2", "--json"], KEY, s);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.lines().map((l) => [l.message.id, l.cursor]),
      [
        ["m1", "c1"],
        ["m2", "c2"],
      ],
    );
    assert.deepEqual(
      s.seen.map((x) => x.headers.get("authorization")),
      ["Bearer pbx_test_key", "Bearer pbx_test_key", "Bearer pbx_test_key"],
    );
  });

  it("wait ends at --timeout with a null line (exit 0), and asks again after a server restart", async () => {
    let calls = 0;
    const polls: string[] = [];
    const fetch = (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      polls.push(url.searchParams.get("since") ?? "");
      calls++;
      if (calls === 2) throw new TypeError("fetch failed");
      if (calls === 3) return Response.json({ message: summary("m1", "back"), cursor: "c3" });
      return Response.json({ message: null, cursor: `c${calls}` });
    }) as typeof globalThis.fetch;
    const r = await cli(["wait", "box", "--count", "0", "--timeout", "1", "--json"], KEY, { fetch });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.lines();
    assert.equal(lines[0].message.id, "m1");
    assert.equal(lines.at(-1).message, null);
    assert.equal(polls[0], "", "the first poll starts from the oldest unread message");
    assert.equal(polls[1], "c1", "each poll passes the previous answer's cursor");
    assert.equal(polls[3], "c3");

    const never = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof globalThis.fetch;
    const down = await cli(["wait", "box", "--json"], KEY, { fetch: never });
    assert.equal(down.code, 4, "a server never reached is an error at once");
    assert.equal(down.error().code, "CONNECTION_ERROR");
  });
});
