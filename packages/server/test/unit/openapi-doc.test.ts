import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
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
