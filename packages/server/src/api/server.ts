import http from "node:http";
import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import type { Clock } from "../domain/clock.ts";
import { AppError, agentInstructionsFor } from "../domain/errors.ts";
import type { Principal } from "../domain/principal.ts";
import { isUnsafeText, parseDateTime } from "../domain/safe-text.ts";
import { isStorageFull, storageFull } from "../domain/storage-full.ts";
import type { MailboxWakeups } from "../events/wakeups.ts";
import type { Accept } from "../inbound/accept.ts";
import type { SenderAuthenticator } from "../inbound/authenticate.ts";
import type { DkimKey } from "../outbound/dkim/sign.ts";
import type { BounceHandler } from "../outbound/feedback/bounces.ts";
import type { SendService } from "../outbound/send.ts";
import type { Config } from "../platform/config.ts";
import type { DnsResolver } from "../platform/dns.ts";
import type { Logger } from "../platform/logger.ts";
import type { Metrics } from "../platform/metrics.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import { requireCsrf, resolveSession } from "../tenancy/dashboard-sessions.ts";
import type { WebhookDispatcher } from "../webhooks/dispatcher.ts";
import { type Authenticator, createAuthenticator } from "./auth.ts";
import type { ErrorCode } from "./error-catalog.ts";
import { HTTP_STATUS } from "./http-status.ts";
import { createLiveRequests, type LiveRequests } from "./live.ts";
import { createResponseValidator } from "./response-validation.ts";
import { accountExportRoutes } from "./routes/account-export.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { attachmentRoutes } from "./routes/attachments.ts";
import { auditRoutes } from "./routes/audit.ts";
import { bounceRoutes } from "./routes/bounces.ts";
import { bridgeRoutes } from "./routes/bridge.ts";
import { dashboardPageRoutes } from "./routes/dashboard-pages.ts";
import { dashboardSessionRoutes } from "./routes/dashboard-session.ts";
import { dkimRoutes } from "./routes/dkim.ts";
import { domainRoutes } from "./routes/domains.ts";
import { draftRoutes } from "./routes/drafts.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { inboundAllowlistRoutes } from "./routes/inbound-allowlist.ts";
import { ingestRoutes } from "./routes/ingest.ts";
import { legalHoldRoutes } from "./routes/legal-holds.ts";
import { mailboxRoutes } from "./routes/mailboxes.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { messageRoutes } from "./routes/messages.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { moderationRoutes } from "./routes/moderation.ts";
import { policyRoutes } from "./routes/policies.ts";
import { recipientRoutes } from "./routes/recipients.ts";
import { reviewRoutes } from "./routes/reviews.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { simulatorRoutes } from "./routes/simulator.ts";
import { threadRoutes } from "./routes/threads.ts";
import { verifiedRecipientRoutes } from "./routes/verified-recipients.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { mergeErrors, sharedSchemas } from "./schemas/index.ts";
import { CSRF_HEADER, SESSION_COOKIE, sessionCookieOf } from "./session-cookie.ts";

export interface ApiDeps {
  config: Config;
  db: Db;
  /** The time use-cases decide with (a test may set it). */
  clock: Clock;
  blobs: BlobStore;
  logger: Logger;
  send: SendService;
  accept: Accept;
  wakeups: MailboxWakeups;
  /** SPF/DKIM/DMARC for dry runs of raw messages. */
  authenticateSender: SenderAuthenticator;
  /** Wakes event streams when events of an account commit. */
  eventWakeups: MailboxWakeups;
  webhooks: WebhookDispatcher;
  bounces: BounceHandler;
  /** The outbound DKIM key (null when signing is off). */
  dkim: () => Promise<DkimKey | null>;
  /** Lookups that check custom domains' records (uncached). */
  dns: Pick<DnsResolver, "resolveMx" | "resolve">;
  version: string;
  /** Served at GET /metrics when POSTBOX_METRICS=1. */
  metrics?: Metrics;
}

