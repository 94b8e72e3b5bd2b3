import { assertBlobKey, type BlobStore, sha256Hex } from "./blobs.ts";
import type { Sql } from "./db.ts";

/** Keys read per query while listing: a page of keys and times, never bytes. */
const LIST_PAGE = 1000;
/** From this size a put first tries to renew the stored copy, so the bytes cross the network only when new. */
const RENEW_FIRST_BYTES = 64 * 1024;

/**
 * The blob store in the database's `blobs` table (decision 0026): every process that reaches the database reaches
 * the bytes. Each write is one statement, so a blob is either wholly there or absent; times are the database's.
 */
export function createPostgresBlobStore(db: Sql, opts: { listPage?: number } = {}): BlobStore {
  const listPage = opts.listPage ?? LIST_PAGE;
  return {
    async put(bytes) {
      const sha = sha256Hex(bytes);
      // Large bytes already stored are only renewed, not sent again; small ones take one round trip either way.
      if (bytes.length >= RENEW_FIRST_BYTES) {
        const renewed = await db.query("update blobs set written_at = now() where sha256 = $1 returning 1", [
          sha,
        ]);
        if (renewed.length > 0) return sha;
      }
      await db.query(
        "insert into blobs (sha256, bytes) values ($1, $2) on conflict (sha256) do update set written_at = now()",
        [sha, bytes],
      );
      return sha;
    },
    async get(sha) {
      assertBlobKey(sha);
      const [row] = await db.query<{ bytes: Uint8Array }>("select bytes from blobs where sha256 = $1", [sha]);
      if (!row) throw Object.assign(new Error(`blob ${sha} not found`), { code: "ENOENT" });
      return Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.from(row.bytes);
    },
    async has(sha) {
      assertBlobKey(sha);
      return (await db.query("select 1 from blobs where sha256 = $1", [sha])).length > 0;
    },
    async *list() {
      // Pages by key, not a cursor held open: the sweep removes blobs between pages and no transaction stays open.
      let after = "";
      for (;;) {
        const rows = await db.query<{ sha256: string; written_at: Date }>(
          "select sha256, written_at from blobs where sha256 > $1 order by sha256 limit $2",
          [after, listPage],
        );
        for (const r of rows) yield { sha256: r.sha256, writtenAt: r.written_at };
        if (rows.length < listPage) return;
        after = rows[rows.length - 1]!.sha256;
      }
    },
    async remove(sha, writtenBefore) {
      assertBlobKey(sha);
      // One statement: a put of the same bytes either renewed the row first (kept) or inserts it afresh after.
      const gone = await db.query("delete from blobs where sha256 = $1 and written_at < $2 returning 1", [
        sha,
        writtenBefore,
      ]);
      return gone.length > 0;
    },
  };
}
