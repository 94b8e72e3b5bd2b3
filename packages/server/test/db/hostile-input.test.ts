import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { dbLabel, rawMessage, startTestServer, type TestServer } from "../helpers.ts";

/**
 * Walks the live OpenAPI document and sends every route a catalogue of hostile values — in each path parameter,
 * each query parameter and each body field of an otherwise valid request — asserting a JSON answer with a `code`
 * for every refusal and never a 5xx. A route added tomorrow is walked tomorrow, with no change here.
 */

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
const UUID0 = "00000000-0000-0000-0000-000000000000";

/** Text values: for paths, query strings and string body fields. */
const HOSTILE_TEXT = [
  "a\u0000b",
  "\ud800",
  "x\udc00y",
  "",
  " ",
  "x".repeat(5000),
  "notauuid",
  UUID0,
  "../../etc/passwd",
  "' or 1=1 --",
  "1.5",
  "1e30",
  "1e400",
  "-1",
  "0000-01-01T00:00:00Z",
  "2026-12-31T23:59:60Z",
  "9999-12-31T23:59:59-14:00",
  "2026-02-30T00:00:00Z",
  // Forged cursors of every shape the API hands out.
  b64({ t: "not a time", i: "not a uuid" }),
  b64({ t: "0000-01-01T00:00:00Z", i: UUID0 }),
  b64({ s: 1e30 }),
  b64({ s: 1.5 }),
  b64({ s: -1 }),
  b64('{"s":1e400}'),
  b64({ i: "99999999999999999999" }),
  b64({ i: "1e30" }),
  b64("not json"),
  "!!!",
];

/** Whole JSON values (raw text) for body fields: wrong types, extremes, depth. */
const HOSTILE_JSON = [
  "1.5",
  "-1",
  "1e30",
  "1e400",
  "true",
  "null",
  "[]",
  "{}",
  JSON.stringify("x".repeat(200_000)),
  `${"[".repeat(2000)}${"]".repeat(2000)}`,
  JSON.stringify(Array.from({ length: 2000 }, () => "a@example.com")),
];

/** Whole bodies sent as application/json. */
const HOSTILE_BODIES = ["not json", "", "[".repeat(100_000), '{"a":1e400}', '"\\u0000"', "[]", "null"];

/**
 * Percent-encoding that keeps what encodeURIComponent refuses: an unpaired surrogate goes out as its three
 * WTF-8 bytes (%ED%A0%80), which is what a hostile client would send.
 */
