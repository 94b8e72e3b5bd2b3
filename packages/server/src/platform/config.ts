import path from "node:path";
import { fileURLToPath } from "node:url";

export type Role = "api" | "smtp" | "worker";

export type BlobStoreKind = "fs" | "postgres";

export interface Config {
  dataDir: string;
  databaseUrl: string | null;
  /**
   * Where raw messages and attachment bytes live: `fs` (POSTBOX_DATA_DIR/blobs) or `postgres` (the `blobs` table),
   * the default with DATABASE_URL so that processes on different machines need no shared disk (decision 0026).
   */
  blobStore: BlobStoreKind;
  /** Whether POSTBOX_BLOB_STORE chose it, rather than the default. */
  blobStoreChosen: boolean;
  host: string;
  httpPort: number;
  smtpPort: number;
  domain: string;
  /** The host custom domains point their MX at (POSTBOX_MX_HOST; default: the domain). */
  mxHost: string;
  adminKey: string | null;
  smtpRelay: RelayConfig | null;
  roles: Set<Role>;
  maxMessageBytes: number;
  maxHeaderBytes: number;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  deliveryLeaseSeconds: number;
  retrySchedule: string;
  deliveryMaxAgeSeconds: number;
  dnsServers: string[];
  /** How long an SMTP session may spend on authentication and the MailPolicy before its final reply. */
  smtpPolicyTimeoutMs: number;
  /** Sender authentication gives up after this long; the verdict is then "error". */
  authTimeoutMs: number;
  /** Processing attempts of an inbound message before it ends `failed`. */
  inboundMaxAttempts: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Webhook targets on loopback or private ranges are refused unless this is set (tests, private networks). */
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  webhookRetrySchedule: string;
  /** Webhooks one account may have (each event fans out to every subscribed one). */
  maxWebhooksPerAccount: number;
  /** Outbound DKIM: on by default with a key kept in the database, or the operator's PEM file. */
  dkim: { enabled: boolean; selector: string; keyFile: string | null };
  /** Shared secret of the provider bounce webhook; the route is off while unset. */
  bounceSecret: string | null;
  /**
   * Where people reach this API from outside (https://mail.example.com), for links Postbox mails (recipient
   * confirmations); null: the address the admin's request came to.
   */
  publicUrl: string | null;
  /** Mailgun's webhook signing key: when set, Mailgun posts to the bridge's /ingest must carry a valid signature. */
  mailgunSigningKey: string | null;
  /**
   * Test servers: every API answer is checked against its route's response schema, and one that does not match
   * becomes a 500 RESPONSE_SCHEMA_VIOLATION (api/response-validation.ts). Off in production.
   */
  validateResponses: boolean;
  /** Sends per account per UTC day unless the account sets its own cap. */
  accountDailySendCap: number;
  /** Live mailboxes per account; creating one more is refused (403 MAILBOX_LIMIT_REACHED). */
  mailboxLimit: number;
  /** Days settled mail is kept where neither its mailbox nor its account sets a retention. */
  retentionDays: number;
  /** Inbound rules' automatic mail: sender authentication for auto-replies, hourly ceilings per mailbox. */
  rules: { autoReplyRequireAuth: boolean; autoRepliesPerHour: number; forwardsPerHour: number };
  /** An operator's local ONNX injection classifier (off unless POSTBOX_INJECTION_ONNX_MODEL is set). */
  injectionOnnx: { modelPath: string; tokenizerPath: string | null; label: number; maxTokens: number } | null;
  /** SMTP sessions open at once (all clients), and per client address (an IPv6 client by its /64). */
  smtpMaxConnections: number;
  smtpMaxConnectionsPerIp: number;
  /**
   * How long the SMTP greeting waits; a client that talks before it is refused (an early talker). 0: greet at
   * once, no early-talker check (decision 0027).
   */
  smtpGreetingDelayMs: number;
  /** An SMTP client that owes us input and sends nothing for this long is disconnected. */
  smtpIdleTimeoutMs: number;
  /** HTTP connections open at once; more are closed as they arrive. */
  httpMaxConnections: number;
  /** The request line and headers must arrive within this. */
  httpHeadersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this; the wait for the answer is not counted. */
  httpBodyTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  httpKeepAliveTimeoutMs: number;
  /** Live event streams (SSE) per API key and per account, in each API process. */
  maxStreamsPerKey: number;
  maxStreamsPerAccount: number;
  /** Pending long-polls per API key and per account, in each API process. */
  maxWaitsPerKey: number;
  maxWaitsPerAccount: number;
  /** At shutdown, how long SMTP messages being received and worker passes get to finish. */
  shutdownGraceMs: number;
  /**
   * The web dashboard (POSTBOX_DASHBOARD, on by default): its pages under /dashboard/ served from `dir`, and its
   * sign-in sessions (`/v1/dashboard/session`) lasting `sessionHours`. Off: both answer 404.
   */
  dashboard: { enabled: boolean; dir: string; sessionHours: number };
  /**
   * A reverse proxy in front of the API (POSTBOX_TRUST_PROXY=1): the client address, scheme and host are read from
   * the X-Forwarded-* headers the nearest hop adds. Off: from the connection itself.
   */
  trustProxy: boolean;
  /**
   * `GET /metrics` (Prometheus text format), off unless asked for: on the API port (POSTBOX_METRICS=1, an operator
   * admin key or the token required) and/or on a port of its own (POSTBOX_METRICS_PORT, on POSTBOX_METRICS_HOST,
   * loopback by default; the token required only when one is set). docs/operations.md#metrics.
   */
  metrics: MetricsConfig;
}

