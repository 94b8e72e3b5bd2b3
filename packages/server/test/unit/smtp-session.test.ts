import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { smtpReplies } from "../../src/domain/smtp-replies.ts";
import { verpAddress } from "../../src/domain/verp.ts";
import type { AcceptedCopy } from "../../src/inbound/accept.ts";
import { resolveRecipient } from "../../src/inbound/recipients.ts";
import {
  createConnectionGate,
  type DataDeps,
  endOfData,
  MAX_RECIPIENTS,
  newTransaction,
  type RcptDeps,
  rcptTo,
  type Transaction,
} from "../../src/inbound/smtp/session.ts";
import { silentLogger } from "../../src/platform/logger.ts";
import { type Db, openDb } from "../../src/store/db.ts";
import type { MailboxRow } from "../../src/store/mailboxes.ts";
import { createMailbox } from "../../src/store/mailboxes.ts";
import type { Envelope } from "../../src/store/messages.ts";
import { migrate } from "../../src/store/migrate.ts";
import { bootstrap } from "../../src/tenancy/bootstrap.ts";

const DOMAIN = "example.test";
const support = { id: "mb-support", account_id: "acct-1" } as MailboxRow;

/** RCPT deps with one mailbox (support@) and one known VERP delivery. */
const rcptDeps = (over: Partial<RcptDeps> = {}): RcptDeps => ({
  domain: DOMAIN,
  resolveRecipient: async (address) => {
    if (!address.includes("@")) return { ok: false, reason: "malformed" };
    if (!address.endsWith(`@${DOMAIN}`)) return { ok: false, reason: "foreign_domain" };
    return address.startsWith("support@")
      ? { ok: true, mailbox: support }
      : { ok: false, reason: "unknown_mailbox" };
  },
  logger: silentLogger,
  ...over,
});
const failing = async (): Promise<never> => {
  throw new Error("database down");
};
const D1 = "0b7e3f2a-1c4d-4e5f-8a9b-0c1d2e3f4a5b";
const d1Path = verpAddress(D1, DOMAIN);
const rcpt = (address: string, tx: Transaction = newTransaction(), deps = rcptDeps()) =>
  rcptTo(deps, tx, address);

describe("SMTP session: RCPT TO", () => {
  it("accepts a mailbox of ours", async () =>
    assert.deepEqual(await rcpt("support@example.test"), smtpReplies.recipient_accepted));
  it("refuses another domain (no relaying)", async () =>
    assert.deepEqual(await rcpt("a@elsewhere.org"), smtpReplies.relaying_denied));
  it("refuses a malformed address", async () =>
    assert.deepEqual(await rcpt("no-at-sign"), smtpReplies.malformed_recipient));
  it("refuses an unknown mailbox, naming it", async () =>
    assert.deepEqual(await rcpt("ghost@example.test"), smtpReplies.unknown_mailbox("ghost@example.test")));
  it("defers when the lookup fails", async () =>
    assert.deepEqual(
      await rcpt("support@example.test", newTransaction(), rcptDeps({ resolveRecipient: failing })),
      smtpReplies.lookup_failed,
    ));
  it("defers past the recipient limit", async () =>
    assert.deepEqual(
      await rcpt("support@example.test", { ...newTransaction(), accepted: MAX_RECIPIENTS }),
      smtpReplies.too_many_recipients,
    ));
  it("counts repeats against the limit", async () => {
    const tx = newTransaction();
    for (let i = 0; i < MAX_RECIPIENTS; i++) await rcpt("support@example.test", tx);
    assert.deepEqual(await rcpt("support@example.test", tx), smtpReplies.too_many_recipients);
  });
  it("remembers the mailbox for DATA", async () => {
    const tx = newTransaction();
    await rcpt("support@example.test", tx);
    assert.equal(tx.mailboxes.get("support@example.test"), support);
  });
  it("accepts a known VERP return path", async () => {
    const tx = newTransaction();
    const deps = rcptDeps({ deliveryById: async (id) => (id === D1 ? { id } : null) });
    assert.deepEqual(await rcpt(d1Path, tx, deps), smtpReplies.recipient_accepted);
    assert.equal(tx.returnPaths.get(d1Path), D1);
  });
  it("refuses an unknown VERP return path", async () =>
    assert.deepEqual(
      await rcpt(
        verpAddress("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", DOMAIN),
        newTransaction(),
        rcptDeps({ deliveryById: async () => null }),
      ),
      smtpReplies.unknown_return_path(verpAddress("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", DOMAIN)),
    ));
  it("defers when the return path lookup fails", async () =>
    assert.deepEqual(
      await rcpt(d1Path, newTransaction(), rcptDeps({ deliveryById: failing })),
      smtpReplies.lookup_failed,
    ));
});