function encode(v: string): string {
  let out = "";
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff)
      out +=
        `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  minLength?: number;
  minItems?: number;
}

/** A plausible valid value for a schema, so that one hostile field at a time reaches the handler. */
function sample(s: Schema | undefined, name = ""): unknown {
  if (!s) return "x";
  if (s.enum) return s.enum[0];
  if (s.anyOf) return sample(s.anyOf[0], name);
  switch (s.type) {
    case "integer":
    case "number":
      return s.minimum ?? 1;
    case "boolean":
      return false;
    case "array":
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sample(s.items, name));
    case "object":
      return Object.fromEntries((s.required ?? []).map((k) => [k, sample(s.properties?.[k], k)]));
    case "null":
      return null;
  }
  if (s.format === "uuid") return randomUUID();
  if (s.format === "date-time") return new Date().toISOString();
  if (/url/.test(name)) return "http://127.0.0.1:9/postbox";
  if (/mailbox/.test(name)) return "fuzz";
  if (/^(to|cc|bcc|email|address|sender|from)$/.test(name) || s.format === "email") return "ok@example.com";
  return "x".repeat(Math.max(1, s.minLength ?? 1));
}

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: "path" | "query"; schema?: Schema }[];
  body: Schema | null;
  bodyType: string | null;
}

describe(`every route answers hostile input with a coded 4xx, never a 5xx (${dbLabel})`, () => {
  let t: TestServer;
  let key: string;
  let agentKey: string;
  /** Whose key the walk uses: the admin's reaches every handler, the agent's the scope checks on the way. */
  let caller: "admin" | "agent" = "admin";
  const ids: Record<string, string> = {};
  let operations: Operation[] = [];

  before(async () => {
    // Webhook fixtures point at a closed loopback port: nothing leaves the machine.
    t = await startTestServer({ POSTBOX_WEBHOOK_ALLOW_PRIVATE: "1" });
    key = t.adminKey;
    const pb = t.client();
    const mb = await pb.mailboxes.create({ name: "fuzz" });
    ids.mailboxes = mb.id;
    const ingest = await t.api("POST", "/v1/ingest?rcpt_to=fuzz@test.local", {
      raw: rawMessage({ to: "fuzz@test.local" }),
      headers: { "content-type": "message/rfc822" },
    });
    await t.pb.drain();
    ids.messages = String(ingest.body.accepted[0].message_id);
    ids.threads = (await pb.messages.get(ids.messages)).thread_id!;
    ids.drafts = (
      await pb.drafts.create({ from_mailbox: "fuzz", to: "ok@example.com", subject: "d", body: "d" })
    ).id;
    const agent = await pb.apiKeys.create({ role: "agent", mailbox_ids: ["fuzz"] });
    ids["api-keys"] = agent.id;
    agentKey = agent.api_key;
    ids.webhooks = (
      await t.api("POST", "/v1/webhooks", {
        body: { url: "http://127.0.0.1:9/postbox", enabled_events: ["message.received"] },
      })
    ).body.id;
    assert.ok(ids.webhooks, "fixture webhook");

    const doc = (await t.api("GET", "/v1/openapi.json", { key: null })).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: Operation["params"];
            requestBody?: { content: Record<string, { schema?: Schema }> };
          }
        >
      >;
    };
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const [bodyType, content] = Object.entries(op.requestBody?.content ?? {})[0] ?? [null, null];
        operations.push({
          method: method.toUpperCase(),
          path,
          params: (op.parameters ?? []).filter((p) => p.in === "path" || p.in === "query"),
          body: content?.schema ?? null,
          bodyType,
        });
      }
    // Deletions last, so the fixtures stay in place while the rest is walked.
    operations = [
      ...operations.filter((o) => o.method !== "DELETE"),
      ...operations.filter((o) => o.method === "DELETE"),
    ];
  });
  after(() => t.stop());

  /** The fixture a path parameter names by default: the resource of the segment before it, else a fresh UUID. */
  function pathValue(path: string, name: string): string {
    const segments = path.split("/");
    const at = segments.indexOf(`{${name}}`);
    const resource = segments[at - 1] ?? "";
    if (name === "email" || name === "address") return "ok@example.com";
    return ids[resource] ?? randomUUID();
  }

  const problems: string[] = [];
  let sent = 0;

  async function send(
    op: Operation,
    path: Record<string, string>,
    query: Record<string, string>,
    body: string | null,
  ) {
    let url = op.path.replace(/\{(\w+)\}/g, (_, n: string) => encode(path[n] ?? pathValue(op.path, n)));
    const qs = Object.entries(query)
      .map(([k, v]) => `${encode(k)}=${encode(v)}`)
      .join("&");
    if (qs) url += `?${qs}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${caller === "admin" ? key : agentKey}`,
    };
    if (body !== null)
      headers["content-type"] = op.bodyType === "message/rfc822" ? "message/rfc822" : "application/json";
    sent++;
    const res = await fetch(t.baseUrl + url, {
      method: op.method,
      headers,
      body,
      signal: AbortSignal.timeout(90_000),
    });
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("text/event-stream")) {
      await res.body?.cancel();
      return;
    }
    const text = await res.text();
    const what = `${op.method} ${url.slice(0, 200)} body=${(body ?? "").slice(0, 80)}`;
    if (res.status >= 500) problems.push(`${res.status} ${what}: ${text.slice(0, 200)}`);
    else if (res.status >= 400) {
      let code: unknown;
      try {
        code = JSON.parse(text).code;
      } catch {}
      if (typeof code !== "string" || !/^[A-Z][A-Z0-9_]+$/.test(code))
        problems.push(`${res.status} without a JSON code: ${what}: ${text.slice(0, 200)}`);
    }
    // The dashboard's session routes authenticate by the key in their body or the cookie, never the bearer key.
    if (res.status === 401 && !op.path.startsWith("/v1/dashboard/session"))
      problems.push(`the fuzzing key stopped working at ${what}`);
    // A key rotation hands back the caller's new key: carry on with it.
    const rotated = /^\{/.test(text) ? (JSON.parse(text) as { api_key?: unknown }).api_key : undefined;
    if (op.path.endsWith("/rotate") && typeof rotated === "string") {
      if (caller === "admin") key = rotated;
      else agentKey = rotated;
    }
  }

  it("walks every path parameter, query parameter and body field", async (ctx) => {
    assert.ok(operations.length > 50, `the document lists ${operations.length} operations`);
    for (const op of operations) {
      const baseQuery = Object.fromEntries(
        op.params
          .filter((p) => p.in === "query" && p.name === "timeout")
          .map((p) => [p.name, String(sample(p.schema, p.name))]),
      );
      const baseBody = op.body ? (sample(op.body) as Record<string, unknown>) : {};
      const bodyText = (o: unknown) =>
        op.method === "GET" || op.method === "DELETE" ? null : JSON.stringify(o);
      for (const p of op.params)
        for (const v of HOSTILE_TEXT) {
          if (p.in === "path") await send(op, { [p.name]: v }, baseQuery, bodyText(baseBody));
          else await send(op, {}, { ...baseQuery, [p.name]: v }, bodyText(baseBody));
        }
      if (op.method === "GET" || op.method === "DELETE") continue;
      const fields = Object.keys(op.body?.properties ?? {});
      for (const field of fields.length > 0 ? fields : ["value"]) {
        for (const v of HOSTILE_TEXT)
          await send(op, {}, baseQuery, JSON.stringify({ ...baseBody, [field]: v }));
        for (const raw of HOSTILE_JSON) {
          const rest = JSON.stringify({ ...baseBody, [field]: undefined }).slice(1, -1);
          await send(op, {}, baseQuery, `{${rest}${rest ? "," : ""}${JSON.stringify(field)}:${raw}}`);
        }
      }
      for (const raw of HOSTILE_BODIES) await send(op, {}, baseQuery, raw);
    }
    ctx.diagnostic(`${sent} requests to ${operations.length} operations`);
    assert.deepEqual(problems.slice(0, 30), [], `${problems.length} problems in ${sent} requests`);
  });

  it("walks every route with an agent key too (a shorter catalogue: the scope checks come first)", async (ctx) => {
    caller = "agent";
    const before = sent;
    const values = [
      "a\u0000b",
      "\ud800",
      "x".repeat(5000),
      "notauuid",
      UUID0,
      b64({ t: "x", i: "y" }),
      "1e400",
    ];
    for (const op of operations) {
      const body =
        op.method === "GET" || op.method === "DELETE" ? null : JSON.stringify(sample(op.body ?? undefined));
      for (const p of op.params)
        for (const v of values) {
          if (p.in === "path") await send(op, { [p.name]: v }, {}, body);
          else await send(op, {}, { [p.name]: v }, body);
        }
      if (body === null) continue;
      for (const field of Object.keys(op.body?.properties ?? { value: 1 }))
        for (const v of values)
          await send(op, {}, {}, JSON.stringify({ ...(sample(op.body ?? undefined) as object), [field]: v }));
    }
    caller = "admin";
    ctx.diagnostic(`${sent - before} requests with an agent key`);
    assert.deepEqual(problems.slice(0, 30), [], `${problems.length} problems`);
  });

  it("refuses bad HTTP and bad URLs in the same envelope", async () => {
    const tooLong = await fetch(`${t.baseUrl}/v1/health`, { headers: { "x-big": "x".repeat(20_000) } });
    assert.equal(tooLong.status, 431);
    assert.equal(((await tooLong.json()) as { code: string }).code, "HEADERS_TOO_LARGE");
    const badUrl = await t.api("GET", "/v1/mailboxes/%E0%A4%A", { key });
    assert.equal(badUrl.status, 400);
    assert.equal(badUrl.body.code, "INVALID_URL");
    const nul = await t.api("GET", "/v1/mailboxes/a%00b", { key });
    assert.equal(nul.status, 400);
    assert.equal(nul.body.code, "INVALID_STRING");
    assert.equal(nul.headers.get("x-content-type-options"), "nosniff");
  });

  it("names the kind of each bad value with its own code", async () => {
    const cases: [string, string, string][] = [
      ["GET", `/v1/mailboxes/fuzz/messages?cursor=${b64({ t: "x", i: "y" })}`, "INVALID_CURSOR"],
      ["GET", `/v1/mailboxes/fuzz/messages/wait?timeout=1&since=${b64({ s: 1e30 })}`, "INVALID_CURSOR"],
      ["GET", `/v1/events?after=${b64({ i: "99999999999999999999" })}`, "INVALID_CURSOR"],
      ["GET", "/v1/mailboxes/fuzz/messages?since=0000-01-01T00:00:00Z", "INVALID_DATE"],
      ["GET", "/v1/mailboxes/fuzz/messages?since=2026-12-31T23:59:60Z", "INVALID_DATE"],
      ["GET", "/v1/mailboxes/fuzz/messages?thread_id=notauuid", "INVALID_ID"],
      ["GET", "/v1/mailboxes/fuzz/messages?limit=1.5", "VALIDATION_ERROR"],
    ];
    for (const [method, path, code] of cases) {
      const res = await t.api(method, path, { key });
      assert.equal(res.status, 400, path);
      assert.equal(res.body.code, code, path);
    }
  });

  it("stores a send_at of year 0001 as year 0001, not 2001", async () => {
    const draft = await t.client(key).drafts.create({
      from_mailbox: "fuzz",
      to: "ok@example.com",
      subject: "old",
      body: "old",
      send_at: "0001-01-01T00:00:00Z",
    });
    assert.equal(draft.send_at, "0001-01-01T00:00:00.000Z");
    assert.equal((await t.client(key).drafts.get(draft.id)).send_at, "0001-01-01T00:00:00.000Z");
  });
});
