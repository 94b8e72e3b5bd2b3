import { createHash } from "node:crypto";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../src/platform/logger.ts";
import { dumpInMemoryPglite } from "../src/store/db.ts";
import { migrate } from "../src/store/migrate.ts";

const MIGRATIONS = fileURLToPath(new URL("../src/store/migrations/", import.meta.url));

let cached: Promise<Blob> | null = null;

/**
 * A dump of an in-memory PGlite with every migration applied, so a test database loads it (~1 s) instead of
 * running initdb (3–5 s). Built once per run and kept under the temp dir, keyed by the PGlite version and the
 * migration files; concurrent test processes each write their own file and rename it into place.
 */
export function migratedTemplate(): Promise<Blob> {
  cached ??= load();
  return cached;
}

async function load(): Promise<Blob> {
  const hash = createHash("sha256");
  // PGlite's version: its package.json is not exported, so it is read beside the resolved entry point.
  const pkg = fileURLToPath(new URL("../package.json", import.meta.resolve("@electric-sql/pglite")));
  hash.update(JSON.parse(await readFile(pkg, "utf8")).version);
  for (const file of (await readdir(MIGRATIONS)).filter((f) => f.endsWith(".sql")).sort()) {
    hash.update(`${file}\n`).update(await readFile(path.join(MIGRATIONS, file)));
  }
  const file = path.join(os.tmpdir(), `postbox-pglite-migrated-${hash.digest("hex").slice(0, 16)}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {}
  const dump = await dumpInMemoryPglite(migrate, silentLogger);
  const partial = `${file}.${process.pid}.${Date.now()}`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, file);
  return dump;
}
