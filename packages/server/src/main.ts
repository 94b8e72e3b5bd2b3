import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { startMetricsListener } from "./api/metrics-listener.ts";
import { buildApi } from "./api/server.ts";
import { type Clock, systemClock } from "./domain/clock.ts";
import { parseSchedule } from "./domain/retry-schedule.ts";
import { createMailboxWakeups, createWakeups } from "./events/wakeups.ts";
import { createAcceptor, EMBEDDED_SPOOL_MAX_BYTES } from "./inbound/accept.ts";
import { createSenderAuthenticator } from "./inbound/authenticate.ts";
import { createInjectionScorer, defaultInjectionThreshold } from "./inbound/injection-model.ts";
import { createParsedCache } from "./inbound/parsed-cache.ts";
import { createInboundProcessor } from "./inbound/process.ts";
import { resolveRecipient } from "./inbound/recipients.ts";
import { createRuleRunner } from "./inbound/rules.ts";
import { createSessionPolicy } from "./inbound/smtp/in-session-policy.ts";
import { startSmtpListener } from "./inbound/smtp/listener.ts";
import { startAccountPurge } from "./jobs/account-purge.ts";
import { startAuditRetention } from "./jobs/audit-retention.ts";
import { startMessageRetention } from "./jobs/message-retention.ts";
import type { WorkLoop } from "./jobs/runner.ts";
import { createAttachmentScanner } from "./outbound/attachments.ts";
import { createLocalDelivery } from "./outbound/delivery/local.ts";
import { createMxTransport, createRelayTransport, type Transport } from "./outbound/delivery/transport.ts";
import { createDeliveryWorker } from "./outbound/delivery/worker.ts";
import { dkimKeySource, signingKeys } from "./outbound/dkim/key.ts";
import { createDraftScheduler } from "./outbound/drafts.ts";
import { createBounceHandler } from "./outbound/feedback/bounces.ts";
import { startHoldExpiry } from "./outbound/review-expiry.ts";
import { createSendService } from "./outbound/send.ts";
import { type Config, ConfigError } from "./platform/config.ts";
import { createDnsResolver } from "./platform/dns.ts";
import { createLogger, type Logger } from "./platform/logger.ts";
import { createMetrics } from "./platform/metrics.ts";
import { lockDataDir } from "./platform/pid-lock.ts";
import { readVersion } from "./platform/version.ts";
import { type BlobStore, createFsBlobStore, fsBlobStoreHoldsBlobs } from "./store/blobs.ts";
import { Channel } from "./store/channels.ts";
import { type Db, openDb } from "./store/db.ts";
import { migrate } from "./store/migrate.ts";
import { createPostgresBlobStore } from "./store/postgres-blobs.ts";
import { queueBacklog } from "./store/queue-backlog.ts";
import { bootstrap } from "./tenancy/bootstrap.ts";
import { createWebhookDispatcher } from "./webhooks/dispatcher.ts";

export { readVersion };

export interface Postbox {
  config: Config;
  db: Db;
  httpPort: number | null;
  smtpPort: number | null;
  /** The blob store this process reads and writes (POSTBOX_BLOB_STORE). */
  blobs: BlobStore;
  /** The port of GET /metrics when it has one of its own (POSTBOX_METRICS_PORT). */
  metricsPort: number | null;
  accountId: string;
  createdAdminKey: string | null;
  adminKeyFile: string | null;
  /** Runs pending inbound processing and due deliveries to completion (tests). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Test seams: an in-memory database, a schema of a shared PostgreSQL, a transport double. */
  pgliteDir?: string | null;
  schema?: string;
  transport?: Transport;
  mxPort?: number;
  /** The API's clock (tests of expiry); the system clock otherwise. */
  clock?: Clock;
}

