import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { DASHBOARD_CSP } from "../../src/api/routes/dashboard-pages.ts";
import type { Clock } from "../../src/domain/clock.ts";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";
import { readUntil, streamEnds } from "../streams.ts";

const HOUR = 3600 * 1000;
/** The API's clock: the real time moved forward by `skew` (session expiry and the sign-in window, without waiting). */
let skew = 0;
const clock: Clock = { now: () => new Date(Date.now() + skew) };

const APP_JS = `console.log(${JSON.stringify("dashboard ".repeat(200))});\n`;
const INDEX =
  '<!doctype html><html><head><script type="module" src="/dashboard/assets/app-3f9a.js"></script></head></html>\n';

/** A built dashboard in a temporary directory, with a file beside it that no request may reach. */
async function dashboardDir(): Promise<{ root: string; dist: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "postbox-dashboard-"));
  const dist = path.join(root, "dist");
  await mkdir(path.join(dist, "assets"), { recursive: true });
  await writeFile(path.join(dist, "index.html"), INDEX);
  await writeFile(path.join(dist, "assets", "app-3f9a.js"), APP_JS);
  await writeFile(path.join(dist, "assets", "app-3f9a.css"), "body{margin:0}\n");
  await writeFile(path.join(dist, "favicon.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  await writeFile(path.join(root, "secret.txt"), "TOP SECRET outside the bundle\n");
  return { root, dist };
}

/** A request sent byte for byte (fetch would normalise `..` away before sending it). */
function rawGet(
  port: number,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: target, method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

interface SignedIn {
  status: number;
  body: any;
  setCookie: string | null;
  /** `postbox_session=<secret>`, ready for a Cookie header. */
  cookie: string;
}

async function signIn(
  t: TestServer,
  apiKey: unknown,
  headers: Record<string, string> = {},
): Promise<SignedIn> {
  const res = await fetch(`${t.baseUrl}/v1/dashboard/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ api_key: apiKey }),
  });
  const setCookie = res.headers.getSetCookie()[0] ?? null;
  return {
    status: res.status,
    body: await res.json(),
    setCookie,
    cookie: setCookie ? setCookie.split(";")[0]! : "",
  };
}

/** A request authenticated by the session cookie only (no key header). */
function withCookie(
  t: TestServer,
  method: string,
  p: string,
  cookie: string,
  opts: { body?: unknown; csrf?: string } = {},
) {
  const headers: Record<string, string> = { cookie };
  if (opts.csrf !== undefined) headers["x-csrf-token"] = opts.csrf;
  return t.api(method, p, { key: null, headers, body: opts.body });
}

describe(`dashboard sessions (${dbLabel})`, () => {
  let t: TestServer;
  let dir: { root: string; dist: string };
  let agentKey: string;
  let ingestKey: string;

  before(async () => {
    dir = await dashboardDir();
    t = await startTestServer({ POSTBOX_DASHBOARD_DIR: dir.dist }, { clock });
    await t.client().mailboxes.create({ name: "home" });
    agentKey = (await t.client().apiKeys.create({ role: "agent", mailbox_ids: ["home"] })).api_key;
    ingestKey = (await t.client().apiKeys.create({ role: "ingest" })).api_key;
  });
  after(async () => {
    await t.stop();
    await rm(dir.root, { recursive: true, force: true });
  });

  it("signs in with an admin key: an httpOnly, SameSite=Strict cookie; the key is neither returned nor stored", async () => {
    const s = await signIn(t, t.adminKey);
    assert.equal(s.status, 201);
    assert.deepEqual(Object.keys(s.body).sort(), ["account_id", "api_key_id", "csrf_token", "expires_at"]);
    assert.ok(!JSON.stringify(s.body).includes(t.adminKey));
    const attrs = s.setCookie!.split(";").map((a) => a.trim());
    const secret = attrs[0]!.slice("postbox_session=".length);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(attrs.includes("HttpOnly"), s.setCookie!);
    assert.ok(attrs.includes("SameSite=Strict"), s.setCookie!);
    assert.ok(attrs.includes("Path=/"), s.setCookie!);
    assert.ok(attrs.includes(`Max-Age=${12 * 3600}`), s.setCookie!);
    // Plain HTTP, no trusted proxy: a Secure cookie would never come back. A client's X-Forwarded-Proto is no proxy.
    assert.ok(!attrs.includes("Secure"), s.setCookie!);
    const claimed = await signIn(t, t.adminKey, { "x-forwarded-proto": "https" });
    assert.ok(!claimed.setCookie!.includes("Secure"), claimed.setCookie!);
    assert.equal(
      new Date(s.body.expires_at).getTime() - clock.now().getTime() <= 12 * HOUR,
      true,
      "expires in 12 hours at most",
    );

    const [row] = await t.pb.db.query<Record<string, unknown>>(
      "select * from dashboard_sessions where secret_hash = $1",
      [createHash("sha256").update(secret).digest("hex")],
    );
    assert.ok(row, "the session is stored under the hash of the cookie's secret");
    assert.equal(row.api_key_id, s.body.api_key_id);
    assert.equal(row.csrf_token, s.body.csrf_token);
    const stored = JSON.stringify(await t.pb.db.query("select * from dashboard_sessions"));
    assert.ok(
      !stored.includes(secret) && !stored.includes(t.adminKey.split(".")[1]!),
      "no secret in the table",
    );
  });

  it("the cookie reads any route; GET /v1/dashboard/session answers the session with its CSRF token", async () => {
    const s = await signIn(t, t.adminKey);
    const mailboxes = await withCookie(t, "GET", "/v1/mailboxes", s.cookie);
    assert.equal(mailboxes.status, 200);
    assert.deepEqual(
      mailboxes.body.mailboxes.map((m: { name: string }) => m.name),
      ["home"],
    );
    const again = await withCookie(t, "GET", "/v1/dashboard/session", s.cookie);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, s.body);
    assert.equal(again.headers.get("cache-control"), "no-store");

    for (const cookie of [
      "",
      "postbox_session=",
      "postbox_session=nonsense",
      `postbox_session=${"A".repeat(43)}`,
    ]) {
      const none = await withCookie(t, "GET", "/v1/dashboard/session", cookie);
      assert.equal(none.status, 401, cookie);
      assert.equal(none.body.code, "UNAUTHENTICATED", cookie);
      const read = await withCookie(t, "GET", "/v1/mailboxes", cookie);
      assert.equal(read.status, 401, cookie);
    }
  });

  it("a change made with the cookie needs the session's token in x-csrf-token", async () => {
    const s = await signIn(t, t.adminKey);
    const other = await signIn(t, t.adminKey);
    for (const csrf of [undefined, "", "wrong", other.body.csrf_token as string]) {
      const refused = await withCookie(t, "POST", "/v1/mailboxes", s.cookie, {
        body: { name: "csrf-box" },
        csrf,
      });
      assert.equal(refused.status, 403, String(csrf));
      assert.equal(refused.body.code, "CSRF_TOKEN_INVALID", String(csrf));
    }
    assert.equal((await t.api("GET", "/v1/mailboxes/csrf-box")).status, 404, "nothing was created");
    const made = await withCookie(t, "POST", "/v1/mailboxes", s.cookie, {
      body: { name: "csrf-box" },
      csrf: s.body.csrf_token,
    });
    assert.equal(made.status, 201);
    assert.equal(made.body.name, "csrf-box");
  });

  it("a request with a key header ignores the cookie entirely", async () => {
    const s = await signIn(t, t.adminKey);
    const badKey = await t.api("GET", "/v1/mailboxes", {
      key: "pbx_live_0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      headers: { cookie: s.cookie },
    });
    assert.equal(badKey.status, 401);
    assert.equal(badKey.body.code, "INVALID_API_KEY");
    // The agent key acts as the agent, not as the admin whose cookie rides along.
    const agent = await t.api("GET", "/v1/accounts/api-keys", {
      key: agentKey,
      headers: { cookie: s.cookie },
    });
    assert.equal(agent.status, 403);
    assert.equal(agent.body.code, "INSUFFICIENT_SCOPE");
    // A bearer-authenticated change needs no CSRF token, cookie or not.
    const made = await t.api("POST", "/v1/mailboxes", {
      body: { name: "bearer-box" },
      headers: { cookie: s.cookie },
    });
    assert.equal(made.status, 201);
  });

  it("refuses agent and ingest keys (403), wrong keys (401) and malformed bodies (400)", async () => {
    for (const key of [agentKey, ingestKey]) {
      const s = await signIn(t, key);
      assert.equal(s.status, 403);
      assert.equal(s.body.code, "DASHBOARD_ADMIN_KEY_REQUIRED");
      assert.equal(s.setCookie, null);
    }
    const wrong = await signIn(t, "pbx_live_0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, "INVALID_API_KEY");
    assert.equal(wrong.setCookie, null);
    for (const bad of [42, "", null]) {
      const s = await signIn(t, bad);
      assert.equal(s.status, 400, String(bad));
      assert.equal(s.body.code, "VALIDATION_ERROR", String(bad));
    }
  });

  it("after 10 attempts without a session from one address, every attempt is refused (a right key too) until the window ends", async () => {
    // A session made resets the count.
    assert.equal((await signIn(t, t.adminKey)).status, 201);
    for (let i = 0; i < 10; i++) {
      const s = await signIn(t, `pbx_live_${"0".repeat(16)}.${"B".repeat(42)}${i}`);
      assert.equal(s.status, 401, `attempt ${i + 1}`);
    }
    const limited = await fetch(`${t.baseUrl}/v1/dashboard/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: t.adminKey }),
    });
    assert.equal(limited.status, 429);
    const body = (await limited.json()) as { code: string; details: { limit: number } };
    assert.equal(body.code, "RATE_LIMITED");
    assert.equal(body.details.limit, 10);
    const retryAfter = Number(limited.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `retry-after ${retryAfter}`);
    assert.equal(limited.headers.getSetCookie().length, 0);
    // Sessions made before keep working; the limit is on signing in.
    assert.equal((await t.api("GET", "/v1/mailboxes")).status, 200);

    skew += 15 * 60 * 1000;
    const later = await signIn(t, t.adminKey);
    assert.equal(later.status, 201, "the window is over");
  });

  it("signing out needs the CSRF token, deletes the session and clears the cookie", async () => {
    const s = await signIn(t, t.adminKey);
    const noToken = await withCookie(t, "DELETE", "/v1/dashboard/session", s.cookie);
    assert.equal(noToken.status, 403);
    assert.equal(noToken.body.code, "CSRF_TOKEN_INVALID");
    assert.equal((await withCookie(t, "GET", "/v1/mailboxes", s.cookie)).status, 200);

    const out = await fetch(`${t.baseUrl}/v1/dashboard/session`, {
      method: "DELETE",
      headers: { cookie: s.cookie, "x-csrf-token": s.body.csrf_token },
    });
    assert.equal(out.status, 204);
    const cleared = out.headers.getSetCookie()[0]!;
    assert.match(cleared, /^postbox_session=;/);
    assert.match(cleared, /Max-Age=0/);
    for (const p of ["/v1/mailboxes", "/v1/dashboard/session"]) {
      const after = await withCookie(t, "GET", p, s.cookie);
      assert.equal(after.status, 401, p);
      assert.equal(after.body.code, "UNAUTHENTICATED", p);
    }
    const twice = await withCookie(t, "DELETE", "/v1/dashboard/session", s.cookie, {
      csrf: s.body.csrf_token,
    });
    assert.equal(twice.status, 401);
  });

  it("an expired session is refused (SESSION_EXPIRED, then gone)", async () => {
    const s = await signIn(t, t.adminKey);
    assert.equal((await withCookie(t, "GET", "/v1/mailboxes", s.cookie)).status, 200);
    skew += 12 * HOUR + 1000;
    const expired = await withCookie(t, "GET", "/v1/mailboxes", s.cookie);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.code, "SESSION_EXPIRED");
    const gone = await withCookie(t, "GET", "/v1/dashboard/session", s.cookie);
    assert.equal(gone.status, 401);
    assert.equal(gone.body.code, "UNAUTHENTICATED");
    assert.match(gone.headers.get("set-cookie") ?? "", /^postbox_session=;.*Max-Age=0/);
  });

  it("revoking the session's admin key ends the session at once, its event stream too", async () => {
    const second = await t.client().apiKeys.create({ role: "admin", label: "dashboard user" });
    const s = await signIn(t, second.api_key);
    assert.equal(s.status, 201);
    // The event stream works with the cookie (EventSource sends cookies, never headers).
    const stream = await fetch(`${t.baseUrl}/v1/events/stream`, { headers: { cookie: s.cookie } });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    await readUntil(stream, "retry:");
    const ended = streamEnds(stream);

    assert.equal((await t.api("DELETE", `/v1/accounts/api-keys/${second.id}`)).status, 200);
    await ended;
    const refused = await withCookie(t, "GET", "/v1/mailboxes", s.cookie);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.code, "UNAUTHENTICATED");
    const rows = await t.pb.db.query("select id from dashboard_sessions where api_key_id = $1", [second.id]);
    assert.equal(rows.length, 0, "the key's sessions were deleted with the revocation");
  });

  it("a session sees its own account only, both ways; deleting the account ends its sessions", async () => {
    const other = await t.client().accounts.create({ name: "Other tenant" });
    await t.client(other.admin_key).mailboxes.create({ name: "other-secret" });
    const mine = await signIn(t, t.adminKey);
    const theirs = await signIn(t, other.admin_key);
    assert.equal(theirs.status, 201);
    assert.equal(theirs.body.account_id, other.id);

    const mineList = await withCookie(t, "GET", "/v1/mailboxes", mine.cookie);
    assert.ok(!mineList.body.mailboxes.some((m: { name: string }) => m.name === "other-secret"));
    assert.equal((await withCookie(t, "GET", "/v1/mailboxes/other-secret", mine.cookie)).status, 404);
    const theirList = await withCookie(t, "GET", "/v1/mailboxes", theirs.cookie);
    assert.deepEqual(
      theirList.body.mailboxes.map((m: { name: string }) => m.name),
      ["other-secret"],
    );
    assert.equal((await withCookie(t, "GET", "/v1/mailboxes/home", theirs.cookie)).status, 404);

    const deleted = await withCookie(t, "DELETE", "/v1/accounts", theirs.cookie, {
      body: { confirm: other.id },
      csrf: theirs.body.csrf_token,
    });
    assert.equal(deleted.status, 200);
    const after = await withCookie(t, "GET", "/v1/mailboxes", theirs.cookie);
    assert.equal(after.status, 401);
    assert.equal((await withCookie(t, "GET", "/v1/mailboxes", mine.cookie)).status, 200);
  });

  it("serves the dashboard's files with their types, its headers and gzip; / leads there", async () => {
    const index = await fetch(`${t.baseUrl}/dashboard/`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(index.headers.get("content-security-policy"), DASHBOARD_CSP);
    assert.match(DASHBOARD_CSP, /frame-ancestors 'none'/);
    assert.equal(index.headers.get("x-frame-options"), "DENY");
    assert.equal(index.headers.get("referrer-policy"), "no-referrer");
    assert.equal(index.headers.get("x-content-type-options"), "nosniff");
    assert.equal(index.headers.get("cache-control"), "no-cache");
    assert.equal(await index.text(), INDEX);
    // The page's own routes survive a reload.
    const deep = await fetch(`${t.baseUrl}/dashboard/reviews/123`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), INDEX);

    const js = await rawGet(t.pb.httpPort!, "/dashboard/assets/app-3f9a.js", {
      "accept-encoding": "gzip, br",
    });
    assert.equal(js.status, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["content-encoding"], "gzip");
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(gunzipSync(js.body).toString(), APP_JS);
    const plain = await rawGet(t.pb.httpPort!, "/dashboard/assets/app-3f9a.js", {
      "accept-encoding": "gzip;q=0",
    });
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.equal(plain.body.toString(), APP_JS);
    const css = await rawGet(t.pb.httpPort!, "/dashboard/assets/app-3f9a.css");
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
    const svg = await rawGet(t.pb.httpPort!, "/dashboard/favicon.svg");
    assert.equal(svg.headers["content-type"], "image/svg+xml");
    assert.equal(svg.headers["cache-control"], "no-cache");

    const missing = await rawGet(t.pb.httpPort!, "/dashboard/assets/nope.js");
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body.toString()).code, "NOT_FOUND");

    const root = await rawGet(t.pb.httpPort!, "/");
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, "/dashboard/");
    const bare = await rawGet(t.pb.httpPort!, "/dashboard");
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.location, "/dashboard/");
  });

  it("no path reaches outside the bundle", async () => {
    for (const target of [
      "/dashboard/../secret.txt",
      "/dashboard/%2e%2e/secret.txt",
      "/dashboard/..%2fsecret.txt",
      "/dashboard/assets/..%2f..%2fsecret.txt",
      "/dashboard/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/dashboard/..%5csecret.txt",
      "/dashboard//etc/passwd",
      "/dashboard/%2fetc%2fpasswd",
      "/dashboard/.%00./secret.txt",
      `/dashboard/${encodeURIComponent(dir.root)}/secret.txt`,
    ]) {
      const res = await rawGet(t.pb.httpPort!, target);
      // Refused, or (a path without an extension) the page itself: never another file.
      const text = res.body.toString();
      if (res.status === 200) assert.equal(text, INDEX, target);
      else assert.ok(res.status === 404 || res.status === 400, `${target}: ${res.status}`);
      assert.ok(!text.includes("TOP SECRET") && !text.includes("root:"), target);
    }
  });

  it("documents the session routes in the OpenAPI document, not the pages", async () => {
    const doc = (await t.api("GET", "/v1/openapi.json", { key: null })).body;
    assert.deepEqual(Object.keys(doc.paths["/v1/dashboard/session"]).sort(), ["delete", "get", "post"]);
    assert.equal(doc.paths["/v1/dashboard/session"].post.tags[0], "dashboard");
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith("/dashboard") || p === "/"));
    assert.deepEqual(doc.components.securitySchemes.dashboardSession, {
      type: "apiKey",
      in: "cookie",
      name: "postbox_session",
    });
  });
});

