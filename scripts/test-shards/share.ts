import { readdirSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Node's test runner (20.x) starts one process per test file, and each spends about two seconds of CPU importing
 * the service on this machine; so the suite is dealt into shards, a process each, that import their share of the
 * files one after the other. Running one file on its own (`node --import tsx --test <file>`) works as before.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The test sets: `unit` and `db` are npm test's, `db` alone is the PostgreSQL pass's (POSTBOX_TEST_SET=db). */
const SETS: Record<string, string[]> = {
  unit: [
    "packages/sdk/test/unit",
    "packages/mcp/test/unit",
    "packages/server/test/unit",
    "packages/cli/test/unit",
    "packages/dashboard/test/unit",
  ],
  db: ["packages/server/test/db", "packages/mcp/test/db"],
};

function filesOf(set: string): string[] {
  const dirs = set.split(",").flatMap((name) => {
    const dirs = SETS[name];
    if (!dirs) throw new Error(`unknown test set ${name}: one of ${Object.keys(SETS).join(", ")}`);
    return dirs;
  });
  return dirs
    .flatMap((dir) =>
      readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => `${dir}/${f}`),
    )
    .sort();
}

/** Imports this shard's files, named by the shard file (`shard-K-of-N.test.ts`): every N-th file from the K-th. */
export async function runShare(shardUrl: string): Promise<void> {
  const m = /shard-(\d+)-of-(\d+)\.test\.ts$/.exec(shardUrl);
  if (!m) throw new Error(`a shard file is named shard-K-of-N.test.ts, not ${shardUrl}`);
  const [k, n] = [Number(m[1]), Number(m[2])];
  const files = filesOf(process.env.POSTBOX_TEST_SET ?? "unit,db").filter((_, i) => i % n === k - 1);
  for (const file of files) {
    try {
      await import(pathToFileURL(path.join(ROOT, file)).href);
    } catch (err) {
      // A file that cannot load is a failure under its own name; the shard's other files still run.
      it(`${file} loads`, () => {
        throw err;
      });
    }
  }
}