/** The composition root: config → stores → services → listeners → workers. */
export async function startPostbox(config: Config, opts: StartOptions = {}): Promise<Postbox> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const version = await readVersion();
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const { db, unlock } = await openDatabase(config, opts, logger);
  // Workers and the listeners that feed them; listeners close first, together, then workers in reverse order.
  const closers: (() => Promise<void>)[] = [];
  const listeners: (() => Promise<void>)[] = [];
  try {
    const boot = await prepareDatabase(db, config, logger);
    const services = await createServices(db, config, opts, logger);
    const rules = config.roles.has("worker") ? await startWorkers(services, closers) : null;
    const smtpPort = config.roles.has("smtp") ? await startSmtp(services, listeners) : null;
    const httpPort = config.roles.has("api") ? await startApi(services, version, listeners) : null;
    const metricsPort = config.metrics.port !== null ? await startMetrics(services, listeners) : null;
    logger.info("listening", {
      version,
      http_port: httpPort,
      smtp_port: smtpPort,
      ...(metricsPort !== null ? { metrics_port: metricsPort } : {}),
      host: config.host,
      domain: config.domain,
      database: db.kind,
      blob_store: config.blobStore,
      roles: [...config.roles],
    });
    const { inbound, delivery, webhooks, attachmentScans } = services;
    let closed = false;
    return {
      config,
      db,
      blobs: services.blobs,
      httpPort,
      smtpPort,
      metricsPort,
      accountId: boot.accountId,
      createdAdminKey: boot.createdAdminKey,
      adminKeyFile: boot.adminKeyFile,
      async drain() {
        for (let i = 0; i < 3; i++) {
          await inbound.drain();
          await delivery.drain();
          await webhooks.drain();
          await rules?.drain();
          await attachmentScans.drain();
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await shutDown({ config, logger, db, unlock, listeners, closers });
      },
    };
  } catch (err) {
    for (const close of listeners) await close().catch(() => {});
    for (const close of closers.reverse()) await close().catch(() => {});
    await db.close().catch(() => {});
    await unlock();
    throw err;
  }
}

/** Opens the database (PostgreSQL, or the embedded one locked to this process); `unlock` releases the data dir. */
async function openDatabase(
  config: Config,
  opts: StartOptions,
  logger: Logger,
): Promise<{ db: Db; unlock: () => Promise<void> }> {
  const pgliteDir = opts.pgliteDir === undefined ? path.join(config.dataDir, "db") : opts.pgliteDir;
  const unlock =
    !config.databaseUrl && pgliteDir
      ? await lockDataDir(path.join(config.dataDir, "postbox.pid"))
      : async () => {};
  const db = await openDb({
    databaseUrl: config.databaseUrl,
    pgliteDir,
    schema: opts.schema,
    logger,
  }).catch(async (err) => {
    await unlock();
    const where = config.databaseUrl
      ? "DATABASE_URL: cannot connect to PostgreSQL"
      : `POSTBOX_DATA_DIR: cannot open the embedded database in ${config.dataDir}`;
    throw new ConfigError(`${where} (${(err as Error).message})`);
  });
  return { db, unlock };
}

/** Migrations, then the operator's account and admin key. */
async function prepareDatabase(db: Db, config: Config, logger: Logger) {
  const applied = await migrate(db);
  if (applied.length > 0) logger.info("database migrated", { applied });
  const boot = await bootstrap(db, { dataDir: config.dataDir, adminKey: config.adminKey });
  // Kept, not taken away: deleting a tenant's mailbox is the operator's decision, made knowingly.
  for (const held of boot.reservedHeldByTenants)
    logger.warn("a tenant holds a reserved mailbox name; whoever reads it may act for the domain", held);
  return boot;
}

