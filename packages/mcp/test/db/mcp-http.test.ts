import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { dbLabel, startTestServer, type TestServer } from "../../../server/test/helpers.ts";
import { mcpScenario } from "../scenario.ts";

// Streamable HTTP at /v1/mcp on the API port, with the official client; the key in Authorization: Bearer.
mcpScenario(
  "Streamable HTTP",
  async (t, key) => {
    const client = new Client({ name: "postbox-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${t.baseUrl}/v1/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    });
    await client.connect(transport);
    return client;
  },
  "at connect",
);

describe(`the /v1/mcp endpoint (${dbLabel})`, () => {
  let t: TestServer;
  const rpc = { jsonrpc: "2.0", id: 1, method: "tools/list" };
  const accept = { accept: "application/json, text/event-stream" };
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("refuses a missing or invalid key in the API's error envelope", async () => {
    const none = await t.api("POST", "/v1/mcp", { body: rpc, key: null, headers: accept });
    assert.equal(none.status, 401);
    assert.equal(none.body.code, "UNAUTHENTICATED");
    const bad = await t.api("POST", "/v1/mcp", { body: rpc, key: "pb_nope", headers: accept });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, "INVALID_API_KEY");
  });

  it("answers one JSON-RPC request with JSON, statelessly", async () => {
    const res = await t.api("POST", "/v1/mcp", { body: rpc, headers: accept });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.headers.get("mcp-session-id"), null);
    assert.equal(res.body.id, 1);
    assert.ok(res.body.result.tools.length > 0);
    const note = await t.api("POST", "/v1/mcp", {
      body: { jsonrpc: "2.0", method: "notifications/initialized" },
      headers: accept,
    });
    assert.equal(note.status, 202);
    assert.equal(note.body, null);
  });

  it("refuses what the MCP transport cannot take with a coded error, never a 5xx", async () => {
    const noAccept = await t.api("POST", "/v1/mcp", { body: rpc });
    assert.equal(noAccept.status, 406);
    assert.equal(noAccept.body.code, "MCP_NOT_ACCEPTABLE");
    const notRpc = await t.api("POST", "/v1/mcp", { body: { hello: 1 }, headers: accept });
    assert.equal(notRpc.status, 400);
    assert.equal(notRpc.body.code, "VALIDATION_ERROR");
    const noMethod = await t.api("POST", "/v1/mcp", { body: { jsonrpc: "2.0", id: 3 }, headers: accept });
    assert.equal(noMethod.status, 400);
    assert.equal(noMethod.body.code, "MCP_INVALID_MESSAGE");
    for (const method of ["GET", "DELETE"]) {
      const res = await t.api(method, "/v1/mcp", { headers: { accept: "text/event-stream" } });
      assert.equal(res.status, 405, method);
      assert.equal(res.body.code, "METHOD_NOT_ALLOWED");
      assert.equal(res.headers.get("allow"), "POST");
    }
  });
});
