import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, opendir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

/** Content-addressed storage for raw messages: the key is the SHA-256 of the bytes. */
export interface BlobStore {
  put(bytes: Buffer): Promise<string>;
  get(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
  /** Every stored blob with when it was last written, in no particular order. */
  list(): AsyncIterable<{ sha256: string; writtenAt: Date }>;
  /**
   * Removes a blob unless it was written at or after `writtenBefore` (a put of the same bytes renews it); says
   * whether it went. The caller has checked that no row refers to it.
   */
  remove(sha256: string, writtenBefore: Date): Promise<boolean>;
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Refuses anything that is not a lowercase SHA-256 hex digest: a key becomes a path or a query parameter. */
export function assertBlobKey(sha: string): void {
  if (typeof sha !== "string" || !HEX64.test(sha)) throw new Error(`invalid blob key ${JSON.stringify(sha)}`);
}

export function createFsBlobStore(root: string): BlobStore {
  const tmpDir = path.join(root, "tmp");
  const ready = mkdir(tmpDir, { recursive: true });
  const made = new Set<string>();

  const fileFor = (sha: string) => {
    assertBlobKey(sha);
    return path.join(root, sha.slice(0, 2), sha.slice(2, 4), sha);
  };

  return {
    async put(bytes) {
      await ready;
      const sha = sha256Hex(bytes);
      const file = fileFor(sha);
      // No existence check: renaming identical bytes over an existing blob is harmless and saves a syscall.
      const dir = path.dirname(file);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      // Write, fsync, then rename: a crash leaves either no blob or the whole blob, never a torn one.
      const tmp = path.join(tmpDir, randomUUID());
      try {
        const fh = await open(tmp, "w");
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, file);
      } catch (err) {
        // Any failure (a full disk, say) removes the partial file; the caller sees the original error.
        await rm(tmp, { force: true }).catch(() => {});
        throw err;
      }
      return sha;
    },
    get: (sha) => readFile(fileFor(sha)),
    has: (sha) => exists(fileFor(sha)),
    async *list() {
      await ready;
      for (const a of await hexDirs(root))
        for (const b of await hexDirs(path.join(root, a))) {
          const dir = await opendir(path.join(root, a, b));
          for await (const e of dir) {
            if (!e.isFile() || !HEX64.test(e.name)) continue;
            const st = await stat(path.join(root, a, b, e.name)).catch(() => null);
            if (st) yield { sha256: e.name, writtenAt: st.mtime };
          }
        }
    },
    async remove(sha, writtenBefore) {
      const file = fileFor(sha);
      // Moved aside first, then judged by its time: a put of the same bytes that landed after the caller's check
      // carries a fresh time and is put back; a put after the move writes a new file. Either way it survives.
      const aside = path.join(tmpDir, `sweep-${randomUUID()}`);
      try {
        await rename(file, aside);
      } catch {
        return false;
      }
      const st = await stat(aside);
      if (st.mtime >= writtenBefore) {
        await rename(aside, file);
        return false;
      }
      await rm(aside, { force: true });
      return true;
    },
  };
}

/** Whether a filesystem store at `root` holds any blob (an installation that kept its blobs on disk so far). */
export async function fsBlobStoreHoldsBlobs(root: string): Promise<boolean> {
  for (const a of await hexDirs(root))
    for (const b of await hexDirs(path.join(root, a))) {
      const names = await readdir(path.join(root, a, b)).catch(() => []);
      if (names.some((n) => HEX64.test(n))) return true;
    }
  return false;
}

/** The two-hex-digit fan-out folders of the store (tmp and anything else are skipped). */
async function hexDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && /^[0-9a-f]{2}$/.test(e.name)).map((e) => e.name);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
