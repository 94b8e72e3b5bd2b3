// Writes docs/openapi.json and docs/api.md from the route schemas, and docs/events.md from the event
// catalogue (npm run openapi).
import { writeFile } from "node:fs/promises";
import {
  generateOpenApi,
  renderApiReference,
  renderEventCatalog,
} from "../packages/server/src/api/openapi-doc.ts";

const doc = await generateOpenApi();
await writeFile(new URL("../docs/openapi.json", import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
await writeFile(new URL("../docs/api.md", import.meta.url), renderApiReference(doc));
await writeFile(new URL("../docs/events.md", import.meta.url), renderEventCatalog());
console.log("wrote docs/openapi.json, docs/api.md and docs/events.md");
