/**
 * Every error code the HTTP API answers, with its status and meaning: the one list the route schemas, the
 * OpenAPI document and docs/api.md read. A code thrown anywhere in src/ must be here (test/unit/error-catalog.test.ts
 * greps for them); the status must be the one api/http-status.ts gives the refusal it is thrown with.
 *
 * Errors answer `{error, code, details?, errors?}`: `error` says what to fix, `code` is one of these, `details`
 * carries the facts a client may act on, `errors` lists every validation problem.
 */
export interface ErrorSpec {
  status: number;
  /** Other statuses the same code is answered with by some routes (MAILBOX_PAUSED: 409 sending, 503 ingest). */
  otherStatuses?: number[];
  meaning: string;
}

export const ERROR_CATALOG = {
  // 400: the request itself is wrong.
  VALIDATION_ERROR: {
    status: 400,
    meaning:
      "A field is missing, unknown or out of range; `errors` lists every problem (`body.name is required`).",
  },
  INVALID_ID: { status: 400, meaning: "A parameter that must be a UUID is not one." },
  INVALID_DATE: {
    status: 400,
    meaning:
      "A timestamp is not an ISO 8601 date-time the database can store (in range, a real calendar day).",
  },
  INVALID_STRING: {
    status: 400,
    meaning:
      "Text holds a NUL character or an unpaired UTF-16 surrogate; `details.field` names where. Send valid Unicode.",
  },
  INVALID_JSON: { status: 400, meaning: "The body is not valid JSON (or is empty while JSON is declared)." },
  INVALID_URL: { status: 400, meaning: "The URL has bad percent-encoding or an over-long path segment." },
  INVALID_CURSOR: {
    status: 400,
    meaning: "A pagination cursor was altered or comes from elsewhere: pass it back exactly as returned.",
  },
  BAD_REQUEST: {
    status: 400,
    meaning:
      "The HTTP request is malformed (Content-Length does not match the body, unparsable request line).",
  },
  MCP_INVALID_MESSAGE: {
    status: 400,
    meaning:
      "POST /v1/mcp got no JSON-RPC 2.0 message the MCP server can take; `details.jsonrpc_error` is the MCP SDK's reason.",
  },
  TOO_MANY_RECIPIENTS: {
    status: 400,
    meaning:
      "More recipients (to, cc and bcc together) than one message may have; `details.limit` says how many.",
  },
  ALLOWLIST_EMPTY: {
    status: 400,
    meaning:
      "Switching to allowlist mode with an empty allowlist: add recipients first, or pass `force_empty: true`.",
  },
  APPROVAL_NOTE_REQUIRED: {
    status: 400,
    meaning: "The mailbox requires a note to approve a send holding an SSN or card number: send `{note}`.",
  },
  CONFIRMATION_REQUIRED: {
    status: 400,
    meaning:
      'Deleting an account needs the account named in the body: `{"confirm": "<account id or name>"}` (or the ' +
      "seed's `confirm_email` echoing `GET /v1/accounts`).",
  },
  CONFIRMATION_MISMATCH: {
    status: 400,
    meaning: "The confirmation names another account than the calling key's: send its id or name exactly.",
  },
  NOT_AN_AGENT_KEY: { status: 400, meaning: "Only agent keys are bound to mailboxes; this key is not one." },
  WEBHOOK_URL_INVALID: {
    status: 400,
    meaning:
      "The webhook URL is not an absolute http(s) URL, carries credentials or a #fragment, or its host does not resolve.",
  },
  WEBHOOK_URL_PRIVATE: {
    status: 400,
    meaning:
      "The webhook host resolves to a loopback, private or otherwise non-public address (allowed only with POSTBOX_WEBHOOK_ALLOW_PRIVATE=1).",
  },
  INVALID_PAYLOAD: {
    status: 400,
    meaning:
      "A provider payload (Postmark JSON, SendGrid or Mailgun form) has a field of the wrong shape; `details.field`.",
  },
  INVALID_HEADER: {
    status: 400,
    meaning: "A header in a provider payload has a name that is not a header field name.",
  },
  INVALID_ATTACHMENT: { status: 400, meaning: "An attachment in a provider payload is not valid base64." },
  INVALID_FORM: { status: 400, meaning: "A multipart or urlencoded form body could not be read." },

  INVALID_EMAIL: {
    status: 400,
    meaning: "An address-list entry is neither an email address nor a bare domain (`@corp.com`).",
  },
  SEARCH_OPERATOR_UNSUPPORTED: {
    status: 400,
    meaning: "The search uses an operator Postbox does not support; the message lists the supported ones.",
  },
  SEARCH_TOO_MANY_TERMS: { status: 400, meaning: "The search has too many words, phrases and operators." },
  SEARCH_TERM_TOO_SHORT: {
    status: 400,
    meaning: "The search text is too short; search longer text or use an operator (from:, is:starred …).",
  },
  AMBIGUOUS_THREAD_RECIPIENT: {
    status: 400,
    meaning:
      "Several people wrote into the thread: name the one to send to in `to` (`details.participants`).",
  },
  CONFLICTING_FIELDS: {
    status: 400,
    meaning: "Two fields that set the same thing were both given; send one.",
  },
  IMAGE_RISK_ACCEPTANCE_REQUIRED: {
    status: 400,
    meaning:
      "Raw image downloads need the image-risk text accepted: pass accept_image_risk_version (details.current_image_risk_version).",
  },
  TOO_MANY_ATTACHMENTS: { status: 400, meaning: "A message may carry at most 10 attachments." },
  ATTACHMENT_MAILBOX_MISMATCH: {
    status: 400,
    meaning: "An attachment handle was uploaded to another mailbox; upload it to the mailbox that sends.",
  },
  // 401: no valid credentials.
  UNAUTHENTICATED: {
    status: 401,
    meaning:
      "No API key, or a malformed Authorization header (send `Authorization: Bearer <key>`); or a dashboard session " +
      "cookie that names no live session (signed out, its key revoked).",
  },
  INVALID_API_KEY: { status: 401, meaning: "The API key is not valid or has been revoked." },
  AMBIGUOUS_CREDENTIALS: {
    status: 401,
    meaning: "A bridge route got both `x-agentpack-key` and `Authorization`: send the key in one of them.",
  },
  SESSION_EXPIRED: {
    status: 401,
    meaning:
      "The dashboard session cookie names a session that has expired (POSTBOX_DASHBOARD_SESSION_HOURS): sign in again.",
  },
  MAILGUN_SIGNATURE_INVALID: {
    status: 401,
    meaning:
      "A Mailgun post to /ingest carries a missing, stale or wrong signature (POSTBOX_MAILGUN_SIGNING_KEY is set).",
  },

  // 403: a valid key that may not do this.
  INSUFFICIENT_SCOPE: {
    status: 403,
    meaning:
      "The key's role may not do this (agent keys cannot administer, ingest keys only ingest, only the operator's admin keys manage accounts).",
  },
  OPERATOR_ACCOUNT_PROTECTED: {
    status: 403,
    meaning:
      "The default (operator) account cannot be deleted through the API: it manages the other accounts.",
  },
  MAILBOX_FORBIDDEN: { status: 403, meaning: "The agent key is not bound to that mailbox." },
  DASHBOARD_ADMIN_KEY_REQUIRED: {
    status: 403,
    meaning: "The dashboard signs in with admin keys only; agent and ingest keys never get a session.",
  },
  CSRF_TOKEN_INVALID: {
    status: 403,
    meaning:
      "A change authenticated by the dashboard session cookie lacks the session's CSRF token in `x-csrf-token` " +
      "(or carries another); nothing was changed.",
  },
  MAILBOX_NAME_RESERVED: {
    status: 403,
    meaning:
      "The name has authority over the domain (postmaster, abuse, admin, …): only the default account may create it.",
  },
  PII_REDACTED: {
    status: 403,
    meaning: "The mailbox shows its agents redacted messages only; the raw message needs an admin key.",
  },
  MESSAGE_DELETE_NOT_PERMITTED: { status: 403, meaning: "Only admin keys delete messages." },
  RECIPIENT_SUPPRESSED: {
    status: 403,
    meaning:
      "A recipient is on the suppression list (bounce, complaint, unsubscribe or manual); `details.reason`.",
  },
  CONFIRMATION_LINK_INVALID: {
    status: 400,
    meaning:
      "The recipient confirmation link is not valid: mistyped, replaced by a newer one (resend), or its recipient " +
      "was removed.",
  },
  CONFIRMATION_LINK_EXPIRED: {
    status: 410,
    meaning: "The recipient confirmation link has expired; an admin can mail a new one (resend).",
  },
  RECIPIENT_NOT_VERIFIED: {
    status: 403,
    meaning:
      "The mailbox (or its account) is in sandbox mode and a recipient is not a confirmed verified recipient " +
      "(`/v1/recipients`); retrying will not help.",
  },
  RECIPIENT_NOT_ON_ALLOWLIST: {
    status: 403,
    meaning:
      "The mailbox is in allowlist mode and a recipient is not on its allowlist; retrying will not help.",
  },
  DOMAIN_SUPPRESSION_ADMIN_ONLY: {
    status: 403,
    meaning: "Agent keys may suppress exact addresses only; a bare domain needs an admin key.",
  },

  AGENT_SENDING_DISABLED: {
    status: 403,
    meaning: "The mailbox's agent_authoring_mode does not let agent keys send (draft_only or read_only).",
  },
  AGENT_DRAFTING_DISABLED: {
    status: 403,
    meaning: "The mailbox's agent_authoring_mode is read_only: agent keys may not write drafts.",
  },
  OUTSIDE_SEND_WINDOW: {
    status: 403,
    meaning:
      "Agent sends from this mailbox are allowed only within its send window, and its outside_action is block.",
  },
  ATTACHMENT_ACCESS_DISABLED: {
    status: 403,
    meaning:
      "The mailbox's attachment policy (attachment_exposure_mode, allowed families, image-risk acceptance) does not " +
      "let agent keys read these attachment bytes (or the raw message carrying them); an admin key can.",
  },
  ATTACHMENT_PREVIEW_DISABLED: {
    status: 403,
    meaning:
      "The mailbox shows its agents attachment metadata only; previews need derived_content or an admin key.",
  },
  ATTACHMENT_BLOCKED: {
    status: 403,
    meaning:
      "The attachment is dangerous (an executable, a script, a macro document): nobody reads it through the API.",
  },
  DOWNLOAD_URL_INVALID: {
    status: 403,
    meaning: "The download URL is altered or expired (they last 5 minutes); ask for a new one.",
  },
  OUTBOUND_ATTACHMENTS_DISABLED: {
    status: 403,
    meaning:
      "The mailbox does not send attachments; an admin enables them (POST /v1/mailboxes/:id/attachment-access outbound_enabled).",
  },
  OUTBOUND_IMAGE_DISCLAIMER_REQUIRED: {
    status: 403,
    meaning:
      "Sending images needs the mailbox's outbound image disclaimer accepted (accept_outbound_image_disclaimer_version).",
  },
  MAILBOX_LIMIT_REACHED: {
    status: 403,
    meaning: "The account has as many live mailboxes as POSTBOX_MAILBOX_LIMIT allows; delete one first.",
  },
  // 404: nothing there, or nothing this caller may see.
  NOT_FOUND: {
    status: 404,
    meaning:
      "The resource does not exist, or this key may not see it (other accounts' and unbound mailboxes' data).",
  },
  ROUTE_NOT_FOUND: { status: 404, meaning: "No route has this method and path." },
  IDEMPOTENCY_KEY_NOT_FOUND: { status: 404, meaning: "No send was made with this Idempotency-Key: send it." },
  BOUNCE_WEBHOOK_DISABLED: {
    status: 404,
    meaning: "The provider bounce webhook is off: the operator has not set POSTBOX_BOUNCE_SECRET.",
  },

  THREAD_NOT_FOUND: {
    status: 404,
    meaning: "No thread by that id (or id of a message in it) in the sending mailbox.",
  },
  ATTACHMENT_NOT_FOUND: {
    status: 404,
    meaning: "No attachment at that index, or no upload handle with that id this caller may see.",
  },
  ATTACHMENT_NOT_STORED: {
    status: 404,
    meaning:
      "The attachment arrived before attachments were stored on their own; read the raw message instead.",
  },
  ATTACHMENT_PREVIEW_NOT_AVAILABLE: {
    status: 404,
    meaning:
      "The attachment has no text preview (not text, CSV, HTML or PDF, or its text could not be read).",
  },
  // 408, 409: timing and state.
  REQUEST_TIMEOUT: { status: 408, meaning: "The request (headers and body) took too long to arrive." },
  MAILBOX_NAME_TAKEN: { status: 409, meaning: "A live mailbox (or alias) already has this address." },
  MAILBOX_NAME_RETIRED: {
    status: 409,
    meaning: "A deleted mailbox of another account had this address; names are never handed to a new owner.",
  },
  ALIAS_TAKEN: { status: 409, meaning: "The alias address is already a mailbox or another mailbox's alias." },
  MAILBOX_DELETED: {
    status: 409,
    meaning: "The mailbox was deleted while the send was being made; nothing is sent.",
  },
  LAST_ADMIN_KEY: {
    status: 409,
    meaning: "Refusing to revoke the account's last admin key: create another first.",
  },
  MESSAGE_NOT_READY: { status: 409, meaning: "The message is still being processed; retry in a moment." },
  MESSAGE_NOT_HELD: {
    status: 409,
    meaning: "The message is not in a held state this action applies to (already decided, released or sent).",
  },
  LEGAL_HOLD_ACTIVE: {
    status: 409,
    meaning:
      "A legal hold covers the mailbox or account, so its mail cannot be deleted; `details.legal_hold_ids` names " +
      "the holds. Release them first (`POST /v1/legal-holds/:id/release`).",
  },
  LEGAL_HOLD_ALREADY_RELEASED: {
    status: 409,
    meaning:
      "The legal hold was released already; a released hold stays on record and cannot be released again.",
  },
  MESSAGE_NOT_DELETABLE: {
    status: 409,
    meaning:
      "Only settled mail can be deleted, not held sends, mail in flight or mail still being processed.",
  },
  NOT_INBOUND: {
    status: 409,
    meaning: "Token usage is attributed to the sender of an inbound message only.",
  },
  DRAFT_ALREADY_SENT: {
    status: 409,
    meaning: "The draft was sent (or is being sent); it cannot change or be sent again.",
  },
  DRAFT_REJECTED_BY_RESCAN: {
    status: 409,
    meaning:
      "The rescan at send time would quarantine or block the draft under the mailbox's current policy; `details.scan`. It stays a draft.",
  },
  REVISION_REJECTED_BY_RESCAN: {
    status: 409,
    meaning:
      "The revised held send would be quarantined or blocked under the mailbox's current policy; `details.scan`. Nothing changed: it stays held as it was.",
  },
  EMAIL_EFFECT_HELD: {
    status: 409,
    meaning:
      "`Prefer: outcome=strict` and the send is held for a human: not sent unless released; the send result is in `details`. Do not retry.",
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    meaning: "This Idempotency-Key was used with a different request: use a new key for a new request.",
  },
  IDEMPOTENT_REQUEST_IN_FLIGHT: {
    status: 409,
    meaning: "The send with this Idempotency-Key has not finished yet; ask again in a moment.",
  },
  ALLOWLIST_LAST_ENTRY: {
    status: 409,
    meaning:
      "Removing the last allowlist entry of a mailbox in allowlist mode would stop it sending: pass `force_empty=true`.",
  },
  WEBHOOK_LIMIT_REACHED: {
    status: 409,
    meaning: "The account has as many webhooks as allowed (POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT).",
  },
  WEBHOOK_DISABLED: { status: 409, meaning: "The webhook is disabled: PATCH it with `enabled: true` first." },
  DELIVERY_NOT_FAILED: { status: 409, meaning: "Only failed webhook deliveries can be retried." },
  DKIM_DISABLED: { status: 409, meaning: "Outbound DKIM signing is off (POSTBOX_DKIM_SIGN=0)." },
  DOMAIN_TAKEN: {
    status: 409,
    meaning: "Another account of this installation holds the domain; a domain belongs to one account.",
  },
  DOMAIN_ALREADY_ADDED: {
    status: 409,
    meaning: "The account already has this domain (`details.domain_id`).",
  },
  DOMAIN_NOT_VERIFIED: {
    status: 409,
    meaning: "The domain's required DNS records are not verified yet: publish them, then verify the domain.",
  },
  DOMAIN_IN_USE: {
    status: 409,
    meaning: "Live mailboxes are on the domain (`details.mailboxes`): delete them first.",
  },
  PLATFORM_DOMAIN_NOT_TARGETABLE: {
    status: 409,
    meaning:
      "The installation's own domain (POSTBOX_DOMAIN) is shared by every account: it cannot be added or deleted.",
  },

  MAILBOX_PAUSED: {
    status: 409,
    otherStatuses: [503],
    meaning:
      "The mailbox is paused: sends from it answer 409; mail delivered to it by ingest answers 503 (try again later).",
  },
  MESSAGE_NOT_FIREWALL_BLOCKED: {
    status: 409,
    meaning: "Only a message the inbound firewall blocked can be firewall-released.",
  },
  ATTACHMENT_SCAN_PENDING: {
    status: 409,
    meaning:
      "An attachment's content scan has not finished; poll GET /v1/attachments/:id and send when it has.",
  },
  ATTACHMENT_SCAN_ERROR: {
    status: 409,
    meaning: "An attachment could not be scanned, so it is never sent (fail-closed); upload it again.",
  },
  ATTACHMENT_ALREADY_CONSUMED: {
    status: 409,
    meaning: "An attachment handle was already sent with another message; upload the file again.",
  },
  ATTACHMENT_EXPIRED: {
    status: 409,
    meaning: "An attachment handle is older than 24 hours; upload the file again.",
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: "The route does not take this method: /v1/mcp is stateless and answers POST only (see `Allow`).",
  },
  MCP_NOT_ACCEPTABLE: {
    status: 406,
    meaning:
      "POST /v1/mcp needs `Accept: application/json, text/event-stream`, as the MCP transport requires.",
  },
  // 413, 415, 422, 429, 431.
  PAYLOAD_TOO_LARGE: { status: 413, meaning: "The request body is larger than the route accepts." },
  MESSAGE_TOO_LARGE: {
    status: 413,
    meaning: "The (rebuilt) message is larger than POSTBOX_MAX_MESSAGE_BYTES.",
  },
  HEADER_TOO_LARGE: {
    status: 413,
    meaning: "The message's header block is larger than POSTBOX_MAX_HEADER_BYTES.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: "The Content-Type is not one the route reads (application/json; message/rfc822 for raw mail).",
  },
  UNRECOGNIZED_PAYLOAD: {
    status: 422,
    meaning:
      "The body is not raw MIME, Postmark's inbound JSON, or a SendGrid or Mailgun form (or not the `format` named).",
  },
  NO_VALID_RECIPIENTS: {
    status: 422,
    meaning:
      "None of the envelope recipients is a mailbox of this account; `details.rejected` says why for each.",
  },
  NO_RECIPIENTS: {
    status: 422,
    meaning:
      "Neither `rcpt_to`, the payload's envelope nor the message's headers name a recipient at this domain.",
  },
  NO_REPLY_RECIPIENT: { status: 422, meaning: "The message has no address to reply to." },
  DKIM_KEY_INVALID: {
    status: 422,
    meaning:
      "The supplied DKIM key cannot sign: it must be an unencrypted PEM, RSA of at least 1024 bits or Ed25519.",
  },
  PII_OPERATOR_NOT_ALLOWED: {
    status: 422,
    meaning:
      "partial_mask is refused for PERSON and EMAIL_ADDRESS (a partial name or address leaks the rest).",
  },
  EMAIL_EFFECT_BLOCKED: {
    status: 422,
    meaning:
      "`Prefer: outcome=strict` and the send was blocked: it will never be sent; the send result is in `details`.",
  },
  RATE_LIMITED: {
    status: 429,
    meaning:
      "A send quota (the mailbox's windows or the account's daily cap, counted in recipients) has too little left, or " +
      "too many dashboard sign-in attempts came from this address; `Retry-After`.",
  },
  REPLY_LOOP_DETECTED: {
    status: 429,
    meaning:
      "The mailbox keeps replying to an automated sender: replying again would continue a loop. Do not retry.",
  },
  WAIT_LIMIT_REACHED: {
    status: 429,
    meaning:
      "Too many pending long-polls for this key or account; `details.limit` and `details.scope`, `Retry-After`.",
  },
  STREAM_LIMIT_REACHED: {
    status: 429,
    meaning:
      "Too many open event streams for this key or account; `details.limit` and `details.scope`, `Retry-After`.",
  },
  HEADERS_TOO_LARGE: { status: 431, meaning: "The request headers are too large." },

  RECIPIENT_NOT_IN_THREAD: {
    status: 422,
    meaning: "A recipient named for a send into a thread has not written into that thread.",
  },
  THREAD_HAS_NO_INBOUND_RECIPIENT: {
    status: 422,
    meaning:
      "Nobody has written into the thread (or named an address to reply to): start a new message with `to`.",
  },
  ATTACHMENT_TOO_LARGE: { status: 413, meaning: "An attachment may be at most 10 MB." },
  ATTACHMENTS_TOO_LARGE: { status: 413, meaning: "A message's attachments may be at most 15 MB together." },
  // 5xx: the server's side.
  INTERNAL_ERROR: {
    status: 500,
    meaning: "An unexpected failure; the incident was logged. Safe to retry reads.",
  },
  RESPONSE_SCHEMA_VIOLATION: {
    status: 500,
    meaning:
      "Test servers only (POSTBOX_VALIDATE_RESPONSES=1): the route answered a shape its OpenAPI schema does not describe.",
  },
  SHUTTING_DOWN: {
    status: 503,
    meaning: "This instance is shutting down; retry in a moment or on another instance (`Retry-After`).",
  },
  STORAGE_FULL: {
    status: 507,
    meaning: "The server's storage is full: nothing was stored or sent. Retry after `Retry-After` seconds.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];
