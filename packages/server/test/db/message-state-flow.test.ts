import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { HTTP_STATUS } from "../../src/api/http-status.ts";
import { fixedClock } from "../../src/domain/clock.ts";
import { AppError } from "../../src/domain/errors.ts";
import { sourcesOf } from "../../src/domain/message-state.ts";
import type { Principal } from "../../src/domain/principal.ts";
import { blockMessage, releaseMessage, reportMessage } from "../../src/inbound/moderation.ts";
import { settleMessage } from "../../src/outbound/delivery/settle.ts";
import { approveSend, denySend } from "../../src/outbound/review.ts";
import { expireHolds } from "../../src/outbound/review-expiry.ts";
import { createAccount, createApiKey } from "../../src/store/accounts.ts";
import type { Db } from "../../src/store/db.ts";
import { deliveriesFor, queueDeliveries } from "../../src/store/deliveries.ts";
import { failReceived, getMessage, insertOutbound, insertReceived } from "../../src/store/messages.ts";
import { openMailbox, removeMailbox } from "../../src/tenancy/mailboxes.ts";
import { dbLabel, openTestDatabase } from "../helpers.ts";

const refusal = (status: number, code: string) => (e: unknown) =>
  e instanceof AppError && HTTP_STATUS[e.refusal] === status && e.code === code;