describe(`dashboard switched off and behind a proxy (${dbLabel})`, () => {
  let off: TestServer;
  let proxied: TestServer;
  let dir: { root: string; dist: string };

  before(async () => {
    dir = await dashboardDir();
    off = await startTestServer({ POSTBOX_DASHBOARD: "0", POSTBOX_DASHBOARD_DIR: dir.dist });
    proxied = await startTestServer({ POSTBOX_TRUST_PROXY: "1", POSTBOX_DASHBOARD_DIR: dir.dist });
  });
  after(async () => {
    await off.stop();
    await proxied.stop();
    await rm(dir.root, { recursive: true, force: true });
  });

  it("POSTBOX_DASHBOARD=0: no pages, no sessions (404)", async () => {
    for (const target of ["/", "/dashboard/", "/dashboard/assets/app-3f9a.js"]) {
      const res = await rawGet(off.pb.httpPort!, target);
      assert.equal(res.status, 404, target);
      assert.equal(JSON.parse(res.body.toString()).code, "ROUTE_NOT_FOUND", target);
    }
    const s = await signIn(off, off.adminKey);
    assert.equal(s.status, 404);
    assert.equal(s.body.code, "ROUTE_NOT_FOUND");
    const doc = (await off.api("GET", "/v1/openapi.json", { key: null })).body;
    assert.equal(doc.paths["/v1/dashboard/session"], undefined);
  });

  it("behind a trusted proxy: Secure when the proxy says https, and the limit counts the forwarded client", async () => {
    const tls = await signIn(proxied, proxied.adminKey, { "x-forwarded-proto": "https" });
    assert.equal(tls.status, 201);
    assert.ok(
      tls
        .setCookie!.split(";")
        .map((a) => a.trim())
        .includes("Secure"),
      tls.setCookie!,
    );
    const http1 = await signIn(proxied, proxied.adminKey, { "x-forwarded-proto": "http" });
    assert.ok(!http1.setCookie!.includes("Secure"), http1.setCookie!);

    const wrong = `pbx_live_${"0".repeat(16)}.${"C".repeat(43)}`;
    for (let i = 0; i < 10; i++)
      assert.equal((await signIn(proxied, wrong, { "x-forwarded-for": "203.0.113.7" })).status, 401);
    assert.equal((await signIn(proxied, wrong, { "x-forwarded-for": "203.0.113.7" })).status, 429);
    // The nearest hop's word is taken, not what the client wrote before it.
    assert.equal(
      (await signIn(proxied, proxied.adminKey, { "x-forwarded-for": "203.0.113.7, 198.51.100.2" })).status,
      201,
    );
    assert.equal(
      (await signIn(proxied, proxied.adminKey, { "x-forwarded-for": "198.51.100.9" })).status,
      201,
    );
    assert.equal((await signIn(proxied, proxied.adminKey, { "x-forwarded-for": "203.0.113.7" })).status, 429);
  });
});
