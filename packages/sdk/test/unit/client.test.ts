import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  AuthenticationError,
  ConnectionError,
  NotFoundError,
  Postbox,
  PostboxError,
  RateLimitError,
  type RetryInfo,
  ValidationError,
} from "../../src/index.ts";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on loopback whose answers each test scripts. */
describe("SDK retry contract and errors", () => {
  let server: Server;
  let baseUrl: string;
  let script: Handler[] = [];
  let seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const next = script.shift();
        if (next) next(req, res, body);
        else json(500, { error: "script exhausted", code: "INTERNAL_ERROR" })(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    script = [];
    seen = [];
  });

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
    (_req, res) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
  const client = (opts: Partial<ConstructorParameters<typeof Postbox>[0]> = {}) =>
    new Postbox({ apiKey: "pbx_live_aaaaaaaaaaaaaaaa.key", baseUrl, ...opts });
  const mailbox = {
    id: "m1",
    name: "support",
    address: "support@x",
    display_name: null,
    created_at: "",
    updated_at: "",
  };

  it("sends the bearer key and JSON body", async () => {
    script = [json(201, mailbox)];
    const mb = await client().mailboxes.create({ name: "support" });
    assert.equal(mb.id, "m1");
    assert.equal(seen[0]!.headers.authorization, "Bearer pbx_live_aaaaaaaaaaaaaaaa.key");
    assert.equal(seen[0]!.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(seen[0]!.body), { name: "support" });
  });

  it("retries 429 on a POST, honouring Retry-After, and reports each retry", async () => {
    script = [
      json(429, { error: "slow down", code: "RATE_LIMITED" }, { "retry-after": "0" }),
      json(200, { message_id: "x" }),
    ];
    const retries: RetryInfo[] = [];
    const res = await client({ onRetry: (i) => void retries.push(i) }).messages.send({
      from_mailbox: "a",
      to: "b@c.d",
      subject: "s",
      body: "b",
    });
    assert.equal(res.message_id, "x");
    assert.equal(seen.length, 2);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]!.method, "POST");
    assert.equal(retries[0]!.delaySeconds, 0);
    assert.ok(retries[0]!.error instanceof RateLimitError);
  });

  it("never retries a multipart upload, not even on 429; sends the form with its boundary", async () => {
    script = [json(429, { error: "slow down", code: "RATE_LIMITED" }, { "retry-after": "0" })];
    await assert.rejects(
      client().attachments.upload({ mailbox_id: "a", file: new Uint8Array([1, 2, 3]), filename: "x.bin" }),
      RateLimitError,
    );
    assert.equal(seen.length, 1);
    assert.match(String(seen[0]!.headers["content-type"]), /^multipart\/form-data; boundary=/);
    assert.match(seen[0]!.body, /name="mailbox_id"\r\n\r\na\r\n/);
    assert.match(seen[0]!.body, /name="file"; filename="x.bin"/);
  });

  it("raises RateLimitError when Retry-After exceeds the cap, without sleeping", async () => {
    script = [json(429, { error: "hour bucket", code: "RATE_LIMITED" }, { "retry-after": "3600" })];
    await assert.rejects(client({ maxRetryAfterSeconds: 30 }).mailboxes.list(), (e: unknown) => {
      assert.ok(e instanceof RateLimitError);
      assert.equal(e.retryAfter, 3600);
      assert.equal(e.code, "RATE_LIMITED");
      return true;
    });
    assert.equal(seen.length, 1);
  });

  it("retries 5xx on GET but never on POST", async () => {
    script = [
      json(503, { error: "down", code: "UNAVAILABLE" }),
      json(200, { mailboxes: [mailbox], has_more: false, next_cursor: null }),
    ];
    const page = await client({ onRetry: () => {} }).mailboxes.list();
    assert.equal(page.data.length, 1);
    assert.equal(seen.length, 2);

    seen = [];
    script = [json(500, { error: "boom", code: "INTERNAL_ERROR" }), json(201, mailbox)];
    await assert.rejects(
      client().mailboxes.create({ name: "x" }),
      (e: unknown) => e instanceof PostboxError && e.status === 500,
    );
    assert.equal(seen.length, 1);
    script = [];
  });

  it("fails fast with maxRetries: 0", async () => {
    script = [json(429, { error: "slow", code: "RATE_LIMITED" }, { "retry-after": "0" })];
    await assert.rejects(client({ maxRetries: 0 }).mailboxes.list(), RateLimitError);
    assert.equal(seen.length, 1);
  });

  it("gives up after maxRetries", async () => {
    script = Array.from({ length: 3 }, () =>
      json(429, { error: "slow", code: "RATE_LIMITED" }, { "retry-after": "0" }),
    );
    await assert.rejects(client({ maxRetries: 2 }).mailboxes.list(), RateLimitError);
    assert.equal(seen.length, 3);
  });

  it("swallows a throwing onRetry hook", async () => {
    script = [
      json(429, {}, { "retry-after": "0" }),
      json(200, { status: "ok", version: "1", database: { status: "ok", kind: "pglite" } }),
    ];
    const h = await client({
      onRetry: () => {
        throw new Error("hook broke");
      },
    }).health.check();
    assert.equal(h.status, "ok");
  });

  it("maps statuses to error classes with code, details and field errors", async () => {
    script = [
      json(400, {
        error: "body.name is required",
        code: "VALIDATION_ERROR",
        errors: ["body.name is required"],
        details: { errors: ["body.name is required"] },
      }),
      json(401, { error: "bad key", code: "INVALID_API_KEY" }),
      json(404, { error: "no mailbox", code: "NOT_FOUND" }),
    ];
    await assert.rejects(client().mailboxes.create({ name: "" }), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(e.fieldErrors, ["body.name is required"]);
      assert.equal(e.status, 400);
      return true;
    });
    await assert.rejects(
      client().mailboxes.get("x"),
      (e: unknown) => e instanceof AuthenticationError && e.code === "INVALID_API_KEY",
    );
    await assert.rejects(client().mailboxes.get("x"), NotFoundError);
  });

  it("raises ConnectionError when nothing answers, retrying reads only", async () => {
    const dead = new Postbox({
      apiKey: "k",
      baseUrl: "http://127.0.0.1:1",
      maxRetries: 1,
      onRetry: () => {},
    });
    await assert.rejects(
      dead.health.check(),
      (e: unknown) => e instanceof ConnectionError && e.code === "CONNECTION_ERROR",
    );
  });

  it("times out slow requests", async () => {
    script = [(_req, res) => setTimeout(() => json(200, {})(_req, res, ""), 3000)];
    await assert.rejects(
      client({ timeout: 0.2, maxRetries: 0 }).messages.send({
        from_mailbox: "a",
        to: "b@c.d",
        subject: "s",
        body: "b",
      }),
      (e: unknown) => e instanceof ConnectionError && e.code === "TIMEOUT",
    );
  });

  it("streams the export past the timeout: only the wait for its headers is bounded", async () => {
    script = [
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/zip" });
        res.write("PK-first");
        // The body outlasts the client's timeout (2 s); the headers came at once.
        setTimeout(() => res.end("-last"), 2500);
      },
    ];
    const body = await client({ timeout: 2, maxRetries: 0 }).accounts.export();
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), "PK-first-last");
    assert.equal(seen[0]!.url, "/v1/accounts/export?format=zip");
  });

  it("speaks the legal-hold routes as the seed's CLI does", async () => {
    const hold = { id: "h1", scope: "account", mailbox_id: null, status: "active" };
    script = [
      json(201, hold),
      json(200, { legal_holds: [hold], has_more: false, next_cursor: null }),
      json(200, { ...hold, status: "released" }),
    ];
    const pb = client();
    assert.equal((await pb.legalHolds.apply({ scope: "account", reason: "r" })).id, "h1");
    assert.equal((await pb.legalHolds.list({ include_released: true })).data.length, 1);
    assert.equal((await pb.legalHolds.release("h1", "done")).status, "released");
    assert.deepEqual(
      seen.map((r) => [r.method, r.url, r.body]),
      [
        ["POST", "/v1/legal-holds", JSON.stringify({ scope: "account", reason: "r" })],
        ["GET", "/v1/legal-holds?include_released=true", ""],
        ["POST", "/v1/legal-holds/h1/release", JSON.stringify({ release_reason: "done" })],
      ],
    );
  });

  it("auto-paginates with the cursor", async () => {
    script = [
      json(200, {
        mailboxes: [
          { ...mailbox, id: "1" },
          { ...mailbox, id: "2" },
        ],
        has_more: true,
        next_cursor: "c1",
      }),
      json(200, { mailboxes: [{ ...mailbox, id: "3" }], has_more: false, next_cursor: null }),
    ];
    const ids = [];
    for await (const m of client().mailboxes.list({ limit: 2, autoPaginate: true })) ids.push(m.id);
    assert.deepEqual(ids, ["1", "2", "3"]);
    assert.match(seen[1]!.url, /cursor=c1/);
  });

  it("sends Idempotency-Key and keeps it out of the body", async () => {
    script = [json(200, { message_id: "m" })];
    await client().messages.reply("abc", { body: "hi", idempotencyKey: "k-1" });
    assert.equal(seen[0]!.headers["idempotency-key"], "k-1");
    assert.deepEqual(JSON.parse(seen[0]!.body), { body: "hi" });
    assert.equal(seen[0]!.url, "/v1/messages/abc/reply");
  });

  it("asks what a send with an Idempotency-Key answered, and reads the DKIM record", async () => {
    script = [
      json(200, { message_id: "m9", status: "sent" }),
      json(404, { error: "no send with this key", code: "IDEMPOTENCY_KEY_NOT_FOUND" }),
      json(200, {
        domain: "x.test",
        selector: "s1",
        name: "s1._domainkey.x.test",
        type: "TXT",
        value: "v=DKIM1",
      }),
    ];
    const r = await client().messages.outcomeOf("k-7");
    assert.equal(r.message_id, "m9");
    assert.equal(seen[0]!.method, "GET");
    assert.equal(seen[0]!.url, "/v1/messages/idempotency");
    assert.equal(seen[0]!.headers["idempotency-key"], "k-7");
    await assert.rejects(client().messages.outcomeOf("k-8"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.code, "IDEMPOTENCY_KEY_NOT_FOUND");
      return true;
    });
    const dkim = await client().dkimRecord();
    assert.equal(dkim.name, "s1._domainkey.x.test");
    assert.equal(seen[2]!.url, "/v1/dkim");
  });

  it("puts the wait filters on the query under the API's names, and leaves out those not given", async () => {
    script = [json(200, { message: null, cursor: "c1" }), json(200, { message: null, cursor: "c2" })];
    const r = await client().messages.wait("support", {
      timeout: 5,
      since: "c0",
      from: "no-reply@example.com",
      subjectContains: "sign-in code",
      threadId: "6f1d2c3b-4a59-4e8f-8b7a-6c5d4e3f2a1b",
    });
    assert.equal(r.cursor, "c1");
    const url = new URL(seen[0]!.url, baseUrl);
    assert.equal(url.pathname, "/v1/mailboxes/support/messages/wait");
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      timeout: "5",
      since: "c0",
      from: "no-reply@example.com",
      subject_contains: "sign-in code",
      thread_id: "6f1d2c3b-4a59-4e8f-8b7a-6c5d4e3f2a1b",
    });
    await client().messages.wait("support", { timeout: 1, from: "@example.com" });
    assert.deepEqual(Object.fromEntries(new URL(seen[1]!.url, baseUrl).searchParams), {
      timeout: "1",
      from: "@example.com",
    });
  });

  it("requires an API key", () => {
    assert.throws(() => new Postbox({ apiKey: "" }), TypeError);
  });
});
