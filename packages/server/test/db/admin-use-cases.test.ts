import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { HTTP_STATUS } from "../../src/api/http-status.ts";
import { fixedClock } from "../../src/domain/clock.ts";
import { AppError } from "../../src/domain/errors.ts";
import type { Principal } from "../../src/domain/principal.ts";
import { blockMessage, releaseMessage } from "../../src/inbound/moderation.ts";
import { disallowRecipient, switchRecipientPolicy } from "../../src/outbound/recipient-controls.ts";
import { approveSend, denySend, listHeldSends } from "../../src/outbound/review.ts";
import { createAccount, createApiKey } from "../../src/store/accounts.ts";
import type { Db } from "../../src/store/db.ts";
import { deliveriesFor } from "../../src/store/deliveries.ts";
import { insertOutbound, insertReceived } from "../../src/store/messages.ts";
import { revokeKey } from "../../src/tenancy/api-keys.ts";
import { openMailbox } from "../../src/tenancy/mailboxes.ts";
import { dbLabel, openTestDatabase } from "../helpers.ts";

/** Refusals keep their HTTP-facing code and status. */
const refusal = (status: number, code: string) => (e: unknown) =>
  e instanceof AppError && HTTP_STATUS[e.refusal] === status && e.code === code;

/** The admin use-cases called directly, without HTTP: what a dashboard or an MCP tool would call. */
describe(`admin use-cases (${dbLabel})`, () => {
  let db: Db;
  let admin: Principal;
  let mailboxId: string;
  const clock = fixedClock(new Date("2026-03-01T12:00:00Z"));
  let close: () => Promise<void>;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    const account = await createAccount(db, "use-case tests");
    const { row } = await createApiKey(db, { accountId: account.id, role: "admin" });
    admin = { accountId: account.id, apiKeyId: row.id, role: "admin", mailboxIds: [] };
    mailboxId = (await openMailbox({ db, domain: "test.local" }, admin, { name: "desk", displayName: null }))
      .id;
  });
  after(async () => {
    await close();
  });

  async function heldSend(to: string[]) {
    return insertOutbound(db, {
      id: randomUUID(),
      accountId: admin.accountId,
      mailboxId,
      rawSha256: "0".repeat(64),
      rawSize: 10,
      internetMessageId: `<${randomUUID()}@test.local>`,
      sender: "desk@test.local",
      senderName: null,
      to,
      cc: [],
      bcc: [],
      subject: "held",
      sentAt: clock.now(),
      threadId: null,
      inReplyTo: null,
      references: [],
      text: "hello",
      html: null,
      state: "pending_review",
    });
  }

  it("approves a held send: it is queued for each recipient, and the decision time comes from the clock", async () => {
    const msg = await heldSend(["A@example.com", "a@example.com", "b@example.com"]);
    const held = await listHeldSends({ db }, admin, { limit: 50 });
    assert.ok(held.some((m) => m.id === msg.id));
    const row = await approveSend({ db, clock }, admin, msg.id, " looks fine ");
    assert.equal(row.state, "dispatching");
    assert.deepEqual(row.review, {
      decision: "approved",
      note: "looks fine",
      decided_at: "2026-03-01T12:00:00.000Z",
      api_key_id: admin.apiKeyId,
    });
    const queued = await deliveriesFor(db, [msg.id]);
    assert.deepEqual(queued.map((d) => d.recipient).sort(), ["a@example.com", "b@example.com"]);
    await assert.rejects(approveSend({ db, clock }, admin, msg.id), refusal(409, "MESSAGE_NOT_HELD"));
  });

  it("denies a held send: blocked, nothing queued; agents may not decide", async () => {
    const msg = await heldSend(["c@example.com"]);
    const agent: Principal = { ...admin, role: "agent", mailboxIds: [mailboxId] };
    await assert.rejects(denySend({ db, clock }, agent, msg.id), refusal(403, "INSUFFICIENT_SCOPE"));
    const row = await denySend({ db, clock }, admin, msg.id);
    assert.equal(row.state, "blocked");
    assert.equal((await deliveriesFor(db, [msg.id])).length, 0);
  });

  it("refuses to revoke the account's last admin key, and forgets a revoked one", async () => {
    const forgotten: string[] = [];
    const deps = { db, forgetKey: (id: string) => forgotten.push(id) };
    await assert.rejects(revokeKey(deps, admin, admin.apiKeyId), refusal(409, "LAST_ADMIN_KEY"));
    const { row: second } = await createApiKey(db, { accountId: admin.accountId, role: "admin" });
    const revoked = await revokeKey(deps, admin, second.id);
    assert.ok(revoked.revoked_at);
    assert.deepEqual(forgotten, [second.id]);
  });

  it("releases quarantined mail to the agent as a new arrival, once", async () => {
    const id = randomUUID();
    await insertReceived(db, [
      {
        raw: Buffer.from("Subject: hi\r\n\r\nhello\r\n"),
        rawSha256: "1".repeat(64),
        spool: false,
        envelope: { transport: "smtp", client_ip: null, helo: null, mail_from: "x@evil.test", rcpt_to: [] },
        holdSeconds: 0,
        copies: [
          { messageId: id, accountId: admin.accountId, mailboxId, recipient: "desk@test.local", rcptTo: [] },
        ],
      },
    ]);
    await db.query(
      `update messages set state = 'quarantined', sender = 'x@evil.test', subject = 'hi',
         internet_message_id = $2 where id = $1`,
      [id, `<${id}@evil.test>`],
    );
    const released = await releaseMessage({ db }, admin, id, "false positive");
    assert.equal(released.state, "available");
    assert.ok(released.thread_id);
    await assert.rejects(releaseMessage({ db }, admin, id), refusal(409, "MESSAGE_NOT_HELD"));
    assert.equal((await blockMessage({ db }, admin, id)).state, "blocked");
  });

  it("keeps the allowlist's last entry while the mailbox is in allowlist mode", async () => {
    await assert.rejects(
      switchRecipientPolicy({ db }, admin, "desk", "allowlist"),
      refusal(400, "ALLOWLIST_EMPTY"),
    );
    await db.query("insert into mailbox_allowlist (mailbox_id, email) values ($1, 'only@example.com')", [
      mailboxId,
    ]);
    assert.deepEqual(await switchRecipientPolicy({ db }, admin, "desk", "allowlist"), {
      mode: "allowlist",
      allowlistSize: 1,
    });
    await assert.rejects(
      disallowRecipient({ db }, admin, "desk", "only@example.com"),
      refusal(409, "ALLOWLIST_LAST_ENTRY"),
    );
    await disallowRecipient({ db }, admin, "desk", "only@example.com", true);
  });
});