/** The services every role shares; nothing started yet. */
async function createServices(db: Db, config: Config, opts: StartOptions, logger: Logger) {
  const blobs = await openBlobStore(db, config, logger);
  // Counted whether or not they are served; Node's own figures only when they are.
  const metrics = createMetrics({ process: config.metrics.onApi || config.metrics.port !== null });
  metrics.readQueuesWith(() => queueBacklog(db));
  const dns = createDnsResolver(config.dnsServers);
  const authenticate = createSenderAuthenticator({
    dns,
    hostname: config.domain,
    timeoutMs: config.authTimeoutMs,
  });
  const accept = createAcceptor(
    db,
    blobs,
    db.kind === "pglite" ? EMBEDDED_SPOOL_MAX_BYTES : Number.POSITIVE_INFINITY,
    metrics.accepted,
  );
  // Shared by the SMTP session (which parses for its policy decision) and the processor of this process.
  const parsed = createParsedCache();
  const scoreInjection = await createInjectionScorer(config.injectionOnnx);
  const inbound = createInboundProcessor({
    db,
    blobs,
    logger,
    authenticate,
    domain: config.domain,
    parsed,
    scoreInjection,
    maxAttempts: config.inboundMaxAttempts,
    defaultInjectionThreshold: defaultInjectionThreshold(),
    metrics,
  });
  const transport =
    opts.transport ??
    (config.smtpRelay
      ? createRelayTransport(config.smtpRelay, config.domain)
      : createMxTransport(dns, config.domain, opts.mxPort));
  const local = createLocalDelivery({
    resolveRecipient: (address) => resolveRecipient(db, config.domain, address),
    accept,
  });
  const delivery = createDeliveryWorker({
    db,
    blobs,
    logger,
    transport,
    local,
    schedule: parseSchedule(config.retrySchedule),
    maxAgeMs: config.deliveryMaxAgeSeconds * 1000,
    leaseSeconds: config.deliveryLeaseSeconds,
    domain: config.domain,
    metrics,
  });
  const webhooks = createWebhookDispatcher({
    db,
    logger,
    schedule: parseSchedule(config.webhookRetrySchedule),
    timeoutMs: config.webhookTimeoutMs,
    allowPrivate: config.webhookAllowPrivate,
    metrics,
  });
  const bounces = createBounceHandler({ db, blobs, logger });
  const attachmentScans = createAttachmentScanner({ db, blobs, logger });
  const dkim = dkimKeySource({ db, domain: config.domain, ...config.dkim });
  const sendService = () =>
    createSendService({
      db,
      blobs,
      domain: config.domain,
      accountDailyCap: config.accountDailySendCap,
      dkim: signingKeys({ db, enabled: config.dkim.enabled, installation: dkim }),
    });
  return {
    db,
    config,
    logger,
    blobs,
    authenticate,
    accept,
    parsed,
    inbound,
    delivery,
    webhooks,
    bounces,
    dkim,
    // Custom domains' records are checked as they stand now, not as a minute ago.
    domainDns: createDnsResolver(config.dnsServers, { cache: false }),
    sendService,
    attachmentScans,
    clock: opts.clock ?? systemClock,
    metrics,
  };
}

/** The blob store POSTBOX_BLOB_STORE names (decision 0026). */
async function openBlobStore(db: Db, config: Config, logger: Logger): Promise<BlobStore> {
  const dir = path.join(config.dataDir, "blobs");
  if (config.blobStore === "fs") return createFsBlobStore(dir);
  // Mail stored on disk by an earlier start would silently become unreadable: the operator decides, once.
  if (await fsBlobStoreHoldsBlobs(dir)) {
    if (!config.blobStoreChosen)
      throw new ConfigError(
        `POSTBOX_BLOB_STORE: ${dir} holds blobs of the filesystem store; set POSTBOX_BLOB_STORE=fs to keep reading them, or postgres to store new blobs in PostgreSQL (those on disk are then not read)`,
      );
    logger.warn("POSTBOX_BLOB_STORE=postgres: the blobs on disk are not read", { dir });
  }
  return createPostgresBlobStore(db);
}

type Services = Awaited<ReturnType<typeof createServices>>;

/** The worker role: processing, delivery, webhooks, rules, drafts and the periodic jobs. */
async function startWorkers(s: Services, closers: (() => Promise<void>)[]): Promise<WorkLoop> {
  const { db, config, logger, blobs, inbound, delivery, webhooks } = s;
  await inbound.start();
  await delivery.start();
  await webhooks.start();
  const workerSend = s.sendService();
  const rules = createRuleRunner({
    db,
    blobs,
    send: workerSend,
    logger,
    limits: {
      requireAuth: config.rules.autoReplyRequireAuth,
      autoRepliesPerHour: config.rules.autoRepliesPerHour,
      forwardsPerHour: config.rules.forwardsPerHour,
    },
  });
  await rules.start();
  await s.attachmentScans.start();
  const drafts = createDraftScheduler({
    db,
    send: workerSend,
    logger,
  });
  await drafts.start();
  const retention = startAuditRetention(db, logger);
  const messageRetention = startMessageRetention(
    { db, blobs, clock: systemClock, defaultDays: config.retentionDays },
    logger,
  );
  const holds = startHoldExpiry(db, logger);
  const accountPurge = startAccountPurge(db, logger);
  closers.push(
    () => inbound.stop(),
    () => delivery.stop(),
    () => webhooks.stop(),
    () => drafts.stop(),
    () => rules.stop(),
    () => retention.stop(),
    () => messageRetention.stop(),
    () => holds.stop(),
    () => s.attachmentScans.stop(),
    () => accountPurge.stop(),
  );
  return rules;
}