export interface MetricsConfig {
  onApi: boolean;
  port: number | null;
  host: string;
  token: string | null;
}

export interface RelayConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  pass: string | null;
}

/** Thrown for bad configuration; its message is the one line printed at start. */
export class ConfigError extends Error {}

const ROLES: readonly Role[] = ["api", "smtp", "worker"];

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(`${name}: "${raw}" is not a port number (0-65535; 0 picks a free port)`);
  }
  return Number(raw);
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ConfigError(`${name}: "${raw}" must be a positive integer`);
  return Number(raw);
}

function boundedInt(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < range.min || Number(raw) > range.max)
    throw new ConfigError(`${name}: "${raw}" must be an integer from ${range.min} to ${range.max}`);
  return Number(raw);
}

function relay(raw: string | undefined): RelayConfig | null {
  if (raw === undefined || raw === "") return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `POSTBOX_SMTP_RELAY: "${raw}" is not a URL (expected smtp://host:port or smtps://host:port)`,
    );
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new ConfigError(`POSTBOX_SMTP_RELAY: scheme must be smtp:// or smtps://, got "${url.protocol}//"`);
  }
  if (!url.hostname) throw new ConfigError(`POSTBOX_SMTP_RELAY: "${raw}" has no host`);
  const secure = url.protocol === "smtps:";
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    user: url.username ? decodeURIComponent(url.username) : null,
    pass: url.password ? decodeURIComponent(url.password) : null,
  };
}

function publicUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === "") return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`POSTBOX_PUBLIC_URL: "${raw}" is not a URL (expected https://mail.example.com)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ConfigError(`POSTBOX_PUBLIC_URL: scheme must be http:// or https://, got "${url.protocol}//"`);
  if (url.search || url.hash)
    throw new ConfigError(`POSTBOX_PUBLIC_URL: "${raw}" must not have a query or a fragment`);
  return url.toString().replace(/\/+$/, "");
}

