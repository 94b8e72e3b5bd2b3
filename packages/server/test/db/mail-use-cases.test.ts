import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { HTTP_STATUS } from "../../src/api/http-status.ts";
import { fixedClock } from "../../src/domain/clock.ts";
import { AppError } from "../../src/domain/errors.ts";
import type { Principal } from "../../src/domain/principal.ts";
import { replayEvents } from "../../src/events/feed.ts";
import { ingestRaw } from "../../src/inbound/ingest.ts";
import { createQueueHealth } from "../../src/jobs/health.ts";
import { createDraft, deleteDraft, editDraft, getDraftOf, sendDraft } from "../../src/outbound/drafts.ts";
import type { SendService } from "../../src/outbound/send.ts";
import { sendFromMailbox } from "../../src/outbound/send-request.ts";
import { silentLogger } from "../../src/platform/logger.ts";
import { createAccount } from "../../src/store/accounts.ts";
import { type Db, openDb } from "../../src/store/db.ts";
import { appendEvent } from "../../src/store/events.ts";
import { createMailbox, type MailboxRow } from "../../src/store/mailboxes.ts";
import { migrate } from "../../src/store/migrate.ts";
import { listMailboxMessages } from "../../src/tenancy/mailbox-messages.ts";
import { createWebhook, listWebhookDeliveries, updateWebhook } from "../../src/webhooks/subscriptions.ts";
import { DATABASE_URL, dbLabel, useTestDatabaseTemplate } from "../helpers.ts";

/** Rejects with an AppError of this code (and status), as the HTTP layer would show it. */
async function refused(p: Promise<unknown>, status: number, code: string, message?: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, code);
    assert.equal(HTTP_STATUS[err.refusal], status);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

