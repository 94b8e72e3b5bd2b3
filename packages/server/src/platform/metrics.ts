import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The work waiting, as the database has it when scraped (store/queue-backlog.ts). */
export interface QueueBacklog {
  inbound: number;
  inboundOldestSeconds: number | null;
  deliveries: number;
  deliveriesOldestSeconds: number | null;
}

/** How processing left an inbound copy: its kept state, refused by the MailPolicy (not kept), or failed. */
export type ProcessedOutcome = "available" | "quarantined" | "blocked" | "refused" | "failed";

/**
 * What this process counts for `GET /metrics` (docs/operations.md#metrics). Counters are per process; the queue
 * gauges are the installation's, read from the database when scraped.
 */
export interface Metrics {
  readonly contentType: string;
  smtpOpened(): void;
  smtpClosed(): void;
  smtpReplied(code: number): void;
  /** Stored copies of an accepted message (one per mailbox reached). */
  accepted(transport: string, copies: number): void;
  /** One inbound copy processed; `acceptedAt` times the way from acceptance to its final state. */
  processed(outcome: ProcessedOutcome, acceptedAt: Date): void;
  /** One delivery attempt; a final one (delivered, bounced) times the way from queueing. */
  deliveryAttempt(outcome: "delivered" | "deferred" | "bounced", queuedAt: Date): void;
  webhookAttempt(outcome: "delivered" | "retry" | "failed", status: number | null): void;
  /** Where the queue gauges come from (read at most once per QUEUE_CACHE_MS). */
  readQueuesWith(read: () => Promise<QueueBacklog>): void;
  /** The exposition text. */
  text(): Promise<string>;
}

/** Scrapers (and several of them) may ask often; the queue queries run at most this often per process. */
const QUEUE_CACHE_MS = 2000;

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const DELIVERY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

/**
 * The process's metrics in a registry of its own (several services may share a process in tests). `process`:
 * also Node's own (memory, CPU, event-loop lag from perf_hooks' monitorEventLoopDelay, GC, handles).
 */
export function createMetrics(opts: { process: boolean }): Metrics {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  if (opts.process) collectDefaultMetrics({ register: registry });

  const smtpConnections = new Counter({
    name: "postbox_smtp_connections_total",
    help: "SMTP connections accepted.",
    registers,
  });
  const smtpOpen = new Gauge({
    name: "postbox_smtp_connections_open",
    help: "SMTP connections open.",
    registers,
  });
  const smtpReplies = new Counter({
    name: "postbox_smtp_replies_total",
    help: "SMTP replies sent, by class (2xx, 4xx, 5xx…) and code; the greeting and refusals included.",
    labelNames: ["class", "code"],
    registers,
  });
  const accepted = new Counter({
    name: "postbox_messages_accepted_total",
    help: "Inbound message copies committed (one per mailbox reached), by transport.",
    labelNames: ["transport"],
    registers,
  });
  const processed = new Counter({
    name: "postbox_messages_processed_total",
    help: "Inbound copies processed, by outcome: available, quarantined, blocked, refused (MailPolicy) or failed.",
    labelNames: ["outcome"],
    registers,
  });
  const processingLatency = new Histogram({
    name: "postbox_processing_latency_seconds",
    help: "From acceptance to the end of processing (available, quarantined, blocked or refused).",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const deliveryAttempts = new Counter({
    name: "postbox_delivery_attempts_total",
    help: "Outbound delivery attempts, by outcome: delivered, deferred (retried) or bounced.",
    labelNames: ["outcome"],
    registers,
  });
  const deliveryLatency = new Histogram({
    name: "postbox_delivery_latency_seconds",
    help: "From queueing to the final attempt (delivered or bounced), retries included.",
    buckets: DELIVERY_BUCKETS,
    registers,
  });
  const webhooks = new Counter({
    name: "postbox_webhook_deliveries_total",
    help: "Webhook delivery attempts, by outcome (delivered, retry, failed) and answer (2xx…5xx, or error).",
    labelNames: ["outcome", "status_class"],
    registers,
  });

  let readQueues: (() => Promise<QueueBacklog>) | null = null;
  let cached: { at: number; backlog: Promise<QueueBacklog | null> } | null = null;
  const backlog = (): Promise<QueueBacklog | null> => {
    if (!readQueues) return Promise.resolve(null);
    const now = Date.now();
    if (!cached || now - cached.at > QUEUE_CACHE_MS)
      // A database that does not answer leaves the gauges empty (NaN) for this scrape; the next one asks again.
      cached = {
        at: now,
        backlog: readQueues().catch(() => {
          cached = null;
          return null;
        }),
      };
    return cached.backlog;
  };
  const queueGauge = (name: string, help: string, pick: (b: QueueBacklog) => number | null) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const b = await backlog();
        this.set(b ? (pick(b) ?? 0) : Number.NaN);
      },
    });
  queueGauge(
    "postbox_inbound_queue_depth",
    "Inbound copies accepted and not yet processed (counted up to 100000).",
    (b) => b.inbound,
  );
  queueGauge(
    "postbox_inbound_queue_oldest_age_seconds",
    "Age of the oldest inbound copy not yet processed (0 when none).",
    (b) => b.inboundOldestSeconds,
  );
  queueGauge(
    "postbox_delivery_queue_depth",
    "Outbound deliveries queued, due or waiting for a retry (counted up to 100000).",
    (b) => b.deliveries,
  );
  queueGauge(
    "postbox_delivery_queue_oldest_age_seconds",
    "Age of the oldest queued delivery, among the first 100000 (0 when none).",
    (b) => b.deliveriesOldestSeconds,
  );

  const since = (t: Date) => Math.max(0, (Date.now() - t.getTime()) / 1000);
  return {
    contentType: registry.contentType,
    smtpOpened() {
      smtpConnections.inc();
      smtpOpen.inc();
    },
    smtpClosed: () => smtpOpen.dec(),
    smtpReplied: (code) => smtpReplies.inc({ class: `${Math.floor(code / 100)}xx`, code: String(code) }),
    accepted: (transport, copies) => accepted.inc({ transport }, copies),
    processed(outcome, acceptedAt) {
      processed.inc({ outcome });
      if (outcome !== "failed") processingLatency.observe(since(acceptedAt));
    },
    deliveryAttempt(outcome, queuedAt) {
      deliveryAttempts.inc({ outcome });
      if (outcome !== "deferred") deliveryLatency.observe(since(queuedAt));
    },
    webhookAttempt: (outcome, status) =>
      webhooks.inc({ outcome, status_class: status === null ? "error" : `${Math.floor(status / 100)}xx` }),
    readQueuesWith(read) {
      readQueues = read;
      cached = null;
    },
    text: () => registry.metrics(),
  };
}
