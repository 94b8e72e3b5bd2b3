import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { sweepBlobs } from "../../src/governance/retention.ts";
import { loadConfig } from "../../src/platform/config.ts";
import { type BlobStore, createFsBlobStore, sha256Hex } from "../../src/store/blobs.ts";
import type { Db } from "../../src/store/db.ts";
import { createPostgresBlobStore } from "../../src/store/postgres-blobs.ts";
import { DATABASE_URL, dbLabel, openTestDatabase } from "../helpers.ts";

const DAY = 86_400_000;

interface Subject {
  store: BlobStore;
  /** Sets when a blob was last written, as if it had been written then. */
  age(sha: string, when: Date): Promise<void>;
}

/** The same contract, run against each store: what the inbound path, sends and the retention sweep rely on. */
const kinds: { name: string; open(db: Db, dir: string): Subject }[] = [
  {
    name: "fs",
    open: (_db, dir) => ({
      store: createFsBlobStore(dir),
      age: (sha, when) => utimes(path.join(dir, sha.slice(0, 2), sha.slice(2, 4), sha), when, when),
    }),
  },
  {
    name: "postgres",
    open: (db) => ({
      // A small page, so that listing crosses pages in the test.
      store: createPostgresBlobStore(db, { listPage: 3 }),
      age: async (sha, when) => {
        await db.query("update blobs set written_at = $2 where sha256 = $1", [sha, when]);
      },
    }),
  },
];

for (const kind of kinds) {
  describe(`the ${kind.name} blob store (${dbLabel})`, () => {
    let db: Db;
    let close: () => Promise<void>;
    let dir: string;
    let s: Subject;

    before(async () => {
      ({ db, close } = await openTestDatabase());
      dir = await mkdtemp(path.join(os.tmpdir(), "postbox-blobs-"));
      s = kind.open(db, dir);
    });
    after(async () => {
      await close();
      await rm(dir, { recursive: true, force: true });
    });

    it("keys bytes by their SHA-256 and gives them back exactly", async () => {
      const bytes = randomBytes(4096);
      const sha = await s.store.put(bytes);
      assert.equal(sha, sha256Hex(bytes));
      assert.deepEqual(await s.store.get(sha), bytes);
      assert.equal(await s.store.has(sha), true);
      const empty = await s.store.put(Buffer.alloc(0));
      assert.equal((await s.store.get(empty)).length, 0);
      const missing = sha256Hex(randomBytes(8));
      assert.equal(await s.store.has(missing), false);
      await assert.rejects(s.store.get(missing));
    });

    // The embedded database cannot be told to keep blobs (POSTBOX_BLOB_STORE=postgres needs DATABASE_URL).
    const embedded = kind.name === "postgres" && !DATABASE_URL;
    it("stores a message of the largest accepted size", {
      skip: embedded && "the embedded database keeps blobs on disk",
    }, async () => {
      const bytes = randomBytes(loadConfig({}).maxMessageBytes);
      const sha = await s.store.put(bytes);
      assert.ok((await s.store.get(sha)).equals(bytes));
    });

    // Small and large: the PostgreSQL store renews large bytes without sending them again.
    for (const size of [256, 100 * 1024])
      it(`a put of bytes already there keeps one blob and renews its time (${size} bytes)`, async () => {
        const bytes = randomBytes(size);
        const sha = await s.store.put(bytes);
        await s.age(sha, new Date(Date.now() - 2 * DAY));
        const before = await listed(s.store, sha);
        assert.ok(before[0]!.writtenAt.getTime() < Date.now() - DAY, "aged");
        const again = await Promise.all([s.store.put(bytes), s.store.put(Buffer.from(bytes))]);
        assert.deepEqual(again, [sha, sha]);
        const after = await listed(s.store, sha);
        assert.equal(after.length, 1, "one blob for the same bytes");
        assert.ok(after[0]!.writtenAt.getTime() > Date.now() - DAY, "renewed");
        assert.deepEqual(await s.store.get(sha), bytes);
      });

    it("lists every blob with when it was written", async () => {
      const shas = await Promise.all(Array.from({ length: 7 }, () => s.store.put(randomBytes(32))));
      const all = new Map<string, Date>();
      for await (const b of s.store.list()) {
        assert.ok(!all.has(b.sha256), `listed once: ${b.sha256}`);
        all.set(b.sha256, b.writtenAt);
      }
      for (const sha of shas) {
        const at = all.get(sha);
        assert.ok(at instanceof Date && Math.abs(at.getTime() - Date.now()) < DAY, sha);
      }
    });

    it("removes a blob written before the cut-off, never one written at or after it", async () => {
      const cutoff = new Date(Date.now() - DAY);
      const old = await s.store.put(randomBytes(64));
      const fresh = await s.store.put(randomBytes(64));
      await s.age(old, new Date(cutoff.getTime() - 1000));
      await s.age(fresh, cutoff);
      assert.equal(await s.store.remove(fresh, cutoff), false);
      assert.equal(await s.store.has(fresh), true);
      assert.equal(await s.store.remove(old, cutoff), true);
      assert.equal(await s.store.has(old), false);
      await assert.rejects(s.store.get(old));
      assert.equal(await s.store.remove(old, cutoff), false, "already gone");
      // Written again after it went: a new blob, whole.
      const bytes = randomBytes(64);
      const sha = await s.store.put(bytes);
      await s.age(sha, new Date(cutoff.getTime() - 1000));
      await s.store.put(bytes);
      assert.equal(await s.store.remove(sha, cutoff), false, "a put renewed it");
      assert.deepEqual(await s.store.get(sha), bytes);
    });

    it("refuses keys that are not SHA-256 hex digests", async () => {
      const valid = sha256Hex("x");
      for (const bad of ["../../etc/passwd", "", valid.toUpperCase(), `${valid}0`, `${valid.slice(1)}'`]) {
        await assert.rejects(async () => s.store.get(bad), /invalid blob key/, bad);
        await assert.rejects(async () => s.store.has(bad), /invalid blob key/, bad);
        await assert.rejects(async () => s.store.remove(bad, new Date()), /invalid blob key/, bad);
      }
    });

    it("the retention sweep removes an unreferenced blob past its cut-off, and keeps a fresh one", async () => {
      const orphan = await s.store.put(randomBytes(64));
      const fresh = await s.store.put(randomBytes(64));
      await s.age(orphan, new Date(Date.now() - 2 * DAY));
      const swept = await sweepBlobs({ db, blobs: s.store }, new Date(Date.now() - DAY));
      assert.ok(swept >= 1, `swept ${swept}`);
      assert.equal(await s.store.has(orphan), false);
      assert.equal(await s.store.has(fresh), true);
      if (kind.name === "postgres") {
        const rows = await db.query("select 1 from blobs where sha256 = any($1::text[])", [[orphan]]);
        assert.equal(rows.length, 0, "the row is gone from the table");
      }
    });
  });
}

async function listed(store: BlobStore, sha: string) {
  const found: { sha256: string; writtenAt: Date }[] = [];
  for await (const b of store.list()) if (b.sha256 === sha) found.push(b);
  return found;
}
