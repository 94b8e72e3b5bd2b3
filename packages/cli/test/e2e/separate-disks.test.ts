import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Postbox } from "@postbox/sdk";
import pg from "pg";
import { createFsBlobStore, fsBlobStoreHoldsBlobs } from "../../../server/src/store/blobs.ts";
import { DATABASE_URL, eventually, type Sink, smtpClient, startSink } from "../../../server/test/helpers.ts";
import { type ServiceProcess, startService, tempDataDir } from "../process.ts";
import { schemaUrl } from "../schema.ts";

const KEY = "pbx_live_separatedisks000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** A mail with a CSV attachment of a few hundred kilobytes. */
function mailWithCsv(to: string, subject: string, csv: string): string {
  return [
    "From: Alice <alice@example.org>",
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <${randomBytes(8).toString("hex")}@example.org>`,
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    `about ${subject}`,
    "--b",
    'Content-Type: text/csv; name="figures.csv"',
    'Content-Disposition: attachment; filename="figures.csv"',
    "",
    csv,
    "--b--",
    "",
  ].join("\r\n");
}

/**
 * Two machines, as far as one host can show it: each process has its own data directory and they share only the
 * PostgreSQL. A has no worker, so what it accepts is processed (and its bytes stored) by B, and what it composes
 * is delivered by B; every read goes through both.
 */
describe("two processes with separate data directories on one PostgreSQL", {
  skip: !DATABASE_URL && "needs DATABASE_URL (PGlite is single-process)",
}, () => {
  let a: ServiceProcess;
  let b: ServiceProcess;
  let sink: Sink;
  let url: string;
  const dirs: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    const s = await schemaUrl(DATABASE_URL!);
    url = s.url;
    cleanups.push(s.drop);
    sink = await startSink();
    cleanups.push(() => sink.close());
    for (let i = 0; i < 3; i++) dirs.push(await tempDataDir());
    cleanups.push(...dirs.map((d) => () => rm(d, { recursive: true, force: true })));
    const common = {
      DATABASE_URL: url,
      POSTBOX_ADMIN_KEY: KEY,
      POSTBOX_SMTP_RELAY: sink.url,
      POSTBOX_BLOB_STORE: "postgres",
    };
    a = await startService({ ...common, POSTBOX_DATA_DIR: dirs[0]!, POSTBOX_ROLES: "api,smtp" });
    cleanups.push(() => a.stop());
    b = await startService({ ...common, POSTBOX_DATA_DIR: dirs[1]! });
    cleanups.push(() => b.stop());
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });

  const client = (p: ServiceProcess) =>
    new Postbox({ apiKey: KEY, baseUrl: `http://127.0.0.1:${p.httpPort}`, maxRetries: 0 });

  it("mail accepted over SMTP by either process is read whole through both", async () => {
    const [onA, onB] = [client(a), client(b)];
    await onA.mailboxes.create({ name: "via-a" });
    await onA.mailboxes.create({ name: "via-b" });
    const accepting: [string, ServiceProcess][] = [
      ["via-a", a],
      ["via-b", b],
    ];
    const readers: [string, Postbox][] = [
      ["A", onA],
      ["B", onB],
    ];
    for (const [mailbox, acceptedBy] of accepting) {
      const csv = Array.from({ length: 8000 }, (_, i) => `${i},${randomBytes(12).toString("hex")}`).join(
        "\r\n",
      );
      const raw = mailWithCsv(`${mailbox}@test.local`, `accepted by ${mailbox}`, csv);
      const smtp = smtpClient(acceptedBy.smtpPort);
      await smtp.sendMail({ envelope: { from: "alice@example.org", to: [`${mailbox}@test.local`] }, raw });
      smtp.close();
      const { message } = await onB.messages.wait(mailbox, { timeout: 60 });
      assert.ok(message, `${mailbox}: processed`);
      const id: string = message.id;
      for (const [name, reader] of readers) {
        const got = await reader.messages.get(id);
        assert.equal(got.subject, `accepted by ${mailbox}`, `${mailbox} through ${name}`);
        assert.equal(Buffer.from(await reader.messages.getRaw(id)).toString(), raw, `raw through ${name}`);
        const bytes = Buffer.from(await reader.attachments.download(id, 0));
        assert.equal(bytes.toString().replace(/\r\n$/, ""), csv, `attachment through ${name}`);
        const preview = await reader.attachments.getPreview(id, 0);
        assert.ok(preview.preview.content.startsWith("0,"), `preview through ${name}`);
      }
      // A download URL one process signed is served by the other too (the key is in the database).
      const { url: signed } = await onA.attachments.getDownloadUrl(id, 0);
      const other = new URL(signed);
      other.port = String(b.httpPort);
      const res = await fetch(other);
      assert.equal(res.status, 200);
      assert.equal(
        Buffer.from(await res.arrayBuffer())
          .toString()
          .replace(/\r\n$/, ""),
        csv,
      );
    }
  });

  it("mail composed by one process is delivered by the other's worker", async () => {
    const sent = await client(a).messages.send({
      from_mailbox: "via-a",
      to: ["far@example.net"],
      subject: "composed on A",
      body: "delivered by B",
    });
    await sink.waitFor(1);
    assert.match(sink.received[0]!.raw.toString(), /Subject: composed on A/);
    await eventually(async () => (await client(b).messages.get(sent.message_id)).state === "delivered");
  });

  it("keeps no blob on either disk: every byte is in PostgreSQL", async () => {
    for (const p of [a, b]) {
      const line = p.stderr.split("\n").find((l) => l.includes('"msg":"listening"'))!;
      assert.equal(JSON.parse(line).blob_store, "postgres");
    }
    for (const dir of dirs.slice(0, 2))
      assert.equal(await fsBlobStoreHoldsBlobs(path.join(dir, "blobs")), false, dir);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `select count(*)::int as missing from messages m
         where not exists (select 1 from blobs b where b.sha256 = m.raw_sha256)`,
      );
      assert.equal(rows[0].missing, 0, "every message's bytes are in the blobs table");
    } finally {
      await db.end();
    }
  });

  it("refuses to start on PostgreSQL blobs by default where the disk still holds blobs", async () => {
    const legacy = dirs[2]!;
    await createFsBlobStore(path.join(legacy, "blobs")).put(Buffer.from("stored by an earlier start"));
    await assert.rejects(
      startService({ DATABASE_URL: url, POSTBOX_ADMIN_KEY: KEY, POSTBOX_DATA_DIR: legacy }),
      /POSTBOX_BLOB_STORE: .* holds blobs of the filesystem store; set POSTBOX_BLOB_STORE=fs/,
    );
  });
});
