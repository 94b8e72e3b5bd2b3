import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../../src/platform/logger.ts";
import { type Db, openDb } from "../../src/store/db.ts";
import { DATABASE_URL, dbLabel, useTestDatabaseTemplate } from "../helpers.ts";

const DIR = fileURLToPath(new URL("../../src/store/migrations/", import.meta.url));
const TARGET = "0026_list_rows_and_webhook_health.sql";

/**
 * Migration 0026 on a database that has data: the mailbox setting's sender allowlist becomes rows, past firewall
 * blocks become blocked attempts, webhooks learn their last success and failure from their deliveries.
 */
describe(`migration 0026 moves existing data (${dbLabel})`, () => {
  let db: Db;
  let schema: string | undefined;
  const account = randomUUID();
  const mailbox = randomUUID();
  const webhook = randomUUID();
  const blockedMessage = randomUUID();

  before(async () => {
    await useTestDatabaseTemplate(false);
    schema = DATABASE_URL ? `t_${randomUUID().replace(/-/g, "").slice(0, 16)}` : undefined;
    db = await openDb({ databaseUrl: DATABASE_URL, pgliteDir: null, schema, logger: silentLogger });
    const files = (await readdir(DIR)).filter((f) => f.endsWith(".sql")).sort();
    const before = files.filter((f) => f < TARGET);
    for (const f of before) await db.exec(await readFile(DIR + f, "utf8"));

    await db.query("insert into accounts (id, name) values ($1, 'old')", [account]);
    await db.query(
      `insert into mailboxes (id, account_id, name, inbound_sender_allowlist)
       values ($1, $2, 'migrating', array['@partner.example', 'boss@corp.example'])`,
      [mailbox, account],
    );
    await db.query(
      "insert into suppressions (account_id, email, reason, source) values ($1, $2, 'manual', 'api')",
      [account, "x@example.com"],
    );
    await db.query(
      `insert into suppressions (account_id, email, reason, source) values ($1, $2, 'hard_bounce', 'dsn')`,
      [account, "gone@example.com"],
    );
    await db.query(
      `insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, sender, firewall_block)
       values ($1, $2, $3, 'inbound', 'blocked', 'x', 1, 'eve@else.example', $4::jsonb)`,
      [
        blockedMessage,
        account,
        mailbox,
        JSON.stringify({
          envelope_sender: "bounce@else.example",
          from_address: "eve@else.example",
          matched_field: null,
          matched_pattern: null,
          reason_code: "SENDER_NOT_ON_ALLOWLIST",
          matched_list: "mailbox_allowlist",
          mode: "allowlist",
        }),
      ],
    );
    await db.query(
      `insert into webhooks (id, account_id, url, enabled_events, secret) values ($1, $2, 'https://h.example', '{}', 's')`,
      [webhook, account],
    );
    await db.query(
      `insert into webhook_deliveries (id, webhook_id, account_id, event_type, state, delivered_at, last_attempt_at)
       values ($1, $2, $3, 'webhook.test', 'delivered', '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z'),
              ($4, $2, $3, 'webhook.test', 'failed', null, '2026-11-02T10:00:00Z')`,
      [randomUUID(), webhook, account, randomUUID()],
    );
    await db.query("update webhook_deliveries set last_error = 'HTTP 410' where state = 'failed'");
    await db.exec(await readFile(DIR + TARGET, "utf8"));
  });
  after(async () => {
    if (schema) await db.exec(`drop schema if exists "${schema}" cascade`);
    await db.close();
  });

  it("turns the mailbox setting's sender allowlist into rows and drops the column", async () => {
    const rows = await db.query<{ email: string; source: string }>(
      "select email, source from mailbox_sender_allowlist where mailbox_id = $1 order by email",
      [mailbox],
    );
    assert.deepEqual(rows, [
      { email: "@partner.example", source: "customer" },
      { email: "boss@corp.example", source: "customer" },
    ]);
    const cols = await db.query(
      "select 1 from information_schema.columns where table_schema = current_schema() and table_name = 'mailboxes' and column_name = 'inbound_sender_allowlist'",
    );
    assert.equal(cols.length, 0);
  });

  it("names API-added suppressions customer and the rest system-added", async () => {
    const rows = await db.query<{ email: string; source: string; added_by_actor_type: string | null }>(
      "select email, source, added_by_actor_type from suppressions where account_id = $1 order by email",
      [account],
    );
    assert.deepEqual(rows, [
      { email: "gone@example.com", source: "dsn", added_by_actor_type: "system" },
      { email: "x@example.com", source: "customer", added_by_actor_type: null },
    ]);
  });

  it("records past firewall blocks as inbound blocked attempts", async () => {
    const rows = await db.query<Record<string, unknown>>(
      "select message_id::text, from_address, reason_code, mode from inbound_blocked_attempts where mailbox_id = $1",
      [mailbox],
    );
    assert.deepEqual(rows, [
      {
        message_id: blockedMessage,
        from_address: "eve@else.example",
        reason_code: "SENDER_NOT_ON_ALLOWLIST",
        mode: "allowlist",
      },
    ]);
  });

  it("gives webhooks their last success and last failure from their deliveries", async () => {
    const [w] = await db.query<{ last_success_at: Date; last_failure_at: Date; last_error: string }>(
      "select last_success_at, last_failure_at, last_error from webhooks where id = $1",
      [webhook],
    );
    assert.equal(new Date(w!.last_success_at).toISOString(), "2026-11-01T10:00:00.000Z");
    assert.equal(new Date(w!.last_failure_at).toISOString(), "2026-11-02T10:00:00.000Z");
    assert.equal(w!.last_error, "HTTP 410");
  });
});
