import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../domain/clock.ts";
import { EVENT_CATALOG, EVENT_TYPES } from "../domain/event-catalog.ts";
import { createMailboxWakeups } from "../events/wakeups.ts";
import { createAcceptor } from "../inbound/accept.ts";
import { createSenderAuthenticator } from "../inbound/authenticate.ts";
import { createBounceHandler } from "../outbound/feedback/bounces.ts";
import { createSendService } from "../outbound/send.ts";
import { loadConfig } from "../platform/config.ts";
import { createDnsResolver } from "../platform/dns.ts";
import { silentLogger } from "../platform/logger.ts";
import { readVersion } from "../platform/version.ts";
import { createFsBlobStore } from "../store/blobs.ts";
import { openDb } from "../store/db.ts";
import { createWebhookDispatcher } from "../webhooks/dispatcher.ts";
import { ERROR_CATALOG, ERROR_CODES } from "./error-catalog.ts";
import { buildApi } from "./server.ts";

// biome-ignore lint/suspicious/noExplicitAny: walks an arbitrary JSON (OpenAPI) document
type Json = Record<string, any>;

/** Builds the API on a throwaway in-memory database and returns its OpenAPI document. */
export async function generateOpenApi(): Promise<Json> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "postbox-openapi-"));
  const db = await openDb({ databaseUrl: null, pgliteDir: null, logger: silentLogger });
  try {
    const config = loadConfig({ POSTBOX_DATA_DIR: dir });
    const blobs = createFsBlobStore(dir);
    const wakeups = await createMailboxWakeups(db);
    const app = await buildApi({
      config,
      db,
      clock: systemClock,
      blobs,
      logger: silentLogger,
      send: createSendService({ db, blobs, domain: config.domain }),
      accept: createAcceptor(db, blobs),
      wakeups,
      eventWakeups: wakeups,
      webhooks: createWebhookDispatcher({
        db,
        logger: silentLogger,
        schedule: [1000],
        timeoutMs: 1000,
        allowPrivate: false,
      }),
      bounces: createBounceHandler({ db, blobs, logger: silentLogger }),
      dkim: async () => null,
      dns: createDnsResolver([], { cache: false }),
      authenticateSender: createSenderAuthenticator({
        dns: createDnsResolver([]),
        hostname: config.domain,
        timeoutMs: 1000,
      }),
      version: await readVersion(),
    });
    await app.ready();
    const doc = app.swagger() as Json;
    await app.close();
    return doc;
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const REF = "#/components/schemas/";

/** A schema's type in a few words: `Mailbox`, `string | null`, `array of Message`. */
function typeOf(x: Json | undefined): string {
  if (!x) return "any";
  if (typeof x.$ref === "string") return x.$ref.replace(REF, "");
  if (x.enum) return x.enum.map((e: unknown) => JSON.stringify(e)).join(" \\| ");
  if (x.const !== undefined) return JSON.stringify(x.const);
  if (x.anyOf) return (x.anyOf as Json[]).map(typeOf).join(" \\| ");
  if (x.oneOf) return (x.oneOf as Json[]).map(typeOf).join(" \\| ");
  if (x.allOf) return (x.allOf as Json[]).map(typeOf).join(" & ");
  if (x.type === "array") return `array of ${typeOf(x.items)}`;
  if (Array.isArray(x.type)) return x.type.join(" \\| ");
  if (x.format) return `${x.type ?? "string"} (${x.format})`;
  return x.type ?? "any";
}

function describeSchema(schema: Json | undefined, indent = ""): string[] {
  if (!schema?.properties) return [];
  const required = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties as Record<string, Json>).flatMap(([name, s]) => {
    const limits = [
      s.maxLength !== undefined ? `≤ ${s.maxLength} chars` : null,
      s.minimum !== undefined ? `≥ ${s.minimum}` : null,
      s.maximum !== undefined ? `≤ ${s.maximum}` : null,
      s.default !== undefined ? `default ${JSON.stringify(s.default)}` : null,
    ].filter(Boolean);
    const about = [limits.join(", "), s.description].filter(Boolean).join("; ");
    const line = `${indent}- \`${name}\`${required.has(name) ? "" : " (optional)"}: ${typeOf(s)}${about ? ` — ${about}` : ""}`;
    // An object of its own (or a list of them, or one that may be null): its fields, one level in.
    const inner = [s, s.items, ...((s.anyOf as Json[] | undefined) ?? [])].find(
      (x: Json | undefined) => x?.properties,
    );
    return [line, ...(indent.length < 4 ? describeSchema(inner, `${indent}  `) : [])];
  });
}