/** Use-cases called directly against the database: no HTTP server, no workers. */
describe(`mail use-cases (${dbLabel})`, () => {
  let db: Db;
  let schema: string | undefined;
  let admin: Principal;
  let writer: Principal;
  let other: Principal;
  let mbWriter: MailboxRow;

  before(async () => {
    schema = DATABASE_URL ? `t_${randomUUID().replace(/-/g, "").slice(0, 16)}` : undefined;
    await useTestDatabaseTemplate(true);
    db = await openDb({ databaseUrl: DATABASE_URL, pgliteDir: null, schema, logger: silentLogger });
    await migrate(db);
    const account = await createAccount(db, "uc", true);
    const a = await createMailbox(db, { accountId: account.id, name: "writer", displayName: null });
    const b = await createMailbox(db, { accountId: account.id, name: "elsewhere", displayName: null });
    assert.ok(a.ok && b.ok);
    mbWriter = a.mailbox;
    const base = { accountId: account.id, apiKeyId: randomUUID() };
    admin = { ...base, role: "admin", mailboxIds: [] };
    writer = { ...base, role: "agent", mailboxIds: [a.mailbox.id] };
    other = { ...base, role: "agent", mailboxIds: [b.mailbox.id] };
  });
  after(async () => {
    await db.close();
    if (schema && DATABASE_URL) {
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    }
  });

  it("drafts: created and scanned, hidden from other agents, edited, scheduled by the clock, deleted", async () => {
    const d = await createDraft({ db }, writer, "writer", {
      to: "Client@Example.com",
      subject: "Proposal",
      text: "Call me on (415) 555-2671",
    });
    assert.deepEqual(d.to_addrs, ["client@example.com"]);
    assert.equal(d.worst_decision, "allow_with_warning");
    await refused(getDraftOf({ db }, other, d.id), 404, "NOT_FOUND", `no draft ${d.id}`);

    const edited = await editDraft({ db }, writer, d.id, {
      text: "Here is the proposal.",
      sendAt: "2030-01-02T00:00:00Z",
    });
    assert.equal(edited.subject, "Proposal", "fields not given stay as they were");
    assert.equal(edited.worst_decision, "allow");

    // The clock decides "later": no send happens, the draft is scheduled.
    const noSend = {} as SendService;
    const clock = fixedClock(new Date("2030-01-01T00:00:00Z"));
    const out = await sendDraft({ db, send: noSend, clock }, writer, d.id);
    assert.deepEqual(out, { scheduled: true, draftId: d.id, sendAt: new Date("2030-01-02T00:00:00Z") });
    await refused(sendDraft({ db, send: noSend, clock }, writer, d.id), 409, "DRAFT_ALREADY_SENT");
    await deleteDraft({ db }, writer, d.id);
    await refused(getDraftOf({ db }, writer, d.id), 404, "NOT_FOUND");

    const empty = await createDraft({ db }, writer, "writer", { subject: "nobody" });
    await refused(sendDraft({ db, send: noSend, clock }, writer, empty.id), 400, "VALIDATION_ERROR");
  });

  it("send: checks the mailbox and the addresses before the send service sees anything", async () => {
    const asked: unknown[] = [];
    const send = {
      async send(req: unknown, idem: unknown) {
        asked.push({ req, idem });
        return { message_id: "m", status: "sent" } as never;
      },
    };
    await refused(
      sendFromMailbox(
        { db, send },
        other,
        { from_mailbox: "writer", to: "a@b.example", subject: "", body: "" },
        undefined,
      ),
      403,
      "MAILBOX_FORBIDDEN",
    );
    await refused(
      sendFromMailbox(
        { db, send },
        writer,
        { from_mailbox: "writer", to: [], subject: "", body: "" },
        undefined,
      ),
      400,
      "VALIDATION_ERROR",
    );
    await sendFromMailbox(
      { db, send },
      writer,
      { from_mailbox: "writer", to: " A@B.example ", subject: "s", body: "b" },
      "key-1",
    );
    assert.equal(asked.length, 1);
    const { req, idem } = asked[0] as { req: { to: string[]; mailbox: MailboxRow }; idem: { key: string } };
    assert.deepEqual(req.to, ["a@b.example"]);
    assert.equal(req.mailbox.id, mbWriter.id);
    assert.equal(idem.key, "key-1");
  });

  it("messages and events: filters are checked, agents see their mailboxes' events only", async () => {
    await refused(
      listMailboxMessages({ db }, writer, "writer", { limit: 10, state: "nope" }),
      400,
      "VALIDATION_ERROR",
    );
    assert.deepEqual((await listMailboxMessages({ db }, writer, "writer", { limit: 10 })).rows, []);

    await appendEvent(db, {
      accountId: writer.accountId,
      mailboxId: mbWriter.id,
      type: "message.received",
      data: { message_id: "x" },
    });
    const seen = await replayEvents({ db }, writer, { limit: 10, types: "message.received" });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.mailbox_id, mbWriter.id);
    assert.deepEqual(await replayEvents({ db }, other, { limit: 10, types: "message.received" }), []);
    await refused(replayEvents({ db }, writer, { limit: 10, types: "no.such" }), 400, "VALIDATION_ERROR");
  });

  it("webhooks: admin only, created and updated, delivery paging checked", async () => {
    const config = { webhookAllowPrivate: true, maxWebhooksPerAccount: 1 };
    const input = { url: "http://127.0.0.1:9/hook", enabledEvents: ["message.received"] };
    await refused(createWebhook({ db, config }, writer, input), 403, "INSUFFICIENT_SCOPE");
    const { webhook, secret } = await createWebhook({ db, config }, admin, input);
    assert.match(secret, /^whsec_/);
    await refused(createWebhook({ db, config }, admin, input), 409, "WEBHOOK_LIMIT_REACHED");
    const updated = await updateWebhook({ db, config }, admin, webhook.id, { description: "d" });
    assert.equal(updated.description, "d");
    await refused(
      listWebhookDeliveries({ db }, admin, webhook.id, { limit: 10, beforeAt: "2030-01-01T00:00:00Z" }),
      400,
      "VALIDATION_ERROR",
    );
  });

  it("ingest: recipients of other domains and unknown mailboxes are listed as rejected", async () => {
    const accepted: string[] = [];
    const accept = async (_raw: Buffer, _env: unknown, rcpts: { address: string; mailbox: MailboxRow }[]) => {
      accepted.push(...rcpts.map((r) => r.address));
      return rcpts.map((r) => ({
        messageId: "m",
        mailboxId: r.mailbox.id,
        recipient: r.address,
        rawSha256: "",
      }));
    };
    const deps = { db, accept, config: { domain: "test.local", maxHeaderBytes: 64 * 1024 } };
    const raw = Buffer.from("Subject: hi\r\n\r\nbody\r\n");
    await refused(
      ingestRaw(deps, admin, "text", { rcptTo: "writer@test.local" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    await refused(ingestRaw(deps, writer, raw, { rcptTo: "writer@test.local" }), 403, "INSUFFICIENT_SCOPE");
    const out = await ingestRaw(deps, admin, raw, {
      rcptTo: "writer@test.local, x@other.example,nobody@test.local",
    });
    assert.deepEqual(accepted, ["writer@test.local"]);
    assert.deepEqual(
      out.rejected.map((r) => r.code),
      ["FOREIGN_DOMAIN", "UNKNOWN_RECIPIENT"],
    );
  });

  it("health: the queue depth is read again only after a second", async () => {
    const clock = fixedClock(new Date("2030-01-01T00:00:00Z"));
    let reads = 0;
    const counting = {
      ...db,
      query: (async (text: string, params?: unknown[]) => {
        reads++;
        return db.query(text, params);
      }) as Db["query"],
    };
    const health = createQueueHealth({ db: counting, clock });
    assert.deepEqual(await health(), { deliveries: 0, inbound: 0, inboundFailed: 0 });
    clock.advance(500);
    await health();
    assert.equal(reads, 1);
    clock.advance(600);
    await health();
    assert.equal(reads, 2);
  });
});
