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

function describeSchema(schema: Json | undefined, indent = ""): string[] {
  if (!schema?.properties) return [];
  const required = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties as Record<string, Json>).map(([name, s]) => {
    const one = (x: Json) =>
      x.enum ? x.enum.map((e: unknown) => JSON.stringify(e)).join(" \\| ") : (x.const ?? x.type ?? "any");
    const type = s.anyOf ? s.anyOf.map(one).join(" \\| ") : one(s);
    const limits = [
      s.maxLength !== undefined ? `≤ ${s.maxLength} chars` : null,
      s.minimum !== undefined ? `≥ ${s.minimum}` : null,
      s.maximum !== undefined ? `≤ ${s.maximum}` : null,
      s.default !== undefined ? `default ${JSON.stringify(s.default)}` : null,
    ].filter(Boolean);
    return `${indent}- \`${name}\`${required.has(name) ? "" : " (optional)"}: ${type}${limits.length ? ` — ${limits.join(", ")}` : ""}`;
  });
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
    '`"errors": ["body.name is required", ...]`. Lists carry their items under the resource\'s own key, then',
    '`has_more` and `next_cursor` — `{"messages": [...], "has_more": bool, "next_cursor": string | null}` — pass',
    "`next_cursor` back as `cursor` for the next page (webhook deliveries page by `before_at` and `before_id`).",
    "",
  ];
  const byTag = new Map<string, string[]>();
  for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags?.[0] as string) ?? "other";
      const lines = [`### ${method.toUpperCase()} \`${p}\``, "", op.summary ?? ""];
      if (op.description) lines.push("", op.description);
      const params = (op.parameters ?? []) as Json[];
      if (params.length > 0) {
        lines.push("", "Parameters:");
        for (const prm of params) {
          lines.push(
            `- \`${prm.name}\` (${prm.in}${prm.required ? ", required" : ""}): ${prm.schema?.type ?? "string"}`,
          );
        }
      }
      const body = op.requestBody?.content?.["application/json"]?.schema as Json | undefined;
      if (body) lines.push("", "Body (JSON):", ...describeSchema(body));
      lines.push("");
      byTag.set(tag, [...(byTag.get(tag) ?? []), ...lines]);
    }
  }
  for (const [tag, lines] of byTag) out.push(`## ${tag}`, "", ...lines);
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