const DOMAIN_RE =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Reads the service configuration from environment variables; throws ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.POSTBOX_DATA_DIR || "./data");
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(
      `DATABASE_URL: must start with postgres:// or postgresql:// (unset it to use the embedded database)`,
    );
  }
  const domain = (env.POSTBOX_DOMAIN || "localhost").toLowerCase();
  if (!DOMAIN_RE.test(domain))
    throw new ConfigError(`POSTBOX_DOMAIN: "${domain}" is not a valid domain name`);

  const adminKey = env.POSTBOX_ADMIN_KEY || null;
  if (adminKey && !/^pbx_live_[a-z0-9]{16}\.[A-Za-z0-9_-]{43}$/.test(adminKey)) {
    throw new ConfigError(
      "POSTBOX_ADMIN_KEY: must have the form pbx_live_<16 lowercase letters or digits>.<43 base64url characters>",
    );
  }

  const roles = new Set<Role>();
  for (const part of (env.POSTBOX_ROLES || "api,smtp,worker").split(",")) {
    const role = part.trim();
    if (!role) continue;
    if (!ROLES.includes(role as Role)) {
      throw new ConfigError(
        `POSTBOX_ROLES: unknown role "${role}" (use any of api, smtp, worker, comma-separated)`,
      );
    }
    roles.add(role as Role);
  }
  if (roles.size === 0) throw new ConfigError("POSTBOX_ROLES: name at least one of api, smtp, worker");

  const tlsCertFile = env.POSTBOX_TLS_CERT || null;
  const tlsKeyFile = env.POSTBOX_TLS_KEY || null;
  if (Boolean(tlsCertFile) !== Boolean(tlsKeyFile)) {
    throw new ConfigError("POSTBOX_TLS_CERT and POSTBOX_TLS_KEY: set both (PEM file paths) or neither");
  }

  const logLevel = (env.POSTBOX_LOG_LEVEL || "info") as Config["logLevel"];
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) {
    throw new ConfigError(`POSTBOX_LOG_LEVEL: "${logLevel}" is not one of debug, info, warn, error, silent`);
  }

  const dnsServers = (env.POSTBOX_DNS_SERVERS || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

  const retrySchedule = schedule(env, "POSTBOX_RETRY_SCHEDULE", "1m,5m,15m,1h,4h");

  const httpHeadersTimeoutMs = positiveInt(env, "POSTBOX_HTTP_HEADERS_TIMEOUT_MS", 10_000);
  const httpBodyTimeoutMs = positiveInt(env, "POSTBOX_HTTP_BODY_TIMEOUT_MS", 60_000);
  // Node refuses a headers timeout longer than the whole-request timeout, which includes the headers.
  if (httpHeadersTimeoutMs > httpBodyTimeoutMs)
    throw new ConfigError(
      `POSTBOX_HTTP_HEADERS_TIMEOUT_MS: ${httpHeadersTimeoutMs} must not exceed POSTBOX_HTTP_BODY_TIMEOUT_MS (${httpBodyTimeoutMs}), which covers the headers too`,
    );

  const blobStore = blobStoreKind(env.POSTBOX_BLOB_STORE, databaseUrl);
  const metrics = metricsConfig(env, roles);

  return {
    dataDir,
    databaseUrl,
    blobStore,
    blobStoreChosen: Boolean(env.POSTBOX_BLOB_STORE),
    host: env.POSTBOX_HOST || "127.0.0.1",
    httpPort: port(env, "POSTBOX_HTTP_PORT", 8025),
    smtpPort: port(env, "POSTBOX_SMTP_PORT", 2525),
    domain,
    mxHost: mxHost(env.POSTBOX_MX_HOST, domain),
    adminKey,
    smtpRelay: relay(env.POSTBOX_SMTP_RELAY),
    roles,
    maxMessageBytes: positiveInt(env, "POSTBOX_MAX_MESSAGE_BYTES", 25 * 1024 * 1024),
    maxHeaderBytes: positiveInt(env, "POSTBOX_MAX_HEADER_BYTES", 1024 * 1024),
    tlsCertFile,
    tlsKeyFile,
    deliveryLeaseSeconds: positiveInt(env, "POSTBOX_DELIVERY_LEASE_SECONDS", 300),
    retrySchedule,
    deliveryMaxAgeSeconds: positiveInt(env, "POSTBOX_DELIVERY_MAX_AGE_SECONDS", 3 * 24 * 3600),
    dnsServers,
    smtpPolicyTimeoutMs: positiveInt(env, "POSTBOX_SMTP_POLICY_TIMEOUT_MS", 10_000),
    authTimeoutMs: positiveInt(env, "POSTBOX_AUTH_TIMEOUT_MS", 8_000),
    inboundMaxAttempts: positiveInt(env, "POSTBOX_INBOUND_MAX_ATTEMPTS", 5),
    logLevel,
    injectionOnnx: injectionOnnx(env),
    webhookAllowPrivate: flag(env, "POSTBOX_WEBHOOK_ALLOW_PRIVATE"),
    webhookTimeoutMs: positiveInt(env, "POSTBOX_WEBHOOK_TIMEOUT_MS", 10_000),
    maxWebhooksPerAccount: positiveInt(env, "POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT", 25),
    bounceSecret: env.POSTBOX_BOUNCE_SECRET || null,
    publicUrl: publicUrl(env.POSTBOX_PUBLIC_URL),
    mailgunSigningKey: env.POSTBOX_MAILGUN_SIGNING_KEY || null,
    validateResponses: env.POSTBOX_VALIDATE_RESPONSES === "1",
    dkim: dkimConfig(env),
    accountDailySendCap: positiveInt(env, "POSTBOX_ACCOUNT_DAILY_SEND_CAP", 10_000),
    mailboxLimit: positiveInt(env, "POSTBOX_MAILBOX_LIMIT", 1000),
    retentionDays: positiveInt(env, "POSTBOX_RETENTION_DAYS", 90),
    rules: {
      autoReplyRequireAuth:
        env.POSTBOX_AUTO_REPLY_REQUIRE_AUTH === undefined
          ? true
          : flag(env, "POSTBOX_AUTO_REPLY_REQUIRE_AUTH"),
      autoRepliesPerHour: positiveInt(env, "POSTBOX_AUTO_REPLIES_PER_HOUR", 60),
      forwardsPerHour: positiveInt(env, "POSTBOX_RULE_FORWARDS_PER_HOUR", 120),
    },
    webhookRetrySchedule: schedule(env, "POSTBOX_WEBHOOK_RETRY_SCHEDULE", "10s,1m,5m,15m,1h,2h,4h,8h,8h"),
    smtpMaxConnections: positiveInt(env, "POSTBOX_SMTP_MAX_CONNECTIONS", 1000),
    smtpMaxConnectionsPerIp: positiveInt(env, "POSTBOX_SMTP_MAX_CONNECTIONS_PER_IP", 20),
    smtpGreetingDelayMs: boundedInt(env, "POSTBOX_SMTP_GREETING_DELAY_MS", 0, { min: 0, max: 300_000 }),
    smtpIdleTimeoutMs: positiveInt(env, "POSTBOX_SMTP_IDLE_TIMEOUT_MS", 300_000),
    httpMaxConnections: positiveInt(env, "POSTBOX_HTTP_MAX_CONNECTIONS", 5000),
    httpHeadersTimeoutMs,
    httpBodyTimeoutMs,
    httpKeepAliveTimeoutMs: positiveInt(env, "POSTBOX_HTTP_KEEPALIVE_TIMEOUT_MS", 65_000),
    maxStreamsPerKey: positiveInt(env, "POSTBOX_MAX_STREAMS_PER_KEY", 10),
    maxStreamsPerAccount: positiveInt(env, "POSTBOX_MAX_STREAMS_PER_ACCOUNT", 50),
    maxWaitsPerKey: positiveInt(env, "POSTBOX_MAX_WAITS_PER_KEY", 50),
    maxWaitsPerAccount: positiveInt(env, "POSTBOX_MAX_WAITS_PER_ACCOUNT", 200),
    shutdownGraceMs: positiveInt(env, "POSTBOX_SHUTDOWN_GRACE_MS", 4000),
    dashboard: dashboardConfig(env),
    trustProxy: flag(env, "POSTBOX_TRUST_PROXY"),
    metrics,
  };
}

