import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AppError } from "../../src/domain/errors.ts";
import { createSendService, type SendRequest, type SendService } from "../../src/outbound/send.ts";
import { defaultAccount } from "../../src/store/accounts.ts";
import { findMailbox } from "../../src/store/mailboxes.ts";
import { dbLabel, type Sink, startSink, startTestServer, type TestServer } from "../helpers.ts";

/** The send use-case on its own (no HTTP): a refused or repeated send stores nothing. */
describe(`send: no blob for a refused or repeated send (${dbLabel})`, () => {
  let t: TestServer;
  let sink: Sink;
  let send: SendService;
  before(async () => {
    sink = await startSink();
    t = await startTestServer({ POSTBOX_SMTP_RELAY: sink.url });
    // The server's own store (files with the embedded database, the blobs table with DATABASE_URL).
    send = createSendService({ db: t.pb.db, blobs: t.pb.blobs, domain: "test.local" });
    await t.client().mailboxes.create({ name: "metered" });
    await t.client().mailboxes.create({ name: "idem" });
    const set = await t.api("PATCH", "/v1/mailboxes/metered", {
      body: { send_quotas: [{ window_seconds: 3600, limit: 1 }] },
    });
    assert.equal(set.status, 200);
  });
  after(async () => {
    await t.stop();
    await sink.close();
  });

  /** Stored blobs, as the store lists them. */
  async function blobCount(): Promise<number> {
    let n = 0;
    for await (const _ of t.pb.blobs.list()) n++;
    return n;
  }

  async function request(name: string, subject: string): Promise<SendRequest> {
    const account = await defaultAccount(t.pb.db);
    const mailbox = await findMailbox(t.pb.db, account!.id, name);
    return { mailbox: mailbox!, to: ["q@example.com"], cc: [], bcc: [], subject, text: "hello", html: null };
  }

  it("stores no blob for a send the quota refuses", async () => {
    const req = await request("metered", "Quota");
    const start = await blobCount();
    assert.equal((await send.send(req, null)).status, "sent");
    assert.equal(await blobCount(), start + 1);
    await assert.rejects(
      send.send(req, null),
      (e: unknown) => e instanceof AppError && e.code === "RATE_LIMITED",
    );
    assert.equal(await blobCount(), start + 1);
  });

  it("stores one blob for a send repeated with its Idempotency-Key, at once or later", async () => {
    const req = await request("idem", "Once");
    const idem = { key: "blob-idem-1", requestHash: "h1" };
    const start = await blobCount();
    const [a, b] = await Promise.all([send.send(req, idem), send.send(req, idem)]);
    const c = await send.send(req, idem);
    assert.equal(a.message_id, b.message_id);
    assert.equal(a.message_id, c.message_id);
    assert.equal(await blobCount(), start + 1);
  });
});
