import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { buildDashboard } from "../../scripts/build.ts";

const DIST = fileURLToPath(new URL("../../dist", import.meta.url));

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), await readFile(full));
  }
  return out;
}

describe("dashboard bundle", () => {
  it("is committed as the sources build it (run `npm run build:dashboard` after editing the dashboard or the TypeScript SDK it bundles)", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "postbox-dashboard-"));
    try {
      await buildDashboard(out);
      const [fresh, committed] = await Promise.all([filesOf(out), filesOf(DIST)]);
      assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), "the same files");
      for (const [name, bytes] of fresh) assert.ok(bytes.equals(committed.get(name)!), `${name} is current`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("loads under 200 KB of JavaScript gzipped and names nothing outside the service", async () => {
    const files = await filesOf(DIST);
    const js = [...files].filter(([n]) => n.endsWith(".js")).map(([, b]) => b);
    const gz = js.reduce((sum, b) => sum + gzipSync(b).length, 0);
    assert.ok(gz < 200 * 1024, `${gz} bytes of gzipped JavaScript`);
    const html = files.get("index.html")!.toString();
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, "index.html loads only local assets");
  });
});
