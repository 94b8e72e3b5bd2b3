import { ConnectionError, type ErrorBody, errorFromResponse, PostboxError } from "./errors.ts";
import type {
  Account,
  AccountDeletion,
  AccountPolicy,
  Added,
  AllowlistEntry,
  ApiKey,
  ApplyLegalHoldParams,
  AttachmentDownloadUrl,
  AttachmentPreview,
  AttachmentUpload,
  AuditEntry,
  AuditVerification,
  BlockedAttempt,
  BlockedAttemptGroup,
  BlockedAttemptsParams,
  BlocklistEntry,
  BulkResult,
  ConfirmationResent,
  CreateDomainParams,
  CreateDraftParams,
  CreatedAccount,
  CreatedApiKey,
  CreateWebhookParams,
  Deleted,
  DeletedMailbox,
  DeletedMessage,
  DkimRecord,
  Domain,
  DomainCreated,
  DomainVerification,
  Draft,
  EventPage,
  EventType,
  Health,
  InboundBlockedAttempt,
  InboundBlockedAttemptGroup,
  KeyIdentity,
  KeyRole,
  LegalHold,
  ListAuditParams,
  ListEventsParams,
  Listed,
  ListLegalHoldsParams,
  ListMessagesParams,
  ListThreadsParams,
  Mailbox,
  MailPolicy,
  Message,
  MessageSummary,
  OwnAccount,
  PolicyMode,
  PolicyPreview,
  PolicyPreviewParams,
  PolicyResponse,
  PolicyTestInput,
  PolicyTestResult,
  PostboxEvent,
  QuotaStatus,
  ReplyParams,
  ReviseMessageParams,
  RuleSet,
  SendParams,
  SendResult,
  Suppression,
  SuppressionReason,
  Thread,
  ThreadWithMessages,
  UpdateMailboxParams,
  UploadAttachmentParams,
  Usage,
  VerifiedRecipient,
  WaitParams,
  WaitResult,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookWithSecret,
} from "./types.ts";

export interface RetryInfo {
  attempt: number;
  error: Error;
  delaySeconds: number;
  method: string;
  path: string;
}

export interface PostboxOptions {
  apiKey: string;
  baseUrl?: string;
  /** Retries on 429 (every method) and 5xx or network failure (GET only). 0 fails fast. */
  maxRetries?: number;
  /** Seconds per request. */
  timeout?: number;
  /** A 429 asking to wait longer than this raises RateLimitError instead of sleeping. */
  maxRetryAfterSeconds?: number;
  /** Called before each retry; silent by default. A throwing hook is ignored. */
  onRetry?: (info: RetryInfo) => void | Promise<void>;
  fetch?: typeof fetch;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  cursor: string | null;
}

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** A raw MIME body (sent as message/rfc822) instead of JSON. */
  rawBody?: Uint8Array | string;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
  raw?: boolean;
  /** Resolve with the body as a stream once the headers are in (the timeout covers only the wait for them). */
  stream?: boolean;
  /** A multipart form: sent once, never retried (a file half-uploaded is not sent again behind the caller's back). */
  form?: FormData;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}

/** The Postbox API client. */
export class Postbox {
  readonly mailboxes: MailboxesResource;
  readonly messages: MessagesResource;
  readonly threads: ThreadsResource;
  readonly apiKeys: ApiKeysResource;
  readonly health: HealthResource;
  readonly accounts: AccountsResource;
  readonly audit: AuditResource;
  readonly blocklist: BlocklistResource;
  readonly drafts: DraftsResource;
  readonly webhooks: WebhooksResource;
  readonly domains: DomainsResource;
  readonly events: EventsResource;
  readonly suppressions: SuppressionsResource;
  readonly allowlist: AllowlistResource;
  readonly simulator: SimulatorResource;
  readonly inboundAllowlist: InboundAllowlistResource;
  readonly recipients: VerifiedRecipientsResource;
  readonly legalHolds: LegalHoldsResource;
  readonly attachments: AttachmentsResource;

  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly maxRetries: number;
  private readonly timeout: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly onRetry: PostboxOptions["onRetry"];
  private readonly fetchImpl: typeof fetch;

  constructor(opts: PostboxOptions) {
    if (!opts?.apiKey) throw new TypeError("Postbox: apiKey is required");
    this.apiKey = opts.apiKey;
    this.baseUrl = (opts.baseUrl ?? "http://127.0.0.1:8025").replace(/\/+$/, "");
    this.maxRetries = opts.maxRetries ?? 3;
    this.timeout = opts.timeout ?? 30;
    this.maxRetryAfterSeconds = opts.maxRetryAfterSeconds ?? 4000;
    this.onRetry = opts.onRetry;
    this.fetchImpl = opts.fetch ?? fetch;
    this.mailboxes = new MailboxesResource(this);
    this.messages = new MessagesResource(this);
    this.threads = new ThreadsResource(this);
    this.apiKeys = new ApiKeysResource(this);
    this.health = new HealthResource(this);
    this.accounts = new AccountsResource(this);
    this.audit = new AuditResource(this);
    this.blocklist = new BlocklistResource(this);
    this.drafts = new DraftsResource(this);
    this.webhooks = new WebhooksResource(this);
    this.domains = new DomainsResource(this);
    this.events = new EventsResource(this);
    this.suppressions = new SuppressionsResource(this);
    this.allowlist = new AllowlistResource(this);
    this.simulator = new SimulatorResource(this);
    this.inboundAllowlist = new InboundAllowlistResource(this);
    this.recipients = new VerifiedRecipientsResource(this);
    this.legalHolds = new LegalHoldsResource(this);
    this.attachments = new AttachmentsResource(this);
  }