function metricsConfig(env: NodeJS.ProcessEnv, roles: Set<Role>): MetricsConfig {
  const onApi = flag(env, "POSTBOX_METRICS");
  if (onApi && !roles.has("api"))
    throw new ConfigError(
      "POSTBOX_METRICS: this process has no api role to serve /metrics on; set POSTBOX_METRICS_PORT instead",
    );
  const token = env.POSTBOX_METRICS_TOKEN || null;
  if (token !== null && !/^[\x21-\x7e]{16,}$/.test(token))
    throw new ConfigError(
      "POSTBOX_METRICS_TOKEN: use at least 16 printable characters without spaces (openssl rand -hex 32)",
    );
  const rawPort = env.POSTBOX_METRICS_PORT;
  return {
    onApi,
    port: rawPort === undefined || rawPort === "" ? null : port(env, "POSTBOX_METRICS_PORT", 0),
    host: env.POSTBOX_METRICS_HOST || "127.0.0.1",
    token,
  };
}

function blobStoreKind(raw: string | undefined, databaseUrl: string | null): BlobStoreKind {
  if (raw === undefined || raw === "") return databaseUrl ? "postgres" : "fs";
  if (raw !== "fs" && raw !== "postgres")
    throw new ConfigError(`POSTBOX_BLOB_STORE: "${raw}" is not one of fs, postgres`);
  // The embedded database runs on the service's own thread and disk: the filesystem is the faster home there.
  if (raw === "postgres" && !databaseUrl)
    throw new ConfigError(
      "POSTBOX_BLOB_STORE: postgres needs DATABASE_URL (with the embedded database blobs stay in POSTBOX_DATA_DIR; use fs)",
    );
  return raw;
}