describe("SMTP session: RCPT TO against the database", () => {
  let db: Db;
  let dir: string;
  let deps: RcptDeps;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "postbox-session-"));
    db = await openDb({ databaseUrl: null, pgliteDir: null, logger: silentLogger });
    await migrate(db);
    const boot = await bootstrap(db, { dataDir: dir, adminKey: null });
    await createMailbox(db, { accountId: boot.accountId, name: "sales", displayName: null });
    deps = rcptDeps({ resolveRecipient: (address) => resolveRecipient(db, DOMAIN, address) });
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  it("accepts a live mailbox, plus-addressing included", async () =>
    assert.deepEqual(
      await rcpt("sales+x@example.test", newTransaction(), deps),
      smtpReplies.recipient_accepted,
    ));
  it("refuses a mailbox that does not exist", async () =>
    assert.deepEqual(
      await rcpt("nobody@example.test", newTransaction(), deps),
      smtpReplies.unknown_mailbox("nobody@example.test"),
    ));
  it("accepts postmaster without a domain", async () =>
    assert.deepEqual(await rcpt("Postmaster", newTransaction(), deps), smtpReplies.recipient_accepted));
  it("refuses relaying", async () =>
    assert.deepEqual(await rcpt("sales@elsewhere.org", newTransaction(), deps), smtpReplies.relaying_denied));
});

const raw = (body = "hello") => Buffer.from(`From: a@b.test\r\nSubject: hi\r\n\r\n${body}\r\n`);
const envelope = (rcpt_to: string[]): Envelope => ({
  transport: "smtp",
  client_ip: "192.0.2.1",
  helo: "b.test",
  mail_from: "a@b.test",
  rcpt_to,
  tls: false,
});
const copiesOf = (recipients: { mailbox: MailboxRow; address: string }[]): AcceptedCopy[] =>
  recipients.map((r, i) => ({
    messageId: `m${i + 1}`,
    mailboxId: r.mailbox.id,
    recipient: r.address,
    rawSha256: "x",
  }));
const dataDeps = (over: Partial<DataDeps> = {}): DataDeps => ({
  maxMessageBytes: 1000,
  maxHeaderBytes: 200,
  accept: async (_raw, _env, recipients) => copiesOf(recipients),
  hasPolicy: async () => false,
  sessionPolicy: async () => ({ verdict: "accept" }),
  holdSeconds: 7,
  logger: silentLogger,
  ...over,
});
/** A transaction that accepted support@ at RCPT. */
const withSupport = (): Transaction => ({
  ...newTransaction(),
  mailboxes: new Map([["support@example.test", support]]),
  accepted: 1,
});
const data = (deps = dataDeps(), message = raw(), tx = withSupport(), rcpts = ["support@example.test"]) =>
  endOfData(deps, tx, message, envelope(rcpts));
const storageFull = async (): Promise<never> => {
  throw Object.assign(new Error("write failed"), { code: "ENOSPC" });
};