  /** @internal Opens a streaming GET (Server-Sent Events); the caller reads the body. */
  async openStream(
    path: string,
    query: Record<string, string | undefined>,
    lastEventId: string | null,
    signal?: AbortSignal,
  ) {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: "text/event-stream",
    };
    if (lastEventId) headers["last-event-id"] = lastEventId;
    const res = await this.fetchImpl(url, { headers, signal });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as ErrorBody | null;
      throw errorFromResponse(res.status, body, parseRetryAfter(res.headers.get("retry-after")));
    }
    return res;
  }

  /** Sets a mailbox's MailPolicy; an invalid document raises ValidationError with `fieldErrors`. */
  setPolicy(mailboxId: string, policy: MailPolicy): Promise<PolicyResponse> {
    return this.request("PUT", `/v1/mailboxes/${encodeURIComponent(mailboxId)}/policy`, { body: policy });
  }

  /** A mailbox's inbound rules (label, forward, auto_reply). */
  getRules(mailboxId: string): Promise<RuleSet> {
    return this.request("GET", `/v1/mailboxes/${encodeURIComponent(mailboxId)}/rules`);
  }

  /** Replaces a mailbox's inbound rules (admin keys); an invalid set raises ValidationError naming each problem. */
  setRules(mailboxId: string, rules: RuleSet): Promise<RuleSet> {
    return this.request("PUT", `/v1/mailboxes/${encodeURIComponent(mailboxId)}/rules`, { body: rules });
  }

  /**
   * A mailbox's policy: its agent policy (mode, authoring, send window, review, recipient policy, what binds this
   * key) and its MailPolicy (`policy: null` when it has none and accepts everything).
   */
  getPolicy(mailboxId: string): Promise<PolicyResponse> {
    return this.request("GET", `/v1/mailboxes/${encodeURIComponent(mailboxId)}/policy`);
  }

  /** Dry run of the send gates for an agent's send from the mailbox (admin keys); nothing is recorded. */
  previewPolicy(mailboxId: string, params: PolicyPreviewParams): Promise<PolicyPreview> {
    return this.request("POST", `/v1/mailboxes/${encodeURIComponent(mailboxId)}/policy/preview`, {
      body: params,
    });
  }

  /**
   * Dry run: what the mailbox's policy would do with a message, step by step; nothing is recorded. Pass the
   * facts (`{from, body, dkim, spf, thread_id}`), or raw MIME with its envelope to run real authentication.
   */
  testPolicy(
    mailboxId: string,
    input:
      | PolicyTestInput
      | { raw: Uint8Array | string; mail_from?: string; client_ip?: string; helo?: string },
  ): Promise<PolicyTestResult> {
    const path = `/v1/mailboxes/${encodeURIComponent(mailboxId)}/policy/test`;
    if ("raw" in input) {
      const { raw, ...envelope } = input;
      return this.request("POST", path, { rawBody: raw, query: envelope });
    }
    return this.request("POST", path, { body: input });
  }

  /** The DKIM record to publish for outbound mail (admin keys); ConflictError DKIM_DISABLED when signing is off. */
  dkimRecord(): Promise<DkimRecord> {
    return this.request("GET", "/v1/dkim");
  }

  /** @internal Downloads a URL this server signed (no key: the URL is the credential). */
  async fetchUrl(url: string): Promise<Uint8Array> {
    const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeout * 1000) });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as ErrorBody | null;
      throw errorFromResponse(res.status, body, null);
    }
    return new Uint8Array(await res.arrayBuffer());
  }

  /** @internal */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, ...opts.headers };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.rawBody !== undefined) headers["content-type"] = "message/rfc822";
    // fetch writes the multipart Content-Type with its boundary.
    const payload = opts.form ?? requestBody(opts);
    for (let attempt = 0; ; attempt++) {
      let error: Error;
      let delay: number;
      try {
        // A stream's body may take far longer than the timeout: only the wait for its headers is bounded.
        const abort = new AbortController();
        const timer = setTimeout(
          () => abort.abort(new DOMException("request timed out", "TimeoutError")),
          (opts.timeoutSeconds ?? this.timeout) * 1000,
        );
        let res: Response;
        let body: ErrorBody | null;
        try {
          res = await this.fetchImpl(url, {
            method,
            headers,
            body: payload,
            signal: abort.signal,
          });
          if (res.ok) {
            if (opts.stream) return res.body as T;
            if (opts.raw) return new Uint8Array(await res.arrayBuffer()) as T;
            if (res.status === 204) return undefined as T;
            return (await res.json()) as T;
          }
          body = (await res.json().catch(() => null)) as ErrorBody | null;
        } finally {
          clearTimeout(timer);
        }
        const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
        error = errorFromResponse(res.status, body, retryAfter);
        if (opts.form) throw error;
        if (res.status === 429) {
          if (retryAfter !== null && retryAfter > this.maxRetryAfterSeconds) throw error;
          delay = retryAfter ?? backoff(attempt);
        } else if (res.status >= 500 && method === "GET") {
          delay = backoff(attempt);
        } else {
          throw error;
        }
      } catch (err) {
        if (err instanceof Error && "status" in err) throw err;
        const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
        error = new ConnectionError(
          timedOut
            ? `request timed out: ${method} ${path}`
            : `could not reach ${this.baseUrl}: ${String((err as Error)?.message ?? err)}`,
          { status: null, code: timedOut ? "TIMEOUT" : "CONNECTION_ERROR" },
        );
        // Without an answer a POST may have run: only reads are retried.
        if (method !== "GET") throw error;
        delay = backoff(attempt);
      }
      if (attempt >= this.maxRetries) throw error;
      try {
        await this.onRetry?.({ attempt: attempt + 1, error, delaySeconds: delay, method, path });
      } catch {
        // a failing hook must not break the retry
      }
      await sleep(delay);
    }
  }

  /** @internal Turns a list call into a Page, or into an async iterator over every item. */
  paginate<T>(
    fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
    firstCursor?: string,
  ): AsyncIterable<T> {
    return {
      async *[Symbol.asyncIterator]() {
        let cursor = firstCursor;
        for (;;) {
          const page = await fetchPage(cursor);
          yield* page.data;
          if (!page.hasMore || !page.cursor) return;
          cursor = page.cursor;
        }
      },
    };
  }
}

/**
 * The fetch body. Bytes are copied into a plain ArrayBuffer-backed array: the DOM's BodyInit does not take a view
 * that may sit on a SharedArrayBuffer (`Uint8Array<ArrayBufferLike>`).
 */
function requestBody(opts: RequestOptions): string | Uint8Array<ArrayBuffer> | undefined {
  if (typeof opts.rawBody === "string") return opts.rawBody;
  if (opts.rawBody) return new Uint8Array(opts.rawBody);
  return opts.body === undefined ? undefined : JSON.stringify(opts.body);
}

function backoff(attempt: number): number {
  return Math.min(0.5 * 2 ** attempt, 8);
}

/** A list on the wire: the items under the resource's key, then `has_more` and `next_cursor`. */
type WirePage<K extends string, T> = { [k in K]: T[] } & { has_more: boolean; next_cursor: string | null };

const toPage =
  <K extends string>(key: K) =>
  <T>(p: WirePage<K, T>): Page<T> => ({ data: p[key], hasMore: p.has_more, cursor: p.next_cursor });
const enc = encodeURIComponent;

/** Idempotency-Key, and `Prefer: outcome=strict` (a send that did not go out raises instead of resolving). */
function sendHeaders(idempotencyKey?: string, strictOutcome?: boolean): Record<string, string> | undefined {
  const h: Record<string, string> = {};
  if (idempotencyKey) h["idempotency-key"] = idempotencyKey;
  if (strictOutcome) h.prefer = "outcome=strict";
  return Object.keys(h).length > 0 ? h : undefined;
}

