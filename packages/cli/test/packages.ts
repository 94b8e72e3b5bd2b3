import { execFile } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
export const ROOT = new URL("../../../", import.meta.url).pathname;
const WORKSPACES = ["packages/sdk", "packages/mcp", "packages/server", "packages/cli", "packages/dashboard"];

interface LockEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  [k: string]: unknown;
}

/** `npm pack` of the five packages (each builds itself first: prepack), into `dest`; their file names by package. */
export async function packWorkspaces(dest: string): Promise<Record<string, string>> {
  const { stdout } = await exec(
    "npm",
    ["pack", "--json", "--pack-destination", dest, ...WORKSPACES.flatMap((w) => ["-w", w])],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  // prepack's own output (the build) precedes the JSON.
  const packed = JSON.parse(stdout.slice(stdout.indexOf("\n[") + 1)) as { name: string; filename: string }[];
  return Object.fromEntries(packed.map((p) => [p.name, p.filename]));
}

/**
 * Installs tarballs into `dir` as `npm install <tarballs>` would, without the network: the lockfile given to
 * `npm ci --offline` is the repository's, cut down to what the packages need at run time (what npm would resolve
 * from the registry is what the repository was tested with, and the packages are in npm's cache after its `npm ci`).
 */
export async function installTarballs(
  dir: string,
  packDir: string,
  tarballs: Record<string, string>,
): Promise<void> {
  const rootLock = JSON.parse(await readFile(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const deps: Record<string, string> = {};
  const packages: Record<string, LockEntry> = { "": { name: "postbox-install", dependencies: deps } };
  for (const [name, file] of Object.entries(tarballs)) {
    await copyFile(path.join(packDir, file), path.join(dir, file));
    deps[name] = `file:${file}`;
    const workspace = WORKSPACES.find((w) => rootLock.packages[w]?.name === name);
    if (!workspace) throw new Error(`${name} is not a workspace of the repository`);
    const { name: _, ...entry } = rootLock.packages[workspace]!;
    packages[`node_modules/${name}`] = { ...entry, resolved: `file:${file}` };
  }
  for (const [key, entry] of Object.entries(rootLock.packages)) {
    if (entry.dev || entry.link || key === "") continue;
    // Dependencies npm could not hoist sit under their workspace; installed, they sit under the package.
    const workspace = WORKSPACES.find((w) => key.startsWith(`${w}/node_modules/`));
    if (workspace) {
      const name = rootLock.packages[workspace]!.name as string;
      packages[`node_modules/${name}/${key.slice(workspace.length + 1)}`] = entry;
    } else if (key.startsWith("node_modules/")) {
      packages[key] = entry;
    }
  }
  await writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "postbox-install", private: true, type: "module", dependencies: deps }, null, 2),
  );
  await writeFile(
    path.join(dir, "package-lock.json"),
    JSON.stringify({ name: "postbox-install", lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  await exec("npm", ["ci", "--offline", "--no-audit", "--no-fund"], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  });
}