/** `'…'` for a shell: single quotes, with the single quotes inside closed and reopened. */
const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/** A curl command for the operation: `$POSTBOX_URL`, `$POSTBOX_KEY`, the request example as the body. */
export function curlExample(method: string, p: string, op: Json): string {
  const params = (op.parameters ?? []) as Json[];
  const query = params
    .filter((x) => x.in === "query" && x.required)
    .map((x) => `${x.name}=<${x.name}>`)
    .join("&");
  const url = `$POSTBOX_URL${p.replace(/\{(\w+)\}/g, "<$1>")}${query ? `?${query}` : ""}`;
  const lines = [`curl${method === "get" ? "" : ` -X ${method.toUpperCase()}`} "${url}"`];
  const schemes = ((op.security ?? [{ bearer: [] }]) as Json[]).flatMap((s) => Object.keys(s));
  if (schemes[0] === "agentpackKey") lines.push(`-H "x-agentpack-key: $POSTBOX_KEY"`);
  else if (schemes.length > 0) lines.push(`-H "Authorization: Bearer $POSTBOX_KEY"`);
  const content = (op.requestBody?.content ?? {}) as Record<string, Json>;
  const json = content["application/json"];
  const example = json?.example ?? json?.schema?.examples?.[0];
  if (params.some((x) => x.in === "header" && x.name === "idempotency-key"))
    lines.push(`-H "Idempotency-Key: $(uuidgen)"`);
  if (op.operationId === "receiveProviderBounce")
    lines.push(`-H "X-Postbox-Bounce-Signature: <hex HMAC-SHA256(POSTBOX_BOUNCE_SECRET, body)>"`);
  if (json && example !== undefined) {
    lines.push(`-H "Content-Type: application/json"`, `-d ${shellQuote(JSON.stringify(example))}`);
  } else if (content["message/rfc822"]) {
    lines.push(`-H "Content-Type: message/rfc822"`, "--data-binary @message.eml");
  } else if (content["multipart/form-data"]) {
    lines.push(`-F mailbox_id=support`, "-F file=@invoice.pdf");
  }
  return ["```sh", lines.join(" \\\n  "), "```"].join("\n");
}

/** The responses of an operation: success bodies by schema, errors by their codes. */
function describeResponses(op: Json): string[] {
  const out: string[] = [];
  for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
    const content = (r.content ?? {}) as Record<string, Json>;
    const [media, body] = Object.entries(content)[0] ?? [];
    const codes: string[] | undefined =
      body?.schema?.properties?.code?.enum ??
      (body?.schema?.anyOf as Json[] | undefined)?.flatMap((x: Json) =>
        x.$ref === `${REF}ValidationError`
          ? ["VALIDATION_ERROR", "INVALID_ID", "INVALID_DATE"]
          : (x.properties?.code?.enum ?? []),
      );
    if (status.startsWith("2") || !codes?.length) {
      const what = body ? typeOf(body.schema) : "no body";
      const shown = media && media !== "application/json" ? `${media}` : what === "object" ? "" : what;
      const summary = (r.description ?? "").split("\n")[0];
      out.push(`- \`${status}\`${shown ? ` ${shown}` : ""}${summary ? ` — ${summary}` : ""}`);
      // An object of its own (not a named one): its fields.
      if (body?.schema?.properties) out.push(...describeSchema(body.schema, "  "));
    } else {
      out.push(`- \`${status}\` ${[...new Set(codes)].map((c) => `\`${c}\``).join(", ")}`);
    }
  }
  return out;
}

/** The error-code catalogue as a table, by status. */
function renderErrorCatalog(): string[] {
  const rows = ERROR_CODES.map((c) => [c, ERROR_CATALOG[c]] as const).sort(
    (a, b) => a[1].status - b[1].status || a[0].localeCompare(b[0]),
  );
  return [
    "## Error codes",
    "",
    'Every error answers `{"error": "<what to fix>", "code": "<CODE>", "details"?: {...}, "errors"?: [...]}`',
    "(components.schemas.Error; validation errors are components.schemas.ValidationError). Each route above lists",
    "the codes it can answer by status; the schema of each error status limits `code` to them. From",
    "`packages/server/src/api/error-catalog.ts`.",
    "",
    "| Code | HTTP status | Meaning |",
    "|---|---|---|",
    ...rows.map(([c, spec]) => `| \`${c}\` | ${spec.status} | ${spec.meaning.replace(/\|/g, "\\|")} |`),
    "",
  ];
}

/** The named objects (components.schemas) and their fields. */
function renderObjects(doc: Json): string[] {
  const out = [
    "## Objects",
    "",
    "The named objects of the responses (`components.schemas` in the OpenAPI document).",
    "",
  ];
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>)) {
    out.push(`### ${name}`, "");
    if (schema.description) out.push(schema.description, "");
    const parts = (schema.allOf ?? schema.anyOf ?? schema.oneOf) as Json[] | undefined;
    if (parts && !schema.properties) {
      const joiner = schema.allOf ? "All of" : "One of";
      out.push(`${joiner}: ${parts.map(typeOf).join(", ")}`, "");
      for (const part of parts) if (part.properties) out.push(...describeSchema(part), "");
    } else out.push(...describeSchema(schema), "");
  }
  return out;
}