function schedule(env: Record<string, string | undefined>, name: string, fallback: string): string {
  const value = env[name] || fallback;
  if (!/^\s*\d+[smhd](\s*,\s*\d+[smhd])*\s*$/.test(value))
    throw new ConfigError(`${name}: "${value}" must be a comma list of durations like 1m,5m,1h`);
  return value;
}

function dkimConfig(env: Record<string, string | undefined>): Config["dkim"] {
  const selector = env.POSTBOX_DKIM_SELECTOR || "postbox";
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(selector))
    throw new ConfigError(
      `POSTBOX_DKIM_SELECTOR: "${selector}" must be a DNS label (letters, digits, hyphens)`,
    );
  const enabled = env.POSTBOX_DKIM_SIGN === undefined ? true : flag(env, "POSTBOX_DKIM_SIGN");
  return {
    enabled,
    selector,
    keyFile: env.POSTBOX_DKIM_KEY_FILE ? path.resolve(env.POSTBOX_DKIM_KEY_FILE) : null,
  };
}

/** Where the dashboard's built pages are in this repository (packages/dashboard/dist), from src/ or dist/. */
const DASHBOARD_DIST = fileURLToPath(new URL("../../../dashboard/dist", import.meta.url));

/** A session may last up to 30 days: a longer one is a stolen cookie's gift. */
const MAX_SESSION_HOURS = 720;

function dashboardConfig(env: Record<string, string | undefined>): Config["dashboard"] {
  const sessionHours = positiveInt(env, "POSTBOX_DASHBOARD_SESSION_HOURS", 12);
  if (sessionHours > MAX_SESSION_HOURS)
    throw new ConfigError(
      `POSTBOX_DASHBOARD_SESSION_HOURS: ${sessionHours} is more than ${MAX_SESSION_HOURS} (30 days)`,
    );
  return {
    enabled: env.POSTBOX_DASHBOARD ? flag(env, "POSTBOX_DASHBOARD") : true,
    dir: env.POSTBOX_DASHBOARD_DIR ? path.resolve(env.POSTBOX_DASHBOARD_DIR) : DASHBOARD_DIST,
    sessionHours,
  };
}

function mxHost(raw: string | undefined, domain: string): string {
  if (!raw) return domain;
  const host = raw.trim().toLowerCase().replace(/\.$/, "");
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(host))
    throw new ConfigError(`POSTBOX_MX_HOST: "${raw}" must be a host name (mx.example.com)`);
  return host;
}

function flag(env: Record<string, string | undefined>, name: string): boolean {
  const v = (env[name] ?? "").toLowerCase();
  if (["", "0", "false", "no"].includes(v)) return false;
  if (["1", "true", "yes"].includes(v)) return true;
  throw new ConfigError(`${name}: "${env[name]}" must be 1 or 0`);
}

export function injectionOnnx(env: Record<string, string | undefined>): Config["injectionOnnx"] {
  const modelPath = env.POSTBOX_INJECTION_ONNX_MODEL;
  if (!modelPath) return null;
  const label = env.POSTBOX_INJECTION_ONNX_LABEL ?? "1";
  if (!/^\d+$/.test(label))
    throw new ConfigError(`POSTBOX_INJECTION_ONNX_LABEL: "${label}" must be a class index (0, 1, …)`);
  return {
    modelPath: path.resolve(modelPath),
    tokenizerPath: env.POSTBOX_INJECTION_ONNX_TOKENIZER
      ? path.resolve(env.POSTBOX_INJECTION_ONNX_TOKENIZER)
      : null,
    label: Number(label),
    maxTokens: positiveInt(env, "POSTBOX_INJECTION_ONNX_MAX_TOKENS", 512),
  };
}