/** The use-cases refuse what the state machine (domain/message-state.ts) does not allow, and change nothing. */
describe(`message state changes go through the state machine (${dbLabel})`, () => {
  let db: Db;
  let admin: Principal;
  let mailboxId: string;
  const clock = fixedClock(new Date("2026-03-01T12:00:00Z"));
  let close: () => Promise<void>;

  before(async () => {
    ({ db, close } = await openTestDatabase());
    const account = await createAccount(db, "state machine tests");
    const { row } = await createApiKey(db, { accountId: account.id, role: "admin" });
    admin = { accountId: account.id, apiKeyId: row.id, role: "admin", mailboxIds: [] };
    mailboxId = (await openMailbox({ db, domain: "test.local" }, admin, { name: "desk", displayName: null }))
      .id;
  });
  after(async () => {
    await close();
  });

  async function outbound(state: "dispatching" | "pending_review", to = ["a@example.com"], box = mailboxId) {
    const row = await insertOutbound(db, {
      id: randomUUID(),
      accountId: admin.accountId,
      mailboxId: box,
      rawSha256: "0".repeat(64),
      rawSize: 10,
      internetMessageId: `<${randomUUID()}@test.local>`,
      sender: "desk@test.local",
      senderName: null,
      to,
      cc: [],
      bcc: [],
      subject: "state",
      sentAt: clock.now(),
      threadId: null,
      inReplyTo: null,
      references: [],
      text: "hello",
      html: null,
      state,
    });
    if (state === "dispatching") await queueDeliveries(db, admin.accountId, row.id, to);
    return row;
  }

  async function inbound(): Promise<string> {
    const id = randomUUID();
    await insertReceived(db, [
      {
        raw: Buffer.from("Subject: hi\r\n\r\nhello\r\n"),
        rawSha256: "1".repeat(64),
        spool: false,
        envelope: {
          transport: "smtp",
          client_ip: null,
          helo: null,
          mail_from: "x@example.test",
          rcpt_to: [],
        },
        holdSeconds: 0,
        copies: [
          { messageId: id, accountId: admin.accountId, mailboxId, recipient: "desk@test.local", rcptTo: [] },
        ],
      },
    ]);
    return id;
  }

  const stateOf = async (id: string) => (await getMessage(db, admin.accountId, id))!.state;

  it("refuses to approve or deny a message that is not held (delivered, dispatching), leaving it as it was", async () => {
    const msg = await outbound("dispatching");
    await db.query("update deliveries set state = 'delivered' where message_id = $1", [msg.id]);
    assert.equal(await settleMessage(db, msg.id, "delivery"), "delivered");
    await assert.rejects(approveSend({ db, clock }, admin, msg.id), refusal(409, "MESSAGE_NOT_HELD"));
    await assert.rejects(denySend({ db, clock }, admin, msg.id), refusal(409, "MESSAGE_NOT_HELD"));
    assert.equal(await stateOf(msg.id), "delivered");
    const queued = await outbound("dispatching");
    await assert.rejects(denySend({ db, clock }, admin, queued.id), refusal(409, "MESSAGE_NOT_HELD"));
    assert.equal(await stateOf(queued.id), "dispatching");
  });

  it("refuses to release, block or report failed inbound mail: failed is final", async () => {
    const id = await inbound();
    assert.equal(
      await failReceived(db, id, "unparseable", sourcesOf("inbound", "failed", "processor")),
      true,
    );
    await assert.rejects(releaseMessage({ db }, admin, id), refusal(409, "MESSAGE_NOT_HELD"));
    await assert.rejects(blockMessage({ db }, admin, id), refusal(409, "MESSAGE_NOT_HELD"));
    await assert.rejects(reportMessage({ db }, admin, id), refusal(409, "MESSAGE_NOT_HELD"));
    assert.equal(await stateOf(id), "failed");
  });

  it("refuses to release available mail or block blocked mail (the admin's sources)", async () => {
    const id = await inbound();
    await db.query("update messages set state = 'available' where id = $1", [id]);
    await assert.rejects(
      releaseMessage({ db }, admin, id),
      (e: unknown) =>
        refusal(409, "MESSAGE_NOT_HELD")(e) &&
        (e as Error).message ===
          "the message is available; only quarantined or blocked inbound messages can be released",
    );
    assert.equal((await blockMessage({ db }, admin, id)).state, "blocked");
    await assert.rejects(
      blockMessage({ db }, admin, id),
      (e: unknown) =>
        refusal(409, "MESSAGE_NOT_HELD")(e) &&
        (e as Error).message ===
          "the message is blocked; only quarantined or available inbound messages can be blocked",
    );
  });

  it("expires only held sends: a dispatching one of the same age is left alone", async () => {
    const held = await outbound("pending_review");
    const going = await outbound("dispatching");
    const later = new Date(Date.now() + 400 * 3600_000); // rows are created at the database's now()
    assert.ok((await expireHolds(db, later)) >= 1);
    assert.equal(await stateOf(held.id), "blocked");
    assert.equal(await stateOf(going.id), "dispatching");
  });

  it("does not let delivery settle a held send, nor revive a blocked one", async () => {
    const held = await outbound("pending_review");
    // Deliveries a held send should never have: the machine still refuses to move it.
    await queueDeliveries(db, admin.accountId, held.id, ["a@example.com"]);
    await db.query("update deliveries set state = 'delivered' where message_id = $1", [held.id]);
    assert.equal(await settleMessage(db, held.id, "delivery"), null);
    assert.equal(await stateOf(held.id), "pending_review");
    await denySend({ db, clock }, admin, held.id);
    assert.equal(await settleMessage(db, held.id, "delivery"), null);
    assert.equal(await stateOf(held.id), "blocked");
  });

  it("cancels a deleted mailbox's queued mail as the deletion, and a late bounce still lands", async () => {
    const box = await openMailbox({ db, domain: "test.local" }, admin, { name: "gone", displayName: null });
    const msg = await outbound("dispatching", ["a@example.com", "b@example.com"], box.id);
    await db.query("update deliveries set state = 'delivered' where message_id = $1 and recipient = $2", [
      msg.id,
      "a@example.com",
    ]);
    const { done } = await removeMailbox({ db }, admin, "gone");
    assert.equal(done.deliveries_cancelled, 1);
    assert.equal(await stateOf(msg.id), "cancelled");
    // A bounce report for the delivered recipient arrives afterwards: cancelled → bounced, by the delivery side.
    await db.query("update deliveries set state = 'bounced' where message_id = $1 and recipient = $2", [
      msg.id,
      "a@example.com",
    ]);
    assert.equal(await settleMessage(db, msg.id, "deletion"), null, "the deletion may not bounce it");
    assert.equal(await settleMessage(db, msg.id, "delivery"), "bounced");
    assert.deepEqual((await deliveriesFor(db, [msg.id])).map((d) => d.state).sort(), [
      "bounced",
      "cancelled",
    ]);
  });
});
