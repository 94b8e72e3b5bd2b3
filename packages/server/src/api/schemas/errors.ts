import { type TSchema, Type } from "typebox";
import { ERROR_CATALOG, type ErrorCode } from "../error-catalog.ts";
import { component } from "./common.ts";

/** The one error envelope every route answers. */
export const ErrorRef: TSchema = component(
  "Error",
  Type.Object(
    {
      error: Type.String({ description: "What went wrong and what to fix, for a human or an agent." }),
      code: Type.String({
        description: "A stable UPPER_SNAKE code (the error-code catalogue in docs/api.md).",
      }),
      details: Type.Optional(
        Type.Object({}, { description: "Facts a client may act on; which ones depends on the code." }),
      ),
      errors: Type.Optional(
        Type.Array(Type.String(), { description: "Every validation problem, one per entry." }),
      ),
    },
    {
      description: "The error envelope: `{error, code, details?, errors?}`.",
      examples: [{ error: 'mailbox "sales" was not found', code: "NOT_FOUND" }],
    },
  ),
);

const VALIDATION_CODES: ErrorCode[] = ["VALIDATION_ERROR", "INVALID_ID", "INVALID_DATE"];

export const ValidationErrorRef: TSchema = component(
  "ValidationError",
  Type.Object(
    {
      error: Type.String({ description: "The first problem." }),
      code: Type.Union(
        VALIDATION_CODES.map((c) => Type.Literal(c)),
        {
          description: "INVALID_ID when the first problem is a malformed UUID, INVALID_DATE a bad timestamp.",
        },
      ),
      errors: Type.Array(Type.String(), { description: "Every problem: `body.name is required`, …" }),
      details: Type.Object({ errors: Type.Array(Type.String()) }),
    },
    {
      description:
        "A request that does not match the route's schema (or a use-case's checks): every problem listed.",
      examples: [
        {
          error: "body.to is required",
          code: "VALIDATION_ERROR",
          errors: ["body.to is required"],
          details: { errors: ["body.to is required"] },
        },
      ],
    },
  ),
);

/** The codes each error response entry stands for (read by mergeErrors and the response validator). */
const CODES = new WeakMap<object, ErrorCode[]>();

export function codesOf(entry: unknown): ErrorCode[] | undefined {
  return typeof entry === "object" && entry !== null ? CODES.get(entry) : undefined;
}

const codeList = (codes: ErrorCode[]) =>
  codes.map((c) => `\`${c}\`: ${ERROR_CATALOG[c].meaning}`).join("\n\n");

/** One status's error response: the envelope with `code` limited to the codes given. */
function errorEntry(codes: ErrorCode[]): TSchema {
  const sorted = [...new Set(codes)].sort();
  const validation = sorted.filter((c) => VALIDATION_CODES.includes(c));
  const others = sorted.filter((c) => !VALIDATION_CODES.includes(c));
  const envelope = (cs: ErrorCode[]) => ({
    allOf: [ErrorRef],
    properties: { code: { enum: cs } },
  });
  // The OpenAPI document shows it as the response's description (not repeated in the schema).
  const described = { "x-response-description": codeList(sorted) };
  const entry: TSchema =
    validation.length === 0
      ? { ...described, ...envelope(others) }
      : others.length === 0
        ? { ...described, anyOf: [ValidationErrorRef] }
        : { ...described, anyOf: [ValidationErrorRef, envelope(others)] };
  CODES.set(entry, sorted);
  return entry;
}

/**
 * Error responses for a route's schema, grouped by the status of each code: `response: {200: …, ...errors(
 * "NOT_FOUND", "MAILBOX_FORBIDDEN")}`. The errors every route can answer (authentication, validation, shutdown …)
 * are added by api/server.ts; list here the ones this route's use-case throws.
 */
export function errors(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) {
    const status = ERROR_CATALOG[c].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), c]);
  }
  return Object.fromEntries([...byStatus].map(([status, cs]) => [status, errorEntry(cs)]));
}