class MailboxesResource {
  constructor(private readonly c: Postbox) {}
  /** `domain`: a verified domain of the account (name or id); default: the account's default domain. */
  create(params: { name: string; display_name?: string; domain?: string }): Promise<Mailbox> {
    return this.c.request("POST", "/v1/mailboxes", { body: params });
  }
  list(params?: { limit?: number; cursor?: string; autoPaginate?: false }): Promise<Page<Mailbox>>;
  list(params: { limit?: number; autoPaginate: true }): AsyncIterable<Mailbox>;
  list(
    params: { limit?: number; cursor?: string; autoPaginate?: boolean } = {},
  ): Promise<Page<Mailbox>> | AsyncIterable<Mailbox> {
    const one = (cursor?: string) =>
      this.c
        .request<WirePage<"mailboxes", Mailbox>>("GET", "/v1/mailboxes", {
          query: { limit: params.limit, cursor },
        })
        .then(toPage("mailboxes"));
    return params.autoPaginate ? this.c.paginate(one, params.cursor) : one(params.cursor);
  }
  get(idOrName: string): Promise<Mailbox> {
    return this.c.request("GET", `/v1/mailboxes/${enc(idOrName)}`);
  }
  update(idOrName: string, params: UpdateMailboxParams): Promise<Mailbox> {
    return this.c.request("PATCH", `/v1/mailboxes/${enc(idOrName)}`, { body: params });
  }
  /**
   * Switches the inbound sender policy (admin keys). ValidationError ALLOWLIST_EMPTY when switching to allowlist
   * with an empty sender allowlist, unless forceEmpty (then every sender is blocked).
   */
  setSenderPolicy(
    idOrName: string,
    mode: "blocklist" | "allowlist",
    opts: { forceEmpty?: boolean } = {},
  ): Promise<{
    mailbox_id: string;
    sender_policy_mode: "blocklist" | "allowlist";
    previous_mode: "blocklist" | "allowlist";
    changed_at: string;
  }> {
    return this.c.request("PATCH", `/v1/mailboxes/${enc(idOrName)}/sender-policy`, {
      body: { mode, ...(opts.forceEmpty !== undefined ? { force_empty: opts.forceEmpty } : {}) },
    });
  }
  /** Cancels what was still to be done in its name (unsent drafts, queued deliveries, rule runs) and says how much. */
  delete(idOrName: string): Promise<DeletedMailbox> {
    return this.c.request("DELETE", `/v1/mailboxes/${enc(idOrName)}`);
  }
}

/**
 * Attachments: inbound ones by signed download URL or text preview, under the mailbox's policy; outbound ones
 * staged by upload (scanned asynchronously), then named in `attachment_ids` of a send, reply or draft.
 */
class AttachmentsResource {
  constructor(private readonly c: Postbox) {}

  /** A signed URL (5 minutes, no key needed) that downloads one attachment of a message. */
  getDownloadUrl(messageId: string, index: number): Promise<AttachmentDownloadUrl> {
    return this.c.request("GET", `/v1/messages/${enc(messageId)}/attachments/${index}`);
  }

  /** The bytes of one attachment, exactly as they arrived: a signed URL, then its download. */
  async download(messageId: string, index: number): Promise<Uint8Array> {
    const { url } = await this.getDownloadUrl(messageId, index);
    return this.c.fetchUrl(url);
  }

  /** The extracted text of one attachment (plain text, CSV, HTML, PDF). */
  getPreview(messageId: string, index: number): Promise<AttachmentPreview> {
    return this.c.request("GET", `/v1/messages/${enc(messageId)}/attachments/${index}/preview`);
  }

  /** Stages a file to send; never retried. Poll getUpload until content_scan_status leaves pending. */
  upload(params: UploadAttachmentParams): Promise<AttachmentUpload> {
    const form = new FormData();
    form.append("mailbox_id", params.mailbox_id);
    if (params.content_type) form.append("content_type", params.content_type);
    const file =
      params.file instanceof Blob
        ? params.file
        : new Blob(
            [params.file as Uint8Array<ArrayBuffer>],
            params.content_type ? { type: params.content_type } : {},
          );
    form.append("file", file, params.filename);
    return this.c.request("POST", "/v1/attachments", { form });
  }

  getUpload(id: string): Promise<AttachmentUpload> {
    return this.c.request("GET", `/v1/attachments/${enc(id)}`);
  }

  /** Deletes a handle not yet sent. */
  deleteUpload(id: string): Promise<{ id: string; deleted: boolean }> {
    return this.c.request("DELETE", `/v1/attachments/${enc(id)}`);
  }
}

class MessagesResource {
  constructor(private readonly c: Postbox) {}

  send(params: SendParams): Promise<SendResult> {
    const { idempotencyKey, strictOutcome, ...body } = params;
    return this.c.request("POST", "/v1/messages/send", {
      body,
      headers: sendHeaders(idempotencyKey, strictOutcome),
    });
  }

  list<P extends ListMessagesParams & { autoPaginate?: false }>(
    mailboxId: string,
    params?: P,
  ): Promise<Page<Listed<P>>>;
  list<P extends ListMessagesParams & { autoPaginate: true }>(
    mailboxId: string,
    params: P,
  ): AsyncIterable<Listed<P>>;
  list(
    mailboxId: string,
    params: ListMessagesParams & { autoPaginate?: boolean } = {},
  ): Promise<Page<Message | MessageSummary>> | AsyncIterable<Message | MessageSummary> {
    const { autoPaginate, cursor: first, since, ...rest } = params;
    const one = (cursor?: string) =>
      this.c
        .request<WirePage<"messages", Message | MessageSummary>>(
          "GET",
          `/v1/mailboxes/${enc(mailboxId)}/messages`,
          {
            query: { ...rest, since: since instanceof Date ? since.toISOString() : since, cursor },
          },
        )
        .then(toPage("messages"));
    return autoPaginate ? this.c.paginate(one, first) : one(first);
  }

  get(messageId: string): Promise<Message>;
  get(messageId: string, params: { view: "summary" }): Promise<MessageSummary>;
  get(messageId: string, params: { view?: "summary" | "verbose" } = {}): Promise<Message | MessageSummary> {
    return this.c.request("GET", `/v1/messages/${enc(messageId)}`, { query: { view: params.view } });
  }

  /** Stars or unstars a message. */
  star(messageId: string, starred: boolean): Promise<{ message_id: string; starred: boolean }> {
    return this.c.request("PATCH", `/v1/messages/${enc(messageId)}/star`, { body: { starred } });
  }