export interface RouteContext extends ApiDeps {
  auth: Authenticator;
  /**
   * The principal of a request, from its credentials as the authentication hook reads them (bearer or bridge key,
   * else the dashboard session cookie); a long-poll re-checks the caller with it.
   */
  authenticateRequest(req: FastifyRequest, opts?: { fresh?: boolean }): Promise<Principal>;
  /** Event streams and long-polls: their per-key caps and their end at shutdown. */
  live: LiveRequests;
}

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes are authenticated unless they opt out. */
    public?: boolean;
    /**
     * The route also takes a bare key in the `x-agentpack-key` header, or as the password of Basic credentials
     * (the bridge routes, docs/bridge.md).
     */
    agentpackKey?: boolean;
    /** A dashboard page, not an API answer: no JSON response contract (api/response-validation.ts). */
    page?: boolean;
    /** The route relays another protocol's answers (MCP's JSON-RPC): the response validator checks its errors only. */
    relayed?: boolean;
  }
}

/** The principal of an authenticated route (the hook guarantees one). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError("unauthenticated", "UNAUTHENTICATED", "missing API key");
  return req.principal;
}

const JSON_BODY_LIMIT = 1024 * 1024;

/** Reads that may be answered from the key cache; anything else re-checks the key in the database. */
const READS = new Set(["GET", "HEAD", "OPTIONS"]);

