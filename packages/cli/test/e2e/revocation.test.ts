import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { DATABASE_URL, eventually } from "../../../server/test/helpers.ts";
import { streamEnds } from "../../../server/test/streams.ts";
import { type ServiceProcess, startService, tempDataDir } from "../process.ts";
import { schemaUrl } from "../schema.ts";

const KEY = "pbx_live_revocationrevoca.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** One API call to one process, answered as {status, body}. */
async function call(svc: ServiceProcess, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${svc.httpPort}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("a key revoked on one process stops on the other", {
  skip: !DATABASE_URL && "needs DATABASE_URL (PGlite is single-process)",
}, () => {
  let a: ServiceProcess;
  let b: ServiceProcess;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    const s = await schemaUrl(DATABASE_URL!);
    cleanups.push(s.drop);
    const dir = await tempDataDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const common = {
      DATABASE_URL: s.url,
      POSTBOX_ADMIN_KEY: KEY,
      POSTBOX_DATA_DIR: dir,
      POSTBOX_ROLES: "api",
    };
    a = await startService(common);
    b = await startService(common);
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  it("revoked on A: a mutation on B is refused at once, reads and the live stream on B end once notified", async () => {
    const victim = (await call(a, "POST", "/v1/accounts/api-keys", KEY, { role: "admin", label: "victim" }))
      .body;
    // B has verified (and cached) the key, and follows the event log with it.
    assert.equal((await call(b, "GET", "/v1/accounts/api-keys", victim.api_key)).status, 200);
    const abort = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${b.httpPort}/v1/events/stream`, {
      headers: { authorization: `Bearer ${victim.api_key}` },
      signal: abort.signal,
    });
    assert.equal(stream.status, 200);
    const ended = streamEnds(stream);

    const revoked = await call(a, "DELETE", `/v1/accounts/api-keys/${victim.id}`, KEY);
    assert.equal(revoked.status, 200);

    // Immediately: B re-checks the key for anything that changes state, cache or no cache.
    const escalate = await call(b, "POST", "/v1/accounts/api-keys", victim.api_key, { role: "admin" });
    assert.equal(escalate.status, 401);
    assert.equal(escalate.body.code, "INVALID_API_KEY");
    // Reads on B follow as soon as B has heard the revocation; so does the end of the stream.
    await eventually(
      async () => (await call(b, "GET", "/v1/accounts/api-keys", victim.api_key)).status === 401,
    );
    await ended;
    abort.abort();
    // Nothing was created with the revoked key.
    const keys = (await call(a, "GET", "/v1/accounts/api-keys", KEY)).body.keys as { label: string | null }[];
    assert.equal(keys.filter((k) => k.label === null).length, 0);
  });

  it("rotated on A: the old key is refused on B, the new one works there", async () => {
    const agent = (await call(a, "POST", "/v1/accounts/api-keys", KEY, { role: "admin", label: "rotating" }))
      .body;
    assert.equal((await call(b, "GET", "/v1/accounts/api-keys", agent.api_key)).status, 200);
    const rotated = await call(a, "POST", "/v1/accounts/api-keys/rotate", agent.api_key);
    assert.equal(rotated.status, 201);
    assert.equal((await call(b, "POST", "/v1/accounts/api-keys/rotate", agent.api_key)).status, 401);
    await eventually(
      async () => (await call(b, "GET", "/v1/accounts/api-keys", agent.api_key)).status === 401,
    );
    assert.equal((await call(b, "GET", "/v1/accounts/api-keys", rotated.body.api_key)).status, 200);
  });
});
