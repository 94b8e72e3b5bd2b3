import { existsSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Logger } from "../platform/logger.ts";

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters): migrations, with functions and DO blocks intact. */
  exec(script: string): Promise<void>;
}

export interface Db extends Sql {
  readonly kind: "pglite" | "postgres";
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on a channel; resolves once listening. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl: string | null;
  /** Directory for the embedded database; null means in memory (tests). */
  pgliteDir: string | null;
  /** PostgreSQL schema to use (tests isolate themselves with one schema each). */
  schema?: string;
  logger: Logger;
}

/** Tests: a dump that in-memory PGlite databases start from instead of running initdb (3–5 s each); off by default. */
let memoryTemplate: Blob | null = null;

/** Opt-in for tests: in-memory databases opened from now on load this dump (null: initdb, the default). */
export function setInMemoryPgliteTemplate(dump: Blob | null): void {
  memoryTemplate = dump;
}

/** Builds a template for setInMemoryPgliteTemplate: a fresh in-memory database after `prepare` (migrations). */
export async function dumpInMemoryPglite(
  prepare: (db: Db) => Promise<unknown>,
  logger: Logger,
): Promise<Blob> {
  const db = await openPglite({ databaseUrl: null, pgliteDir: null, logger }, true);
  try {
    await prepare(db);
    return await db.dump();
  } finally {
    await db.close();
  }
}

export async function openDb(opts: OpenOptions): Promise<Db> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts);
}

const BYTEA_OID = 17;
const TIMESTAMPTZ_OID = 1184;

/**
 * PostgreSQL writes timestamptz as "YYYY-MM-DD HH:MM:SS[.fff]+HH[:MM]"; V8's fallback date parser reads a year
 * below 100 in that form as 19xx or 20xx (0001 became 2001), so it is read as ISO 8601 instead.
 */
export function parseTimestamptz(text: string): Date {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/.exec(text);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}${m[5]}:${m[6] ?? "00"}`) : new Date(text);
}

/** initdb in a worker thread, whose memory is returned when it ends (see pglite-initdb.mjs). */
function initPgliteDir(dir: string, startParams: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./pglite-initdb.mjs", import.meta.url), {
      workerData: { dir, startParams },
    });
    worker.once("error", reject);
    worker.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb worker exited with ${code}`)),
    );
  });
}

async function openPglite(opts: OpenOptions, empty = false): Promise<Db & { dump(): Promise<Blob> }> {
  const options = {
    // PGlite's own bytea codec walks the bytes one by one in JS; Buffer's hex codec is native.
    serializers: { [BYTEA_OID]: (v: unknown) => `\\x${Buffer.from(v as Uint8Array).toString("hex")}` },
    parsers: {
      [BYTEA_OID]: (text: string) => Buffer.from(text.slice(2), "hex"),
      [TIMESTAMPTZ_OID]: parseTimestamptz,
    },
    // A smaller buffer pool than PGlite's 128 MB: the embedded default should be light (the OS caches files too).
    startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=32MB"],
  };
  if (opts.pgliteDir && !existsSync(path.join(opts.pgliteDir, "PG_VERSION"))) {
    await initPgliteDir(opts.pgliteDir, options.startParams);
  }
  const template = !opts.pgliteDir && !empty ? memoryTemplate : null;
  const db = await PGlite.create(
    opts.pgliteDir ?? undefined,
    template ? { ...options, loadDataDir: template } : options,
  );
  if (opts.schema) {
    await db.exec(`create schema if not exists "${opts.schema}"; set search_path to "${opts.schema}"`);
  }
  const wrap = (q: { query: PGlite["query"]; exec: PGlite["exec"] }): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const res = await q.query<T>(text, params);
      return res.rows;
    },
    async exec(script: string) {
      await q.exec(script);
    },
  });
  const base = wrap(db);
  return {
    kind: "pglite",
    query: base.query,
    exec: base.exec,
    tx: (fn) => db.transaction((t) => fn(wrap(t))),
    async listen(channel, onPayload) {
      const unsub = await db.listen(channel, onPayload);
      return async () => unsub();
    },
    close: () => db.close(),
    dump: () => db.dumpDataDir("none"),
  };
}

// int8 as a JS number: every bigint we store (sequences, counters) stays far below 2^53.
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

async function openPostgres(url: string, opts: OpenOptions): Promise<Db> {
  const options = opts.schema ? `-c search_path="${opts.schema}"` : undefined;
  const clientConfig = { connectionString: url, types, options } as pg.ClientConfig;
  if (opts.schema) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`create schema if not exists "${opts.schema}"`);
    await c.end();
  }
  const pool = new pg.Pool({ ...clientConfig, max: 10 });
  pool.on("error", (err) => opts.logger.warn("postgres pool client error", { err: err.message }));

  const listeners = new Map<string, Set<(p: string) => void>>();
  let listener: pg.Client | null = null;
  let closed = false;

  async function connectListener(): Promise<void> {
    const client = new pg.Client(clientConfig);
    client.on("notification", (n) => {
      for (const fn of listeners.get(n.channel) ?? []) fn(n.payload ?? "");
    });
    client.on("error", (err) => {
      opts.logger.warn("postgres listener lost; reconnecting", { err: err.message });
      listener = null;
      void reconnect();
    });
    await client.connect();
    for (const channel of listeners.keys()) await client.query(`listen "${channel}"`);
    listener = client;
  }

  async function reconnect(): Promise<void> {
    for (let delay = 100; !closed && !listener; delay = Math.min(delay * 2, 5000)) {
      try {
        await connectListener();
        // A notification may have been missed while disconnected: wake everyone once.
        for (const fns of listeners.values()) for (const fn of fns) fn("");
      } catch {
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  await connectListener();

  return {
    kind: "postgres",
    async query<T>(text: string, params?: unknown[]) {
      const res = await pool.query(text, params as unknown[]);
      return res.rows as T[];
    },
    // Without parameters pg uses the simple query protocol, which takes several statements at once.
    async exec(script: string) {
      await pool.query(script);
    },
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query("begin");
        const result = await fn({
          async query<T>(text: string, params?: unknown[]) {
            const res = await client.query(text, params as unknown[]);
            return res.rows as T[];
          },
          async exec(script: string) {
            await client.query(script);
          },
        });
        await client.query("commit");
        return result;
      } catch (err) {
        await client.query("rollback").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await listener?.query(`listen "${channel}"`);
      }
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
      };
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}