export async function buildApi(deps: ApiDeps): Promise<Api> {
  const { config } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    // Node's request timeout runs only while the request (headers and body) is being received, not while the
    // answer is awaited: a trickled body is cut, a 60 s long-poll or an event stream is not.
    requestTimeout: config.httpBodyTimeoutMs,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs,
    http: {
      headersTimeout: config.httpHeadersTimeoutMs,
      requestTimeout: config.httpBodyTimeoutMs,
      // How often Node checks those two timeouts (its default, 30 s, would let them overrun by as much).
      connectionsCheckingInterval: Math.min(1000, config.httpHeadersTimeoutMs),
    },
    // Requests that arrive while closing get our own 503 (below), in the JSON envelope.
    return503OnClosing: false,
    // Behind a reverse proxy, the client address and scheme are what the nearest hop says (POSTBOX_TRUST_PROXY).
    trustProxy: config.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    ajv: { customOptions: {} },
    // What Node's HTTP parser and Fastify's router refuse gets the same JSON envelope as everything else.
    clientErrorHandler: answerClientError,
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toErrorResponse(err);
      void reply.status(status as never).send(body as never);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Past this many open connections, new ones are closed as they arrive (no request has been read to answer).
  app.server.maxConnections = config.httpMaxConnections;

  // Bodies are validated strictly (a number is not a string); query strings and paths are text, so coerce.
  const strict = new Ajv({
    coerceTypes: false,
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  const lenient = new Ajv({
    coerceTypes: "array",
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  for (const ajv of [strict, lenient]) {
    addFormats.default(ajv, ["email", "uuid"]);
    // Only dates the database can store: in range, field by field (no 30 February, no leap second, no year 0).
    ajv.addFormat("date-time", { type: "string", validate: (s: string) => parseDateTime(s) !== null });
  }
  app.setValidatorCompiler(({ schema, httpPart }) =>
    // Bodies read as raw bytes (message/rfc822, signed JSON) are documented with a schema, checked by their use-case.
    httpPart === "body" && "x-raw-body" in schema
      ? () => true
      : (httpPart === "body" ? strict : lenient).compile(schema),
  );

  // Response schemas document the wire and are the tests' contract (api/response-validation.ts); they never shape
  // what is sent. Fastify would compile them into serializers that drop every field a schema does not list.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // The named objects (components.schemas in the OpenAPI document) the routes' response schemas refer to.
  for (const schema of sharedSchemas()) app.addSchema(schema);
  // The errors any route can answer, by what the route is: authenticated or not, with input, writing or reading.
  app.addHook("onRoute", (route) => {
    route.schema ??= {};
    route.schema.response ??= {};
    mergeErrors(route.schema.response as Record<string, unknown>, commonErrors(route));
  });

  await app.register(swagger, {
    // Components keep their names ($id) instead of def-0, def-1 …
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === "string" ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Postbox API",
        version: deps.version,
        description: "Governed email for AI agents. Authenticate with `Authorization: Bearer <key>`.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          // The bridge routes (docs/bridge.md) also take the key bare in this header, or as a Basic password.
          agentpackKey: { type: "apiKey", in: "header", name: "x-agentpack-key" },
          basic: { type: "http", scheme: "basic" },
          // The dashboard's session (docs/security.md): any route takes it when no key header is sent; changes
          // made with it carry the session's CSRF token in x-csrf-token.
          dashboardSession: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }],
      // Where `postbox serve` listens by default; a deployment has its own URL (the paths are the same).
      servers: [
        { url: "http://127.0.0.1:8025", description: "A local Postbox (POSTBOX_HOST, POSTBOX_HTTP_PORT)" },
      ],
    },
  });

  // JSON everywhere, raw MIME for ingest; nothing else is parsed (text/plain gets a 415).
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser(
    ["message/rfc822", "application/octet-stream"],
    { parseAs: "buffer", bodyLimit: deps.config.maxMessageBytes },
    (_req, body, done) => done(null, body),
  );

  // A connection that never sent a request is neither busy nor idle to Node: it would hold up a shutdown until
  // headersTimeout (60 s). Such connections are dropped when the server closes.
  const unused = new Set<Socket>();
  app.server.on("connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  app.server.on("request", (req: { socket: Socket }) => unused.delete(req.socket));
  const live = createLiveRequests(config);
  app.addHook("preClose", async () => {
    for (const socket of unused) socket.destroy();
    // Long-polls answer and event streams end before the server waits for its connections to finish.
    await live.close(1000);
  });

  const auth = await createAuthenticator(deps.db);
  app.addHook("onClose", async () => auth.close());
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (_req, reply) => {
    if (!live.closing.aborted) return;
    // A keep-alive connection can still bring a request while the server drains: send it elsewhere.
    void reply.header("connection", "close").header("retry-after", "1");
    throw new AppError(
      "unavailable",
      "SHUTTING_DOWN",
      "this instance is shutting down; retry in a moment or on another one",
    );
  });
  /** Principals of key headers first; only a request that sends none is authenticated by the session cookie. */
  async function authenticateRequest(
    req: FastifyRequest,
    opts: { fresh?: boolean } = {},
  ): Promise<Principal> {
    const agentpack = req.routeOptions.config?.agentpackKey;
    const key = agentpack ? req.headers["x-agentpack-key"] : undefined;
    if (typeof key !== "string" && req.headers.authorization === undefined && config.dashboard.enabled) {
      const secret = sessionCookieOf(req.headers.cookie);
      if (secret !== null) {
        const { session, principal } = await resolveSession(deps, secret);
        // A browser sends the cookie with any request to this origin: a change must prove it comes from the page.
        if (!READS.has(req.method)) requireCsrf(session, req.headers[CSRF_HEADER]);
        return principal;
      }
    }
    if (agentpack) {
      if (typeof key === "string" && req.headers.authorization !== undefined)
        throw new AppError(
          "unauthenticated",
          "AMBIGUOUS_CREDENTIALS",
          "send the key in one header: x-agentpack-key or Authorization, not both",
        );
      if (typeof key === "string") return auth.authenticateKey(key.trim(), opts);
      // Provider webhooks cannot add headers but can put credentials in their URL: the key is the password.
      const basic = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(req.headers.authorization ?? "");
      if (basic) {
        const pair = Buffer.from(basic[1]!, "base64").toString("utf8");
        return auth.authenticateKey(pair.slice(pair.indexOf(":") + 1), opts);
      }
      if (req.headers.authorization === undefined)
        throw new AppError(
          "unauthenticated",
          "UNAUTHENTICATED",
          "missing API key: send the header x-agentpack-key: <key> (or Authorization: Bearer <key>)",
        );
    }
    return auth.authenticate(req.headers.authorization, opts);
  }
  app.addHook("onRequest", async (req) => {
    if (req.routeOptions.config?.public || !req.routeOptions.url) return;
    req.principal = await authenticateRequest(req, { fresh: !READS.has(req.method) });
  });
  // A POST with no body at all (curl -X POST …/test) is an empty JSON object: optional bodies stay optional.
  // Then no text the database cannot store (NUL, unpaired surrogates) gets past the edge, wherever it sits.
  app.addHook("preValidation", async (req) => {
    if (req.body === undefined && req.method !== "GET" && !req.headers["content-type"]) req.body = {};
    for (const [part, value] of [
      ["params", req.params],
      ["querystring", req.query],
      ["body", req.body],
    ] as const) {
      const at = unsafeTextAt(value);
      if (at !== null)
        throw new AppError(
          "invalid",
          "INVALID_STRING",
          `${part}${at} holds a NUL character or an unpaired UTF-16 surrogate; send valid Unicode text`,
          { field: `${part}${at}` },
        );
    }
  });
  app.addHook("onSend", async (_req, reply) => {
    void reply.header("x-content-type-options", "nosniff");
  });
  if (config.validateResponses) app.addHook("onSend", createResponseValidator(deps.logger));

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    const { status, body, headers } = toErrorResponse(err);
    // A 5xx we chose to answer (shutting down, storage full) is not an incident.
    if (status >= 500 && !(err instanceof AppError))
      deps.logger.error("request failed", {
        req_id: req.id,
        method: req.method,
        url: req.url,
        err: String(err),
        stack: err.stack,
      });
    if (headers) void reply.headers(headers);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: `no route ${req.method} ${req.url.split("?")[0]}`, code: "ROUTE_NOT_FOUND" }),
  );

  const ctx: RouteContext = { ...deps, auth, live, authenticateRequest };
  app.get(
    "/v1/openapi.json",
    {
      config: { public: true },
      schema: {
        hide: true,
        response: { 200: { type: "object", description: "This API's OpenAPI 3.1 document." } },
      },
    },
    async () => app.swagger(),
  );
  await app.register(async (r) => healthRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => accountRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => apiKeyRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => mailboxRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => messageRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => attachmentRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => threadRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => policyRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => auditRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => moderationRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => inboundAllowlistRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => reviewRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => draftRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => eventRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => dkimRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => domainRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => bounceRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => ruleRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => recipientRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => verifiedRecipientRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => webhookRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => ingestRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => bridgeRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => simulatorRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => legalHoldRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  await app.register(async (r) => accountExportRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  if (config.dashboard.enabled) {
    await app.register(async (r) => dashboardSessionRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
    await app.register(async (r) => dashboardPageRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx));
  }
  const { metrics } = deps;
  if (config.metrics.onApi && metrics)
    await app.register(async (r) => metricsRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), ctx, metrics));
  // The MCP tools call this API in process, through the root instance's inject.
  await app.register(async (r) => mcpRoutes(r.withTypeProvider<TypeBoxTypeProvider>(), (o) => app.inject(o)));
  return app;
}