describe("SMTP session: end of DATA", () => {
  it("queues the message once it is committed", async () =>
    assert.deepEqual(await data(), smtpReplies.queued(["m1"])));
  it("refuses a message over the size limit", async () =>
    assert.deepEqual(await data(dataDeps(), raw("x".repeat(1000))), smtpReplies.message_too_big));
  it("refuses a header block over its limit", async () =>
    assert.deepEqual(
      await data(dataDeps(), Buffer.from(`X-Long: ${"y".repeat(300)}\r\n\r\nbody\r\n`)),
      smtpReplies.header_too_big(200),
    ));
  it("defers when the commit fails", async () =>
    assert.deepEqual(await data(dataDeps({ accept: failing })), smtpReplies.not_stored));
  it("says storage is full when it is", async () =>
    assert.deepEqual(await data(dataDeps({ accept: storageFull })), smtpReplies.storage_full));
  it("refuses under a bounce policy that refuses every copy", async () =>
    assert.deepEqual(
      await data(
        dataDeps({
          hasPolicy: async () => true,
          sessionPolicy: async () => ({ verdict: "reject", reason: "no thanks" }),
        }),
      ),
      smtpReplies.refused_by_policy("no thanks"),
    ));
  it("accepts when the policy accepts", async () =>
    assert.deepEqual(await data(dataDeps({ hasPolicy: async () => true })), smtpReplies.queued(["m1"])));
  it("leaves the policy to the pipeline when its presence is unknown", async () =>
    assert.deepEqual(
      await data(
        dataDeps({ hasPolicy: failing, sessionPolicy: async () => ({ verdict: "reject", reason: "x" }) }),
      ),
      smtpReplies.queued(["m1"]),
    ));
  it("holds copies only for an in-session decision", async () => {
    const holds: (number | undefined)[] = [];
    const accept: DataDeps["accept"] = async (_r, _e, recipients, opts) => {
      holds.push(opts?.holdSeconds);
      return copiesOf(recipients);
    };
    await data(dataDeps({ accept }));
    await data(dataDeps({ accept, hasPolicy: async () => true }));
    assert.deepEqual(holds, [undefined, 7]);
  });
  it("records a bounce report sent only to a return path", async () => {
    const tx = {
      ...newTransaction(),
      returnPaths: new Map([[d1Path, D1]]),
      accepted: 1,
    };
    const seen: string[] = [];
    const deps = dataDeps({ handleDsn: async (_raw, id) => seen.push(id) });
    assert.deepEqual(await data(deps, raw(), tx, [d1Path]), smtpReplies.bounce_report_recorded);
    assert.deepEqual(seen, [D1]);
  });
  it("defers when a bounce report cannot be recorded", async () => {
    const tx = {
      ...newTransaction(),
      returnPaths: new Map([[d1Path, D1]]),
      accepted: 1,
    };
    assert.deepEqual(
      await data(dataDeps({ handleDsn: failing }), raw(), tx, [d1Path]),
      smtpReplies.bounce_not_recorded,
    );
  });
});

describe("SMTP session: connections", () => {
  it("caps connections in all and per network, and frees them on close", () => {
    const gate = createConnectionGate({ maxConnections: 3, maxPerNetwork: 2 });
    assert.equal(gate.admit("s1", "192.0.2.1"), null);
    assert.equal(gate.admit("s2", "192.0.2.1"), null);
    assert.deepEqual(gate.admit("s3", "192.0.2.1"), smtpReplies.too_many_connections_from_network);
    assert.equal(gate.admit("s4", "192.0.2.2"), null);
    assert.deepEqual(gate.admit("s5", "192.0.2.3"), smtpReplies.too_many_connections);
    gate.release("s1");
    gate.release("s3");
    assert.equal(gate.admit("s6", "192.0.2.1"), null);
  });
  it("turns every new connection away once shutting down", () => {
    const gate = createConnectionGate({ maxConnections: 3, maxPerNetwork: 2 });
    gate.shutDown();
    assert.deepEqual(gate.admit("s1", "192.0.2.1"), smtpReplies.shutting_down);
  });
});

describe("SMTP replies on the wire", () => {
  it("keep their exact text", () => {
    assert.equal(smtpReplies.too_many_recipients.code, 452);
    assert.equal(smtpReplies.too_many_recipients.temporary, true);
    assert.equal(
      smtpReplies.unknown_mailbox("x@y").text,
      "<x@y>: Recipient address rejected: no such mailbox",
    );
  });
});