/**
 * Error responses for codes answered with one of their catalogue's `otherStatuses` by this route (MAILBOX_PAUSED
 * is 503 on ingest): `...errorsAt(503, "MAILBOX_PAUSED")`.
 */
export function errorsAt(status: number, ...codes: ErrorCode[]): Record<number, TSchema> {
  return { [status]: errorEntry(codes) };
}

/**
 * Adds codes to a response map: statuses with an error entry gain them, missing statuses get one; a status the
 * route describes with a schema of its own (health's 503 body) is left as the route wrote it.
 */
export function mergeErrors(response: Record<string, unknown>, codes: ErrorCode[]): void {
  for (const [status, entry] of Object.entries(errors(...codes))) {
    const existing = response[status];
    if (existing === undefined) response[status] = entry;
    else {
      const had = codesOf(existing);
      if (had) response[status] = errorEntry([...had, ...(codesOf(entry) ?? [])]);
    }
  }
}

// Code lists many routes share, by the use-case step that throws them.

/** Reaching a mailbox by id or name (tenancy/access.ts mailboxFor): ingest keys, unknown, unbound. */
export const MAILBOX_ACCESS: ErrorCode[] = ["INSUFFICIENT_SCOPE", "NOT_FOUND", "MAILBOX_FORBIDDEN"];

/** Reaching a message or thread by id (messageFor, threadFor): other mailboxes' look missing. */
export const ITEM_ACCESS: ErrorCode[] = ["INSUFFICIENT_SCOPE", "NOT_FOUND"];

/** A send's refusals (outbound/send-request.ts and the send's gates and claim), and `Prefer: outcome=strict`. */
/** Naming upload handles in `attachment_ids` (outbound/attachments.ts): sends, replies and drafts. */
export const ATTACHMENT_IDS_REFUSALS: ErrorCode[] = [
  "OUTBOUND_ATTACHMENTS_DISABLED",
  "OUTBOUND_IMAGE_DISCLAIMER_REQUIRED",
  "TOO_MANY_ATTACHMENTS",
  "ATTACHMENTS_TOO_LARGE",
  "ATTACHMENT_NOT_FOUND",
  "ATTACHMENT_MAILBOX_MISMATCH",
  "ATTACHMENT_ALREADY_CONSUMED",
  "ATTACHMENT_EXPIRED",
];

export const SEND_REFUSALS: ErrorCode[] = [
  "VALIDATION_ERROR",
  "TOO_MANY_RECIPIENTS",
  "RECIPIENT_SUPPRESSED",
  "RECIPIENT_NOT_ON_ALLOWLIST",
  "RECIPIENT_NOT_VERIFIED",
  "RATE_LIMITED",
  "IDEMPOTENCY_KEY_REUSED",
  "IDEMPOTENT_REQUEST_IN_FLIGHT",
  "MAILBOX_DELETED",
  "EMAIL_EFFECT_HELD",
  "EMAIL_EFFECT_BLOCKED",
  "MAILBOX_PAUSED",
  "OUTSIDE_SEND_WINDOW",
  "AGENT_SENDING_DISABLED",
  ...ATTACHMENT_IDS_REFUSALS,
  "ATTACHMENT_SCAN_PENDING",
  "ATTACHMENT_SCAN_ERROR",
];

/** Continuing a thread by `thread_id` (outbound/send-request.ts resolveThreadSend): sends and drafts. */
export const THREAD_SEND: ErrorCode[] = [
  "THREAD_NOT_FOUND",
  "AMBIGUOUS_THREAD_RECIPIENT",
  "RECIPIENT_NOT_IN_THREAD",
  "THREAD_HAS_NO_INBOUND_RECIPIENT",
];

/** Writing drafts under the mailbox's agent_authoring_mode (requireAuthoring with a draft verb). */
export const DRAFT_AUTHORING: ErrorCode[] = ["AGENT_DRAFTING_DISABLED", "AGENT_SENDING_DISABLED"];