/** The errors a route can answer whatever it does: they come from the edge (hooks, parsers, validation). */
function commonErrors(route: {
  method: string | string[];
  schema?: { params?: unknown; querystring?: unknown; body?: unknown };
  config?: { public?: boolean; agentpackKey?: boolean };
}): ErrorCode[] {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const writes = methods.some((m) => !READS.has(m));
  const codes: ErrorCode[] = [
    "INVALID_URL",
    "INVALID_STRING",
    "BAD_REQUEST",
    "INTERNAL_ERROR",
    "SHUTTING_DOWN",
  ];
  if (route.schema?.params || route.schema?.querystring || route.schema?.body)
    codes.push("VALIDATION_ERROR", "INVALID_ID", "INVALID_DATE");
  if (writes) codes.push("INVALID_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "STORAGE_FULL");
  if (!route.config?.public) codes.push("UNAUTHENTICATED", "INVALID_API_KEY", "SESSION_EXPIRED");
  // A change authenticated by the dashboard's session cookie must carry its CSRF token.
  if (!route.config?.public && writes) codes.push("CSRF_TOKEN_INVALID");
  if (route.config?.agentpackKey) codes.push("AMBIGUOUS_CREDENTIALS");
  return codes;
}

interface ErrorBody {
  error: string;
  code: string;
  details?: Record<string, unknown>;
  errors?: string[];
}

/** Maps every failure to the JSON envelope; internals of a 5xx never reach the client. */
export function toErrorResponse(err: FastifyError | AppError): {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
} {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: err.message, code: err.code };
    // What an agent should do about it, from the one table of them (domain/errors.ts).
    const instructions = agentInstructionsFor(err.code);
    if (err.details || instructions)
      body.details = { ...err.details, ...(instructions ? { agent_instructions: [...instructions] } : {}) };
    if (Array.isArray(err.details?.errors)) body.errors = err.details.errors as string[];
    const headers =
      err.retryAfterSeconds === undefined ? undefined : { "retry-after": String(err.retryAfterSeconds) };
    return { status: HTTP_STATUS[err.refusal], body, headers };
  }
  if (isStorageFull(err)) return toErrorResponse(storageFull());
  const fe = err as FastifyError;
  if (fe.validation) {
    const errors = fe.validation.map((v) => describeValidation(fe.validationContext ?? "body", v));
    return {
      status: 400,
      body: {
        error: errors[0] ?? "invalid request",
        code: validationCode(fe.validation),
        errors,
        details: { errors },
      },
    };
  }
  switch (fe.code) {
    case "FST_ERR_BAD_URL":
    case "FST_ERR_MAX_PARAM_LENGTH":
      return {
        status: 400,
        body: {
          error: "the URL is not valid (bad percent-encoding or an over-long segment)",
          code: "INVALID_URL",
        },
      };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, body: { error: "request body is not valid JSON", code: "INVALID_JSON" } };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, body: { error: "request body is too large", code: "PAYLOAD_TOO_LARGE" } };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return {
        status: 415,
        body: {
          error: "unsupported Content-Type; send application/json (or message/rfc822 for ingest)",
          code: "UNSUPPORTED_MEDIA_TYPE",
        },
      };
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return { status: 400, body: { error: "Content-Length does not match the body", code: "BAD_REQUEST" } };
  }
  if (err instanceof SyntaxError)
    return { status: 400, body: { error: "request body is not valid JSON", code: "INVALID_JSON" } };
  const status =
    typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
  if (status < 500) return { status, body: { error: fe.message, code: "BAD_REQUEST" } };
  return { status: 500, body: { error: "internal error; the incident was logged", code: "INTERNAL_ERROR" } };
}