/** A Markdown reference, one section per route, generated from the OpenAPI document. */
export function renderApiReference(doc: Json): string {
  const out = [
    "# API reference",
    "",
    "Generated from the OpenAPI document (`npm run openapi`; served live at `GET /v1/openapi.json`). Do not edit by hand.",
    "",
    "Every request except `GET /v1/health` needs `Authorization: Bearer <key>`; the bridge routes (`/ingest`, `/alloc`,",
    "`/send`, `/list`, `/mark_read`, `/rule/put`, `/webhook/*`, see [bridge.md](bridge.md)) also take the key bare in",
    "`x-agentpack-key`. Errors are",
    '`{"error": "<what to fix>", "code": "<STABLE_CODE>", "details"?: {...}}`; validation errors add',
    '`"errors": ["body.name is required", ...]`; every code is in the [error-code catalogue](#error-codes). Lists',
    "carry their items under the resource's own key, then `has_more` and `next_cursor` —",
    '`{"messages": [...], "has_more": bool, "next_cursor": string | null}` — pass `next_cursor` back as `cursor` for',
    "the next page (webhook deliveries page by `before_at` and `before_id`). The examples use `$POSTBOX_URL` (e.g.",
    "`http://127.0.0.1:8025`) and `$POSTBOX_KEY` (an API key).",
    "",
  ];
  const byTag = new Map<string, string[]>();
  for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags?.[0] as string) ?? "other";
      const lines = [`### ${method.toUpperCase()} \`${p}\``, "", op.summary ?? ""];
      if (op.operationId) lines.push("", `Operation \`${op.operationId}\`.`);
      if (op.description) lines.push("", op.description);
      const params = (op.parameters ?? []) as Json[];
      if (params.length > 0) {
        lines.push("", "Parameters:");
        for (const prm of params) {
          const about = prm.description ?? prm.schema?.description;
          lines.push(
            `- \`${prm.name}\` (${prm.in}${prm.required ? ", required" : ""}): ${typeOf(prm.schema) === "any" ? "string" : typeOf(prm.schema)}${about ? ` — ${about}` : ""}`,
          );
        }
      }
      const content = (op.requestBody?.content ?? {}) as Record<string, Json>;
      const body = content["application/json"]?.schema as Json | undefined;
      const media = Object.keys(content);
      if (media.length > 0 && !(media.length === 1 && body))
        lines.push("", `Body: ${media.map((m) => `\`${m}\``).join(", ")}.`);
      if (body?.properties) lines.push("", "Body (JSON):", ...describeSchema(body));
      else if (body?.description && media.length === 1) lines.push("", `Body (JSON): ${body.description}`);
      lines.push("", "Responses:", ...describeResponses(op));
      lines.push("", "Example:", "", curlExample(method, p, op));
      lines.push("");
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...lines]);
    }
  }
  for (const [tag, lines] of byTag) out.push(`## ${tag}`, "", ...lines);
  out.push(...renderObjects(doc), ...renderErrorCatalog());
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

/** docs/events.md: the event catalogue, one section per event with the data it carries. */
export function renderEventCatalog(): string {
  const lines = [
    "# Event catalogue",
    "",
    "<!-- Generated from packages/server/src/domain/event-catalog.ts by `npm run openapi`; do not edit. -->",
    "",
    "Every change Postbox records is one of these events. The same envelope is what `GET /v1/events` and",
    "`GET /v1/events/stream` return (plus `mailbox_id` and `cursor`) and what a webhook receives:",
    '`{"id": "evt_…", "event": "<type>", "created_at": "<ISO 8601>", "data": {…}}`. Events about a mailbox',
    "carry `mailbox_id` in `data` too. For mailboxes in `pii_mode: redacted`, webhook payloads (and agent keys'",
    "reads of the log) show `sender`, `recipient`, `to`, `cc` as `<EMAIL_ADDRESS>` and `subject` as `<REDACTED>`.",
    "",
    "| Event | Scope | Meaning |",
    "|---|---|---|",
    ...EVENT_TYPES.map((t) => `| \`${t}\` | ${EVENT_CATALOG[t].scope} | ${EVENT_CATALOG[t].description} |`),
    "",
  ];
  for (const t of EVENT_TYPES) {
    const spec = EVENT_CATALOG[t];
    const data =
      spec.scope === "mailbox"
        ? { mailbox_id: "2c9f6b1e-7d4a-4e3b-9a8c-1f2e3d4c5b6a", ...spec.example }
        : spec.example;
    lines.push(
      `## \`${t}\``,
      "",
      spec.description,
      "",
      "```json",
      JSON.stringify({ id: "evt_1042", event: t, created_at: "2026-11-22T10:00:00.000Z", data }, null, 2),
      "```",
      "",
    );
  }
  return lines.join("\n");
}
