import { randomUUID } from "node:crypto";
import { mkdtemp, rm, utimes } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Postbox as Client } from "@postbox/sdk";
import nodemailer from "nodemailer";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { type Postbox, type StartOptions, startPostbox } from "../src/main.ts";
import { loadConfig } from "../src/platform/config.ts";
import { silentLogger } from "../src/platform/logger.ts";
import { type Db, openDb, setInMemoryPgliteTemplate } from "../src/store/db.ts";
import { migrate } from "../src/store/migrate.ts";
import { startDnsServer } from "./dns-server.ts";
import { migratedTemplate } from "./pglite-template.ts";

export const DATABASE_URL = process.env.DATABASE_URL || null;
export const dbLabel = DATABASE_URL ? "postgres" : "pglite";

export interface TestServer {
  pb: Postbox;
  baseUrl: string;
  adminKey: string;
  dataDir: string;
  client(key?: string): Client;
  /** fetch against the API with the admin key unless another is given. */
  api(
    method: string,
    path: string,
    opts?: { body?: unknown; key?: string | null; headers?: Record<string, string>; raw?: Buffer | string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * Starts the whole service in-process on ephemeral ports: PGlite in memory by default, or a fresh schema of
 * the PostgreSQL in DATABASE_URL (CI runs the database suites both ways). The in-memory PGlite starts from a
 * migrated template unless `emptyDatabase` asks for initdb and every migration, as a new install runs them.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  opts: StartOptions = {},
  { emptyDatabase = false }: { emptyDatabase?: boolean } = {},
): Promise<TestServer> {
  await useTestDatabaseTemplate(!emptyDatabase);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "postbox-test-"));
  // Hermetic DNS: sender authentication asks a loopback answerer (empty zone unless the test brings its own).
  const dns = env.POSTBOX_DNS_SERVERS ? null : await startDnsServer({});
  const schema = DATABASE_URL ? `t_${randomUUID().replace(/-/g, "").slice(0, 16)}` : undefined;
  const config = loadConfig({
    POSTBOX_DATA_DIR: dataDir,
    POSTBOX_HTTP_PORT: "0",
    POSTBOX_SMTP_PORT: "0",
    POSTBOX_DOMAIN: "test.local",
    // Every answer is checked against its route's response schema: a mismatch is a 500 the test sees.
    POSTBOX_VALIDATE_RESPONSES: "1",
    ...(dns ? { POSTBOX_DNS_SERVERS: dns.address } : {}),
    ...(DATABASE_URL ? { DATABASE_URL } : {}),
    ...env,
  });
  const pb = await startPostbox(config, { logger: silentLogger, pgliteDir: null, schema, ...opts });
  const baseUrl = `http://127.0.0.1:${pb.httpPort}`;
  const adminKey = config.adminKey ?? pb.createdAdminKey!;
  const ts: TestServer = {
    pb,
    baseUrl,
    adminKey,
    dataDir,
    client: (key = adminKey) => new Client({ apiKey: key, baseUrl, maxRetries: 0 }),
    async api(method, p, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.key !== null) headers.authorization = `Bearer ${o.key ?? adminKey}`;
      let body: string | Buffer | undefined;
      if (o.raw !== undefined) body = o.raw;
      else if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(baseUrl + p, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      await pb.close();
      await dns?.close();
      if (schema && DATABASE_URL) {
        const c = new pg.Client({ connectionString: DATABASE_URL });
        await c.connect();
        await c.query(`drop schema if exists "${schema}" cascade`);
        await c.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return ts;
}

/** Makes a blob of the server's store look last written at `when` (a file's time, or the `blobs` row's). */
export async function ageBlob(t: TestServer, sha: string, when: Date): Promise<void> {
  if (t.pb.config.blobStore === "fs")
    await utimes(path.join(t.dataDir, "blobs", sha.slice(0, 2), sha.slice(2, 4), sha), when, when);
  else await t.pb.db.query("update blobs set written_at = $2 where sha256 = $1", [sha, when]);
}

/** In-memory PGlite databases opened from now on start migrated (true) or empty, from initdb (false). */
export async function useTestDatabaseTemplate(migrated: boolean): Promise<void> {
  setInMemoryPgliteTemplate(migrated && !DATABASE_URL ? await migratedTemplate() : null);
}

/** A migrated database of its own (its own schema on PostgreSQL) for use-case tests without a server. */
export async function openTestDatabase(): Promise<{ db: Db; close(): Promise<void> }> {
  await useTestDatabaseTemplate(true);
  const schema = DATABASE_URL ? `t_${randomUUID().replace(/-/g, "").slice(0, 16)}` : undefined;
  const db = await openDb({ databaseUrl: DATABASE_URL, pgliteDir: null, schema, logger: silentLogger });
  await migrate(db);
  return {
    db,
    async close() {
      if (schema) await db.exec(`drop schema if exists "${schema}" cascade`);
      await db.close();
    },
  };
}

/** An SMTP server on loopback that records what it receives, and can be told to refuse. */
export interface Sink {
  port: number;
  url: string;
  received: { from: string; to: string[]; raw: Buffer }[];
  /** Returns an SMTP error (code and text) for a recipient, or null to accept. */
  rcptHook: ((address: string) => { code: number; text: string } | null) | null;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const sink: Sink = {
    port: 0,
    url: "",
    received: [],
    rcptHook: null,
    async waitFor(count, timeoutMs = WAIT_LIMIT_MS) {
      const deadline = Date.now() + timeoutMs;
      while (sink.received.length < count) {
        if (Date.now() > deadline) throw new Error(`sink got ${sink.received.length} of ${count} messages`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    disableReverseLookup: true,
    onRcptTo(address, _session, cb) {
      const verdict = sink.rcptHook?.(address.address);
      if (verdict) return cb(Object.assign(new Error(verdict.text), { responseCode: verdict.code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        sink.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        cb(null, "Ok: sunk");
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  sink.port = (server.server.address() as AddressInfo).port;
  sink.url = `smtp://127.0.0.1:${sink.port}`;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

/**
 * How long a wait on a background condition may take before the test gives up: a guard against a hang, not a
 * timing assertion, so it is generous — a loaded machine (CI on two cores) must never reach it.
 */
export const WAIT_LIMIT_MS = 120_000;

/** A nodemailer client for a Postbox SMTP port on loopback (no TLS: the test servers offer none). */
export function smtpClient(port: number) {
  return nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
}

/** Polls a condition; for waiting on background workers, never for timing assertions. */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = WAIT_LIMIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function rawMessage(opts: {
  from?: string;
  to: string;
  subject?: string;
  body?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  extraHeaders?: string;
}): string {
  const lines = [
    `From: ${opts.from ?? "Alice <alice@example.com>"}`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject ?? "Hello"}`,
    `Message-ID: ${opts.messageId ?? `<${randomUUID()}@example.com>`}`,
    "Date: Sun, 22 Nov 2026 10:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
  ];
  if (opts.inReplyTo) lines.push(`In-Reply-To: ${opts.inReplyTo}`);
  if (opts.references) lines.push(`References: ${opts.references}`);
  if (opts.extraHeaders) lines.push(opts.extraHeaders);
  return `${lines.join("\r\n")}\r\n\r\n${opts.body ?? "Hi there."}\r\n`;
}

/**
 * Runs the workers until nothing is left to do now — no mail being processed, no delivery or rule run due — so
 * that what a test asserts next (often that something did NOT happen) cannot still change.
 */
export async function settle(t: TestServer): Promise<void> {
  await eventually(async () => {
    await t.pb.drain();
    const [row] = await t.pb.db.query<{ n: number }>(
      `select (select count(*) from messages where state = 'received')
            + (select count(*) from deliveries where state = 'queued' and next_attempt_at <= now())
            + (select count(*) from rule_jobs) as n`,
    );
    return Number(row!.n) === 0;
  });
}