/** One code per kind of bad value: ids and dates have their own, everything else is a validation error. */
function validationCode(errors: { keyword?: string; params?: Record<string, unknown> }[]): string {
  const first = errors[0];
  if (first?.keyword === "format" && first.params?.format === "uuid") return "INVALID_ID";
  if (first?.keyword === "format" && first.params?.format === "date-time") return "INVALID_DATE";
  return "VALIDATION_ERROR";
}

/** Where in a request part the first unsafe string sits (keys included), or null; iterative, so depth is no risk. */
function unsafeTextAt(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      if (isUnsafeText(v)) return at;
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) stack.push([x, `${at}[${i}]`]);
    } else if (v !== null && typeof v === "object" && !Buffer.isBuffer(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (isUnsafeText(k)) return `${at}.<key>`;
        stack.push([x, `${at}.${k}`]);
      }
    }
  }
  return null;
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; error: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: "REQUEST_TIMEOUT",
    error: "the request took too long to arrive",
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: "HEADERS_TOO_LARGE",
    error: "the request headers are too large",
  },
};

/** A request Node's HTTP parser refused: answered in the JSON envelope, then the connection is closed. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const known = CLIENT_ERRORS[err.code ?? ""] ?? {
    status: 400,
    code: "BAD_REQUEST",
    error: "the request is not valid HTTP",
  };
  const body = JSON.stringify({ error: known.error, code: known.code });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${known.status} ${http.STATUS_CODES[known.status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}

function describeValidation(
  context: string,
  v: { instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> },
): string {
  const at = `${context}${(v.instancePath ?? "").replace(/\//g, ".")}`;
  if (v.keyword === "required") return `${at}.${String(v.params?.missingProperty)} is required`;
  if (v.keyword === "additionalProperties")
    return `${at}.${String(v.params?.additionalProperty)} is not a known field`;
  return `${at} ${v.message ?? "is invalid"}`;
}
