import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

/** Content-addressed storage for raw messages: the key is the SHA-256 of the bytes. */
export interface BlobStore {
  put(bytes: Buffer): Promise<string>;
  get(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
}

export function sha256Hex(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;

export function createFsBlobStore(root: string): BlobStore {
  const tmpDir = path.join(root, "tmp");
  const ready = mkdir(tmpDir, { recursive: true });
  const made = new Set<string>();

  const fileFor = (sha: string) => {
    // Refuse anything that is not a hash: the key becomes a path.
    if (!HEX64.test(sha)) throw new Error(`invalid blob key ${JSON.stringify(sha)}`);
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
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