  /**
   * Deletes a message (admin keys): it leaves every list, its thread and the agents' view; the row and its raw
   * bytes stay for admins. Agent keys get 403 MESSAGE_DELETE_NOT_PERMITTED.
   */
  delete(messageId: string): Promise<DeletedMessage> {
    return this.c.request("DELETE", `/v1/messages/${enc(messageId)}`);
  }

  /** Approves a held send: it goes to the delivery queue (admin keys; agents cannot approve their own mail). */
  approve(messageId: string, params: { note?: string } = {}): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/approve`, { body: params });
  }

  /** Denies a held send: it is never delivered (admin keys). */
  deny(messageId: string, params: { note?: string } = {}): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/deny`, { body: params });
  }

  /**
   * Edits a held send and rescans it under the mailbox's current policy (admin keys): the same message with new
   * content, still held for approval. ConflictError REVISION_REJECTED_BY_RESCAN (`details.scan`) when the rescan
   * would quarantine or block it — then nothing changed; MESSAGE_NOT_HELD when it is not pending_review.
   */
  revise(messageId: string, params: ReviseMessageParams): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/revise`, { body: params });
  }

  /** Sends waiting for a human, oldest first (admin keys). */
  reviews(params: { mailbox?: string; limit?: number; cursor?: string } = {}): Promise<Page<Message>> {
    return this.c
      .request<WirePage<"messages", Message>>("GET", "/v1/reviews", { query: params })
      .then(toPage("messages"));
  }

  /** Releases a quarantined or blocked inbound message to the agent (admin keys). */
  release(messageId: string, params: { note?: string } = {}): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/release`, { body: params });
  }

  /**
   * Releases a message the inbound firewall blocked back into processing (admin keys): it becomes available, or
   * quarantined if the scan says so. Answers at once (state `received`); ConflictError
   * MESSAGE_NOT_FIREWALL_BLOCKED for any other message.
   */
  firewallRelease(messageId: string, params: { note?: string } = {}): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/firewall-release`, { body: params });
  }

  /** Blocks an inbound message: the agent never sees it (admin keys). */
  block(messageId: string, params: { note?: string } = {}): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/block`, { body: params });
  }

  /** Blocks an inbound message and adds its sender to the account's inbound blocklist (admin keys). */
  report(messageId: string, params: { note?: string } = {}): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/report`, { body: params });
  }

  /** Reports LLM tokens spent on an inbound message; they count against its sender's MailPolicy token budget. */
  reportTokenUsage(
    messageId: string,
    tokens: number,
  ): Promise<{ message_id: string; sender: string | null; thread_id: string | null; tokens: number }> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/token-usage`, { body: { tokens } });
  }

  /** The exact stored bytes of the message. */
  getRaw(messageId: string): Promise<Uint8Array> {
    return this.c.request("GET", `/v1/messages/${enc(messageId)}/raw`, { raw: true });
  }

  reply(messageId: string, params: ReplyParams): Promise<SendResult> {
    const { idempotencyKey, strictOutcome, ...body } = params;
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/reply`, {
      body,
      headers: sendHeaders(idempotencyKey, strictOutcome),
    });
  }

  /**
   * What a send or reply made with this Idempotency-Key answered, without sending again: NotFoundError
   * IDEMPOTENCY_KEY_NOT_FOUND when no send used the key (send it), ConflictError IDEMPOTENT_REQUEST_IN_FLIGHT while
   * it is still running.
   */
  outcomeOf(idempotencyKey: string): Promise<SendResult> {
    return this.c.request("GET", "/v1/messages/idempotency", {
      headers: { "idempotency-key": idempotencyKey },
    });
  }

  /**
   * Long-polls for the next inbound message (default 30 s; at most 60). `from`, `subjectContains` and `threadId`
   * wait for the first message that matches them all; the cursor of such a wait is past the messages it passed
   * over (they stay unread), so keep it apart from the cursor you read everything with.
   */
  wait(mailboxId: string, params: WaitParams = {}): Promise<WaitResult> {
    const timeout = params.timeout ?? 30;
    return this.c.request("GET", `/v1/mailboxes/${enc(mailboxId)}/messages/wait`, {
      query: {
        timeout,
        since: params.since,
        from: params.from,
        subject_contains: params.subjectContains,
        thread_id: params.threadId,
      },
      timeoutSeconds: timeout + 15,
    });
  }

  markRead(messageId: string): Promise<Message> {
    return this.c.request("POST", `/v1/messages/${enc(messageId)}/read`);
  }
}

class ThreadsResource {
  constructor(private readonly c: Postbox) {}
  list(mailboxId: string, params?: ListThreadsParams & { autoPaginate?: false }): Promise<Page<Thread>>;
  list(mailboxId: string, params: ListThreadsParams & { autoPaginate: true }): AsyncIterable<Thread>;
  list(
    mailboxId: string,
    params: ListThreadsParams & { autoPaginate?: boolean } = {},
  ): Promise<Page<Thread>> | AsyncIterable<Thread> {
    const { autoPaginate, cursor: first, ...filters } = params;
    const one = (cursor?: string) =>
      this.c
        .request<WirePage<"threads", Thread>>("GET", `/v1/mailboxes/${enc(mailboxId)}/threads`, {
          query: { ...filters, cursor },
        })
        .then(toPage("threads"));
    return autoPaginate ? this.c.paginate(one, first) : one(first);
  }
  /** A thread (by its id or the id of a message in it); `mailbox` finds only a thread of that mailbox. */
  get(threadId: string, params: { mailbox?: string; view?: "verbose" }): Promise<ThreadWithMessages>;
  get(
    threadId: string,
    params: { mailbox?: string; view: "summary" },
  ): Promise<Omit<ThreadWithMessages, "messages"> & { messages: MessageSummary[] }>;
  get(threadId: string): Promise<ThreadWithMessages>;
  get(threadId: string, params: { mailbox?: string; view?: "summary" | "verbose" } = {}): Promise<unknown> {
    return this.c.request("GET", `/v1/threads/${enc(threadId)}`, { query: params });
  }

  /** Marks the thread's unread inbound messages read; `marked_count` is how many. */
  markRead(mailboxId: string, threadId: string): Promise<{ thread_id: string; marked_count: number }> {
    return this.c.request("POST", `/v1/mailboxes/${enc(mailboxId)}/threads/${enc(threadId)}/read`);
  }

  /** Stars or unstars every message of the thread; `updated_count` is how many changed. */
  star(
    mailboxId: string,
    threadId: string,
    starred: boolean,
  ): Promise<{ thread_id: string; starred: boolean; updated_count: number }> {
    return this.c.request("PATCH", `/v1/mailboxes/${enc(mailboxId)}/threads/${enc(threadId)}/star`, {
      body: { starred },
    });
  }
}

class ApiKeysResource {
  constructor(private readonly c: Postbox) {}
  create(params: { role: KeyRole; mailbox_ids?: string[]; label?: string }): Promise<CreatedApiKey> {
    return this.c.request("POST", "/v1/accounts/api-keys", { body: params });
  }
  /** Active keys; revoked ones too with includeRevoked. */
  async list(params: { includeRevoked?: boolean } = {}): Promise<Page<ApiKey>> {
    return toPage("keys")(
      await this.c.request<WirePage<"keys", ApiKey>>("GET", "/v1/accounts/api-keys", {
        query: { include_revoked: params.includeRevoked },
      }),
    );
  }
  /** Rebinds an agent key to other mailboxes (UUIDs or names); the agent keeps its key. */
  rebind(id: string, mailboxIds: string[]): Promise<ApiKey> {
    return this.c.request("PATCH", `/v1/accounts/api-keys/${enc(id)}`, { body: { mailbox_ids: mailboxIds } });
  }
  revoke(id: string): Promise<ApiKey> {
    return this.c.request("DELETE", `/v1/accounts/api-keys/${enc(id)}`);
  }
  /** Replaces the calling key: this client's key stops working; make a new client with the returned key. */
  rotate(): Promise<CreatedApiKey & { replaces: string }> {
    return this.c.request("POST", "/v1/accounts/api-keys/rotate");
  }
}

class HealthResource {
  constructor(private readonly c: Postbox) {}
  check(): Promise<Health> {
    return this.c.request("GET", "/v1/health");
  }
}

class AccountsResource {
  constructor(private readonly c: Postbox) {}
  /** The calling key's account. */
  me(): Promise<OwnAccount> {
    return this.c.request("GET", "/v1/accounts");
  }
  /** Who the calling key is: its account, role and mailboxes. */
  whoami(): Promise<KeyIdentity> {
    return this.c.request("GET", "/v1/auth/me");
  }
  /** Sends today and over 30 days, mailboxes, held sends, storage (admin keys). */
  usage(): Promise<Usage> {
    return this.c.request("GET", "/v1/accounts/usage");
  }
  /** Creates a tenant and its first admin key (admin keys of the default, operator account only). */
  create(params: { name: string }): Promise<CreatedAccount> {
    return this.c.request("POST", "/v1/operator/accounts", { body: params });
  }
  /**
   * Deletes the calling key's account and all its data (admin keys); `confirm` is the account's id or name (see
   * `me()`). Every key of the account stops working at once, this client's too. Refused (409 LEGAL_HOLD_ACTIVE)
   * while a legal hold of the account is active; the operator's default account cannot be deleted.
   */
  delete(params: { confirm: string }): Promise<AccountDeletion> {
    return this.c.request("DELETE", "/v1/accounts", { body: params });
  }
  /** Every tenant (operator only). */
  async list(): Promise<Page<Account>> {
    return toPage("accounts")(
      await this.c.request<WirePage<"accounts", Account>>("GET", "/v1/operator/accounts"),
    );
  }
  /** Send quotas and what is left: the account's daily cap and each mailbox's windows. */
  quota(): Promise<QuotaStatus> {
    return this.c.request("GET", "/v1/accounts/quota");
  }
  /** The account's daily send cap and the policy mode new mailboxes start in (admin keys). */
  policy(): Promise<AccountPolicy> {
    return this.c.request("GET", "/v1/account/policy");
  }
  /**
   * Sets the daily cap (null: the operator's default), the default mode (null: none) or the retention of settled
   * mail in days (null: the operator's POSTBOX_RETENTION_DAYS); absent fields stay.
   */
  updatePolicy(params: {
    custom_daily_send_limit?: number | null;
    default_policy_mode?: PolicyMode | null;
    /** Sandbox mode for every mailbox of the account: sends reach confirmed verified recipients only. */
    sandbox?: boolean;
    retention_days?: number | null;
  }): Promise<AccountPolicy> {
    return this.c.request("PATCH", "/v1/account/policy", { body: params });
  }
  /**
   * The account's archive as a stream (admin keys): `zip` (default) holds every message as its exact `.eml`, with
   * JSON for the account, mailboxes, legal holds and audit logs; `json` is one document with raw messages in
   * base64. Never retried: read the stream to its end or cancel it.
   */
  export(params: { format?: "zip" | "json" } = {}): Promise<ReadableStream<Uint8Array>> {
    return this.c.request("GET", "/v1/accounts/export", {
      query: { format: params.format ?? "zip" },
      stream: true,
    });
  }
}

/** Legal holds (admin keys): while one is active, the mail it covers is kept from retention and every deletion. */
class LegalHoldsResource {
  constructor(private readonly c: Postbox) {}
  /** Applies a hold to the account, or to one mailbox (`mailbox_id`, UUID or name). */
  apply(params: ApplyLegalHoldParams): Promise<LegalHold> {
    return this.c.request("POST", "/v1/legal-holds", { body: params });
  }
  /** The account's holds, newest first: active ones unless `include_released`. */
  list(params?: ListLegalHoldsParams & { autoPaginate?: false }): Promise<Page<LegalHold>>;
  list(params: ListLegalHoldsParams & { autoPaginate: true }): AsyncIterable<LegalHold>;
  list(
    params: ListLegalHoldsParams & { autoPaginate?: boolean } = {},
  ): Promise<Page<LegalHold>> | AsyncIterable<LegalHold> {
    const { autoPaginate, cursor: first, ...rest } = params;
    const one = (cursor?: string) =>
      this.c
        .request<WirePage<"legal_holds", LegalHold>>("GET", "/v1/legal-holds", { query: { ...rest, cursor } })
        .then(toPage("legal_holds"));
    return autoPaginate ? this.c.paginate(one, first) : one(first);
  }
  get(id: string): Promise<LegalHold> {
    return this.c.request("GET", `/v1/legal-holds/${enc(id)}`);
  }
  /** Releases an active hold; it stays on record. */
  release(id: string, releaseReason: string): Promise<LegalHold> {
    return this.c.request("POST", `/v1/legal-holds/${enc(id)}/release`, {
      body: { release_reason: releaseReason },
    });
  }
}

/** The MailPolicy audit log of a mailbox: one entry per evaluation, hash-chained. */
class AuditResource {
  constructor(private readonly c: Postbox) {}

  list(mailboxId: string, params?: ListAuditParams & { autoPaginate?: false }): Promise<Page<AuditEntry>>;
  list(mailboxId: string, params: ListAuditParams & { autoPaginate: true }): AsyncIterable<AuditEntry>;
  list(
    mailboxId: string,
    params: ListAuditParams & { autoPaginate?: boolean } = {},
  ): Promise<Page<AuditEntry>> | AsyncIterable<AuditEntry> {
    const { autoPaginate, cursor: first, since, until, ...rest } = params;
    const iso = (d?: Date | string) => (d instanceof Date ? d.toISOString() : d);
    const one = (cursor?: string) =>
      this.c
        .request<WirePage<"entries", AuditEntry>>("GET", `/v1/mailboxes/${enc(mailboxId)}/audit`, {
          query: { ...rest, since: iso(since), until: iso(until), cursor },
        })
        .then(toPage("entries"));
    return autoPaginate ? this.c.paginate(one, first) : one(first);
  }

  /** Recomputes the mailbox's hash chain and reports the first broken entry, if any. */
  verify(mailboxId: string): Promise<AuditVerification> {
    return this.c.request("GET", `/v1/mailboxes/${enc(mailboxId)}/audit/verify`);
  }
}

/** The account's inbound blocklist: mail from these senders is kept from every agent (admin keys). */
class BlocklistResource {
  constructor(private readonly c: Postbox) {}

  /** Every entry, sorted by address (follows the pages). */
  async list(): Promise<BlocklistEntry[]> {
    return collect((cursor) =>
      this.c
        .request<WirePage<"blocklist", BlocklistEntry>>("GET", "/v1/inbound-blocklist", {
          query: { limit: 500, cursor },
        })
        .then(toPage("blocklist")),
    );
  }

  add(address: string, reason?: string): Promise<Added<BlocklistEntry>> {
    return this.c.request("POST", "/v1/inbound-blocklist", { body: { email: address, reason } });
  }

  /** Up to 1000 addresses or @domains; invalid ones are skipped and listed. */
  addBulk(emails: string[]): Promise<BulkResult<BlocklistEntry>> {
    return this.c.request("POST", "/v1/inbound-blocklist/bulk", { body: { emails } });
  }

  remove(address: string): Promise<BlocklistEntry & Deleted> {
    return this.c.request("DELETE", `/v1/inbound-blocklist/${enc(address)}`);
  }
}

/** Every item of a paged list. */
async function collect<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    all.push(...page.data);
    if (!page.hasMore || !page.cursor) return all;
    cursor = page.cursor;
  }
}

/** Drafts: scanned at every write, rescanned against the current policy when sent. */
class DraftsResource {
  constructor(private readonly c: Postbox) {}

  create(params: CreateDraftParams): Promise<Draft> {
    return this.c.request("POST", "/v1/drafts", { body: params });
  }
  get(draftId: string): Promise<Draft> {
    return this.c.request("GET", `/v1/drafts/${enc(draftId)}`);
  }
  list(mailboxId: string, params: { limit?: number; cursor?: string } = {}): Promise<Page<Draft>> {
    return this.c
      .request<WirePage<"drafts", Draft>>("GET", `/v1/mailboxes/${enc(mailboxId)}/drafts`, { query: params })
      .then(toPage("drafts"));
  }
  update(
    draftId: string,
    params: Omit<CreateDraftParams, "from_mailbox" | "mailbox_id" | "thread_id" | "in_reply_to_message_id">,
  ): Promise<Draft> {
    return this.c.request("PATCH", `/v1/drafts/${enc(draftId)}`, { body: params });
  }
  /** Raises ConflictError with code DRAFT_REJECTED_BY_RESCAN (details.scan) or DRAFT_ALREADY_SENT. */
  send(draftId: string): Promise<SendResult | { draft_id: string; status: "scheduled"; send_at: string }> {
    return this.c.request("POST", `/v1/drafts/${enc(draftId)}/send`);
  }
  delete(draftId: string): Promise<Draft & Deleted> {
    return this.c.request("DELETE", `/v1/drafts/${enc(draftId)}`);
  }
}

/** Custom domains (admin keys): the DNS records to publish, verification, the account's default domain. */
class DomainsResource {
  constructor(private readonly c: Postbox) {}

  /** ConflictError DOMAIN_TAKEN when another account holds it. Publish `dns_records_json`, then `verify`. */
  create(params: CreateDomainParams): Promise<DomainCreated> {
    return this.c.request("POST", "/v1/domains", { body: params });
  }
  /** The installation's domain first, then the account's own. */
  async list(): Promise<Domain[]> {
    return (await this.c.request<{ domains: Domain[] }>("GET", "/v1/domains")).domains;
  }
  get(idOrName: string): Promise<Domain> {
    return this.c.request("GET", `/v1/domains/${enc(idOrName)}`);
  }
  /** Looks the records up now and records what it found. */
  verify(idOrName: string): Promise<DomainVerification> {
    return this.c.request("POST", `/v1/domains/${enc(idOrName)}/verify`);
  }
  /** The records as a zone file (text). */
  async zoneFile(idOrName: string): Promise<string> {
    const bytes = await this.c.request<Uint8Array>("GET", `/v1/domains/${enc(idOrName)}/zone-file`, {
      raw: true,
    });
    return new TextDecoder().decode(bytes);
  }
  /** New mailboxes that name no domain go here; ConflictError DOMAIN_NOT_VERIFIED unless it is verified. */
  setDefault(idOrName: string): Promise<Domain> {
    return this.c.request("PATCH", `/v1/domains/${enc(idOrName)}/set-default`, { body: {} });
  }
  /** ConflictError DOMAIN_IN_USE while live mailboxes are on it. */
  delete(idOrName: string): Promise<{ id: string; domain_name: string; deleted: true }> {
    return this.c.request("DELETE", `/v1/domains/${enc(idOrName)}`);
  }
}

/** Signed webhooks (admin keys): subscriptions, the delivery log, manual retry, secret rotation. */
class WebhooksResource {
  constructor(private readonly c: Postbox) {}

  /** The result carries `signing_secret` once: store it to verify deliveries. */
  create(params: CreateWebhookParams): Promise<WebhookWithSecret> {
    return this.c.request("POST", "/v1/webhooks", { body: params });
  }
  async list(): Promise<Webhook[]> {
    return (await this.c.request<{ webhooks: Webhook[] }>("GET", "/v1/webhooks")).webhooks;
  }
  get(id: string): Promise<Webhook> {
    return this.c.request("GET", `/v1/webhooks/${enc(id)}`);
  }
  /** `enabled: true` also re-enables a webhook that was disabled after failures. */
  update(
    id: string,
    params: Partial<Omit<CreateWebhookParams, "description">> & { description?: string | null },
  ): Promise<Webhook> {
    return this.c.request("PATCH", `/v1/webhooks/${enc(id)}`, { body: params });
  }
  delete(id: string): Promise<{ id: string } & Deleted> {
    return this.c.request("DELETE", `/v1/webhooks/${enc(id)}`);
  }
  /** New secret (returned once); deliveries carry both signatures for `grace_seconds` (default one day). */
  rotateSecret(id: string, params: { grace_seconds?: number } = {}): Promise<WebhookWithSecret> {
    return this.c.request("POST", `/v1/webhooks/${enc(id)}/rotate-secret`, { body: params });
  }
  /** Sends a real-shaped payload of `event` (default webhook.test) now; returns the delivery after one attempt. */
  test(id: string, params: { event?: EventType } = {}): Promise<WebhookDelivery> {
    return this.c.request("POST", `/v1/webhooks/${enc(id)}/test`, { body: params });
  }
  /** Newest first; pass `before_at` and `before_id` together (the previous page's next_before_*), or neither. */
  listDeliveries(
    id: string,
    params: { limit?: number; before_at?: string | null; before_id?: string | null } = {},
  ): Promise<WebhookDeliveryPage> {
    const cursor =
      params.before_at && params.before_id
        ? { before_at: params.before_at, before_id: params.before_id }
        : {};
    return this.c.request("GET", `/v1/webhooks/${enc(id)}/deliveries`, {
      query: { limit: params.limit, ...cursor },
    });
  }
  /** ConflictError with code DELIVERY_NOT_FAILED or WEBHOOK_DISABLED when it cannot be retried. */
  retryDelivery(id: string, deliveryId: string): Promise<WebhookDelivery> {
    return this.c.request("POST", `/v1/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/retry`);
  }
}

/** The event log: replay from a cursor, or follow it live. */
class EventsResource {
  constructor(private readonly c: Postbox) {}

  async list(params: ListEventsParams = {}): Promise<EventPage> {
    const page = await this.c.request<{ events: PostboxEvent[]; has_more: boolean; next_cursor: string }>(
      "GET",
      "/v1/events",
      { query: { ...params, types: params.types?.join(",") } },
    );
    return { data: page.events, hasMore: page.has_more, cursor: page.next_cursor };
  }

  /**
   * Follows the log live (Server-Sent Events) until `signal` aborts; reconnects after a dropped connection and
   * resumes after the last event seen, so nothing is missed or repeated. Starts after `after`, or with what
   * happens from now on.
   */
  async *stream(
    params: { after?: string; types?: EventType[]; mailbox_id?: string; signal?: AbortSignal } = {},
  ): AsyncIterable<PostboxEvent> {
    let last: string | null = params.after ?? null;
    const query = { types: params.types?.join(","), mailbox_id: params.mailbox_id };
    while (!params.signal?.aborted) {
      let res: Response;
      try {
        res = await this.c.openStream("/v1/events/stream", query, last, params.signal);
      } catch (err) {
        if (params.signal?.aborted) return;
        if (err instanceof PostboxError && err.status !== null && err.status < 500) throw err;
        await sleep(1);
        continue;
      }
      try {
        for await (const e of parseSse(res.body!)) {
          last = e.cursor;
          yield e;
        }
      } catch (err) {
        if (params.signal?.aborted) return;
        // A dropped connection: reconnect from the last event.
        void err;
      }
      if (!params.signal?.aborted) await sleep(1);
    }
  }
}

/** Splits an SSE byte stream into its events' JSON data. */
async function* parseSse(body: ReadableStream<Uint8Array>): AsyncIterable<PostboxEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data) yield JSON.parse(data) as PostboxEvent;
    }
  }
}

/** The account's suppression list: addresses and bare domains (@corp.com) that are never mailed. */
class SuppressionsResource {
  constructor(private readonly c: Postbox) {}

  list(
    params: { reason?: SuppressionReason; limit?: number; cursor?: string } = {},
  ): Promise<Page<Suppression>> {
    return this.c
      .request<WirePage<"suppressions", Suppression>>("GET", "/v1/suppressions", { query: params })
      .then(toPage("suppressions"));
  }
  /** Agent keys: exact addresses only; a bare domain (`@corp.com`) is admin-only (403 DOMAIN_SUPPRESSION_ADMIN_ONLY). */
  add(
    email: string,
    params: { reason?: SuppressionReason; detail?: string } = {},
  ): Promise<Added<Suppression>> {
    return this.c.request("POST", "/v1/suppressions", { body: { email, ...params } });
  }
  /** From an agent key, any bare domain refuses the whole request (403 DOMAIN_SUPPRESSION_ADMIN_ONLY). */
  addBulk(emails: string[], params: { reason?: SuppressionReason } = {}): Promise<BulkResult<Suppression>> {
    return this.c.request("POST", "/v1/suppressions/bulk", { body: { emails, ...params } });
  }
  /** Admin keys only. */
  remove(email: string): Promise<Suppression & Deleted> {
    return this.c.request("DELETE", `/v1/suppressions/${enc(email)}`);
  }
}

/**
 * Verified recipients: the addresses mailboxes in sandbox mode may send to, each confirmed by its owner through
 * the link Postbox mails it. Changes are admin-only; agents may read.
 */
class VerifiedRecipientsResource {
  constructor(private readonly c: Postbox) {}

  /** Adds an address and mails it a confirmation link; an address already there comes back as it is. */
  create(email: string): Promise<Added<VerifiedRecipient>> {
    return this.c.request("POST", "/v1/recipients", { body: { email } });
  }
  /** Newest first. */
  list(params: { limit?: number; cursor?: string } = {}): Promise<Page<VerifiedRecipient>> {
    return this.c
      .request<WirePage<"recipients", VerifiedRecipient>>("GET", "/v1/recipients", { query: params })
      .then(toPage("recipients"));
  }
  /** Sandboxed mailboxes may no longer mail it. */
  delete(id: string): Promise<Deleted & { id: string; email: string }> {
    return this.c.request("DELETE", `/v1/recipients/${enc(id)}`);
  }
  /** Mails a pending or expired recipient a new link (the older ones stop working); at most one a minute. */
  resend(id: string): Promise<ConfirmationResent> {
    return this.c.request("POST", `/v1/recipients/${enc(id)}/resend`, { body: {} });
  }
}

/** A mailbox's recipient policy and allowlist. Changes are admin-only; agents may read. */
class AllowlistResource {
  constructor(private readonly c: Postbox) {}

  /** The mode and every entry, sorted by address (follows the pages). */
  async list(mailboxId: string): Promise<{ mode: "blocklist" | "allowlist"; data: AllowlistEntry[] }> {
    return listMailboxList(this.c, `/v1/mailboxes/${enc(mailboxId)}/allowlist`);
  }
  add(mailboxId: string, email: string): Promise<Added<AllowlistEntry>> {
    return this.c.request("POST", `/v1/mailboxes/${enc(mailboxId)}/allowlist`, { body: { email } });
  }
  addBulk(mailboxId: string, emails: string[]): Promise<BulkResult> {
    return this.c.request("POST", `/v1/mailboxes/${enc(mailboxId)}/allowlist/bulk`, { body: { emails } });
  }
  /** ConflictError ALLOWLIST_LAST_ENTRY for the last entry in allowlist mode, unless forceEmpty. */
  remove(
    mailboxId: string,
    email: string,
    opts: { forceEmpty?: boolean } = {},
  ): Promise<AllowlistEntry & Deleted> {
    return this.c.request("DELETE", `/v1/mailboxes/${enc(mailboxId)}/allowlist/${enc(email)}`, {
      query: { force_empty: opts.forceEmpty },
    });
  }
  /** ValidationError ALLOWLIST_EMPTY when switching to allowlist with no entries, unless forceEmpty. */
  setMode(
    mailboxId: string,
    mode: "blocklist" | "allowlist",
    opts: { forceEmpty?: boolean } = {},
  ): Promise<{ mode: string; allowlist_size: number }> {
    return this.c.request("PATCH", `/v1/mailboxes/${enc(mailboxId)}/recipient-policy`, {
      body: { mode, ...(opts.forceEmpty !== undefined ? { force_empty: opts.forceEmpty } : {}) },
    });
  }
  /** The recipients (and keys) the allowlist refused most, the most frequent first. */
  async blockedAttempts(
    mailboxId: string,
    params: BlockedAttemptsParams = {},
  ): Promise<BlockedAttemptGroup[]> {
    const path = `/v1/mailboxes/${enc(mailboxId)}/allowlist/blocked-attempts`;
    return (await this.c.request<{ attempts: BlockedAttemptGroup[] }>("GET", path, { query: { ...params } }))
      .attempts;
  }
  /** Every refused send, newest first, a page at a time. */
  blockedAttemptLog(
    mailboxId: string,
    params: BlockedAttemptsParams & { cursor?: string } = {},
  ): Promise<Page<BlockedAttempt>> {
    const path = `/v1/mailboxes/${enc(mailboxId)}/allowlist/blocked-attempts`;
    return this.c
      .request<WirePage<"attempts", BlockedAttempt>>("GET", path, { query: { ...params, aggregate: false } })
      .then(toPage("attempts"));
  }
}

class SimulatorResource {
  constructor(private readonly c: Postbox) {}

  /** Injects a synthetic inbound message through the real pipeline and reports where it ended (or `pending`). */
  inbound(req: {
    mailbox_id: string;
    scenario: "clean" | "prompt_injection_quarantined";
    label?: string;
  }): Promise<{
    status: "available" | "quarantined" | "blocked" | "pending";
    message_id: string;
    state: string;
  }> {
    return this.c.request("POST", "/v1/simulator/inbound", { body: req });
  }
}

/**
 * A mailbox's inbound sender allowlist: while the mailbox's sender policy is allowlist
 * (`pb.mailboxes.setSenderPolicy`), only the senders on it get through the inbound firewall; in blocklist mode its
 * entries are kept but inert. Changes are admin-only; any key that reaches the mailbox may read it.
 */
class InboundAllowlistResource {
  constructor(private readonly c: Postbox) {}

  /** `mode` is the mailbox's sender policy; every entry, sorted by address (follows the pages). */
  async list(mailboxId: string): Promise<{ mode: "blocklist" | "allowlist"; data: AllowlistEntry[] }> {
    return listMailboxList(this.c, `/v1/mailboxes/${enc(mailboxId)}/inbound-allowlist`);
  }
  add(mailboxId: string, email: string): Promise<Added<AllowlistEntry>> {
    return this.c.request("POST", `/v1/mailboxes/${enc(mailboxId)}/inbound-allowlist`, { body: { email } });
  }
  addBulk(mailboxId: string, emails: string[]): Promise<BulkResult> {
    return this.c.request("POST", `/v1/mailboxes/${enc(mailboxId)}/inbound-allowlist/bulk`, {
      body: { emails },
    });
  }
  /** ConflictError ALLOWLIST_LAST_ENTRY for the last entry in allowlist mode, unless forceEmpty (then no one gets in). */
  remove(
    mailboxId: string,
    email: string,
    opts: { forceEmpty?: boolean } = {},
  ): Promise<AllowlistEntry & { deleted: true }> {
    return this.c.request("DELETE", `/v1/mailboxes/${enc(mailboxId)}/inbound-allowlist/${enc(email)}`, {
      query: { force_empty: opts.forceEmpty },
    });
  }
  /** The senders the inbound firewall stopped most, by rule, the most frequent first (admin keys). */
  async blockedAttempts(
    mailboxId: string,
    params: BlockedAttemptsParams = {},
  ): Promise<InboundBlockedAttemptGroup[]> {
    const path = `/v1/mailboxes/${enc(mailboxId)}/inbound-allowlist/blocked-attempts`;
    return (
      await this.c.request<{ attempts: InboundBlockedAttemptGroup[] }>("GET", path, { query: { ...params } })
    ).attempts;
  }
  /** Every message the inbound firewall stopped, newest first, a page at a time (admin keys). */
  blockedAttemptLog(
    mailboxId: string,
    params: BlockedAttemptsParams & { cursor?: string } = {},
  ): Promise<Page<InboundBlockedAttempt>> {
    const path = `/v1/mailboxes/${enc(mailboxId)}/inbound-allowlist/blocked-attempts`;
    return this.c
      .request<WirePage<"attempts", InboundBlockedAttempt>>("GET", path, {
        query: { ...params, aggregate: false },
      })
      .then(toPage("attempts"));
  }
}

/** A mailbox list's mode and every entry. */
async function listMailboxList(
  c: Postbox,
  path: string,
): Promise<{ mode: "blocklist" | "allowlist"; data: AllowlistEntry[] }> {
  let mode: "blocklist" | "allowlist" = "blocklist";
  const data = await collect(async (cursor) => {
    const r = await c.request<WirePage<"allowlist", AllowlistEntry> & { mode: "blocklist" | "allowlist" }>(
      "GET",
      path,
      { query: { limit: 500, cursor } },
    );
    mode = r.mode;
    return toPage("allowlist")(r);
  });
  return { mode, data };
}
