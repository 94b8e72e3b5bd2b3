import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { ERROR_CATALOG } from "../../src/api/error-catalog.ts";
import { generateOpenApi, renderApiReference, renderEventCatalog } from "../../src/api/openapi-doc.ts";

it("docs/openapi.json and docs/api.md match the routes (run npm run openapi after changing a route)", async () => {
  const doc = await generateOpenApi();
  const committed = JSON.parse(
    await readFile(new URL("../../../../docs/openapi.json", import.meta.url), "utf8"),
  );
  assert.deepEqual(committed, JSON.parse(JSON.stringify(doc)));
  assert.equal(
    await readFile(new URL("../../../../docs/api.md", import.meta.url), "utf8"),
    renderApiReference(doc),
  );
});

it("docs/events.md matches the event catalogue (run npm run openapi after changing it)", async () => {
  assert.equal(
    await readFile(new URL("../../../../docs/events.md", import.meta.url), "utf8"),
    renderEventCatalog(),
  );
});

it("every operation has a unique operationId, tags, a request example, and a schema for every status", async () => {
  const doc = await generateOpenApi();
  const ids = new Set<string>();
  const refs: string[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object")
      for (const [k, v] of Object.entries(x)) k === "$ref" && typeof v === "string" ? refs.push(v) : walk(v);
  };
  walk(doc);
  for (const r of refs) {
    const name = r.replace("#/components/schemas/", "");
    assert.ok(doc.components.schemas[name], `${r} does not resolve`);
  }
  for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const at = `${method.toUpperCase()} ${p}`;
      assert.match(op.operationId ?? "", /^[a-z][a-zA-Z0-9]+$/, `${at}: operationId`);
      assert.ok(!ids.has(op.operationId), `${at}: operationId ${op.operationId} is not unique`);
      ids.add(op.operationId);
      assert.ok(op.tags?.length > 0, `${at}: tags`);
      const statuses = Object.keys(op.responses);
      assert.ok(
        statuses.some((s) => s.startsWith("2")),
        `${at}: no success response`,
      );
      assert.ok(
        statuses.some((s) => s.startsWith("4")),
        `${at}: no error response`,
      );
      for (const [status, r] of Object.entries(op.responses as Record<string, any>)) {
        // 204 No Content has none by definition (signing out of the dashboard).
        if (status === "204") assert.equal(r.content, undefined, `${at} 204: content`);
        else assert.ok(r.content && Object.keys(r.content).length > 0, `${at} ${status}: no content schema`);
        // The codes an error status lists (`code: {enum: [...]}`) are catalogued ones.
        if (status.startsWith("2")) continue;
        for (const list of JSON.stringify(r.content).matchAll(/"code":\{"enum":\[([^\]]*)\]/g))
          for (const c of JSON.parse(`[${list[1]}]`) as string[])
            assert.ok(c in ERROR_CATALOG, `${at} ${status}: ${c} is not in the error catalogue`);
      }
      for (const [media, m] of Object.entries((op.requestBody?.content ?? {}) as Record<string, any>))
        assert.ok(
          m.example !== undefined ||
            m.examples !== undefined ||
            m.schema?.examples ||
            media !== "application/json",
          `${at}: the JSON body has no example`,
        );
    }
  }
  for (const name of [
    "Mailbox",
    "MessageSummary",
    "Message",
    "Draft",
    "Thread",
    "ThreadSummary",
    "Webhook",
    "WebhookDelivery",
    "ApiKey",
    "Suppression",
    "AllowlistEntry",
    "ScanSummary",
    "EmailEffect",
    "SendResult",
    "Error",
    "ValidationError",
  ])
    assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
});