/** The smtp role (MX): the listener with its in-session policy; returns the port. */
async function startSmtp(s: Services, listeners: (() => Promise<void>)[]): Promise<number> {
  const { db, config, logger } = s;
  const sessionPolicy = createSessionPolicy({
    db,
    blobs: s.blobs,
    domain: config.domain,
    authenticate: s.authenticate,
    timeoutMs: config.smtpPolicyTimeoutMs,
    logger,
    parsed: s.parsed,
  });
  const smtp = await startSmtpListener({
    config,
    db,
    accept: s.accept,
    sessionPolicy,
    logger,
    bounces: s.bounces,
    observer: {
      opened: s.metrics.smtpOpened,
      closed: s.metrics.smtpClosed,
      replied: s.metrics.smtpReplied,
    },
  }).catch((err) => {
    throw listenError("POSTBOX_SMTP_PORT", config.host, config.smtpPort, err);
  });
  listeners.push(() => smtp.close());
  return smtp.port;
}

/** The api role: the HTTP API with its wake-ups; returns the port. */
async function startApi(s: Services, version: string, listeners: (() => Promise<void>)[]): Promise<number> {
  const { db, config } = s;
  const wakeups = await createMailboxWakeups(db);
  const eventWakeups = await createWakeups(db, Channel.events);
  const api = await buildApi({
    config,
    db,
    clock: s.clock,
    blobs: s.blobs,
    logger: s.logger,
    send: s.sendService(),
    accept: s.accept,
    wakeups,
    authenticateSender: s.authenticate,
    eventWakeups,
    webhooks: s.webhooks,
    bounces: s.bounces,
    dkim: s.dkim,
    dns: s.domainDns,
    version,
    metrics: s.metrics,
  });
  await api.listen({ port: config.httpPort, host: config.host }).catch((err) => {
    throw listenError("POSTBOX_HTTP_PORT", config.host, config.httpPort, err);
  });
  // The wake-ups stay until the API has answered its pending waits.
  listeners.push(async () => {
    await api.close();
    await wakeups.close();
    await eventWakeups.close();
  });
  return (api.server.address() as AddressInfo).port;
}

/** GET /metrics on a port of its own; returns the port. */
async function startMetrics(s: Services, listeners: (() => Promise<void>)[]): Promise<number> {
  const { config } = s;
  const listener = await startMetricsListener({
    config: config.metrics,
    metrics: s.metrics,
    logger: s.logger,
  }).catch((err) => {
    throw listenError(
      "POSTBOX_METRICS_PORT",
      config.metrics.host,
      config.metrics.port ?? 0,
      err,
      "POSTBOX_METRICS_HOST",
    );
  });
  listeners.push(() => listener.close());
  return listener.port;
}

/**
 * Stop taking new work first (listeners), then workers, then the database. Whatever is still busy past the
 * grace is left behind: its leases expire and another process (or the next start) does the work again.
 */
async function shutDown(p: {
  config: Config;
  logger: Logger;
  db: Db;
  unlock: () => Promise<void>;
  listeners: (() => Promise<void>)[];
  closers: (() => Promise<void>)[];
}): Promise<void> {
  const { config, logger, db } = p;
  const deadline = Date.now() + config.shutdownGraceMs;
  logger.info("shutting down", { grace_ms: config.shutdownGraceMs });
  const bounded = (what: string, work: Promise<void>, until: number) =>
    finishBy(work, until).then(
      (done) => {
        if (!done) logger.warn("still busy at shutdown; left behind", { what });
      },
      (err) => logger.warn("close failed", { what, err: String(err) }),
    );
  await Promise.all(p.listeners.map((close) => bounded("listener", close(), deadline)));
  for (const close of p.closers.reverse()) await bounded("worker", close(), deadline);
  await bounded("database", db.close(), Math.max(deadline, Date.now() + 500));
  await p.unlock();
  logger.info("stopped");
}

/** Resolves true when work settles by `until`, false if the time runs out first (the work goes on unwatched). */
async function finishBy(work: Promise<void>, until: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, until - Date.now()));
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port we cannot bind is a configuration problem: say which variable to change. */
function listenError(
  variable: string,
  host: string,
  port: number,
  err: unknown,
  hostVariable = "POSTBOX_HOST",
): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new ConfigError(
      `${variable}: ${host}:${port} is already in use; stop the other process or choose another port`,
    );
  if (code === "EACCES")
    return new ConfigError(
      `${variable}: not allowed to listen on ${host}:${port} (ports below 1024 need privileges)`,
    );
  if (code === "EADDRNOTAVAIL")
    return new ConfigError(`${hostVariable}: ${host} is not an address of this machine`);
  return err as Error;
}
