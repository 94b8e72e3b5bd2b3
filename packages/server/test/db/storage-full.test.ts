import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PostboxError } from "@postbox/sdk";
import { isStorageFull } from "../../src/domain/storage-full.ts";
import { createFsBlobStore } from "../../src/store/blobs.ts";
import { dbLabel, type Sink, smtpClient, startSink, startTestServer, type TestServer } from "../helpers.ts";

/** A directory on a tmpfs of `kb` kilobytes: a real full disk. Needs root (CI and the dev machines run as root). */
function tinyDisk(kb: number): { dir: string; unmount: () => void } | null {
  const dir = mkdtempSync(path.join(tmpdir(), "postbox-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kb}k`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    unmount: () => {
      execFileSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const probe = tinyDisk(64);
probe?.unmount();
const skip = probe ? false : "cannot mount a tmpfs here (needs root)";

describe(`a full disk (${dbLabel})`, { skip }, () => {
  it("classifies the OS's and PostgreSQL's storage-full errors", () => {
    assert.equal(isStorageFull(Object.assign(new Error("x"), { code: "ENOSPC" })), true);
    assert.equal(isStorageFull(Object.assign(new Error("x"), { code: "EDQUOT" })), true);
    assert.equal(isStorageFull(Object.assign(new Error("could not extend file"), { code: "53100" })), true);
    assert.equal(
      isStorageFull(new Error("outer", { cause: Object.assign(new Error("in"), { code: "ENOSPC" }) })),
      true,
    );
    assert.equal(isStorageFull(Object.assign(new Error("x"), { code: "EACCES" })), false);
    assert.equal(isStorageFull(Object.assign(new Error("duplicate key"), { code: "23505" })), false);
  });

  it("the blob store removes its temp file when a write fails, and works again once there is room", async () => {
    const disk = tinyDisk(64)!;
    try {
      const blobs = createFsBlobStore(disk.dir);
      await assert.rejects(blobs.put(Buffer.alloc(200 * 1024, 1)), (e: NodeJS.ErrnoException) => {
        return e.code === "ENOSPC" && isStorageFull(e);
      });
      assert.deepEqual(readdirSync(path.join(disk.dir, "tmp")), [], "no partial file left behind");
      const small = Buffer.from("still works");
      assert.deepEqual(await blobs.get(await blobs.put(small)), small);
    } finally {
      disk.unmount();
    }
  });

  describe("through the API and SMTP", () => {
    let disk: NonNullable<ReturnType<typeof tinyDisk>>;
    let t: TestServer;
    let sink: Sink;
    before(async () => {
      disk = tinyDisk(256)!;
      sink = await startSink();
      // The raw messages go to the tiny disk (the filesystem store, also with DATABASE_URL); the database is elsewhere.
      t = await startTestServer({
        POSTBOX_DATA_DIR: disk.dir,
        POSTBOX_SMTP_RELAY: sink.url,
        POSTBOX_BLOB_STORE: "fs",
      });
      await t.client().mailboxes.create({ name: "full" });
    });
    after(async () => {
      await t.stop();
      await sink.close();
      disk.unmount();
    });

    const big = "x".repeat(400 * 1024);
    const tmpFiles = () => readdirSync(path.join(disk.dir, "blobs", "tmp"));

    it("answers a send 507 STORAGE_FULL with Retry-After, stores and sends nothing", async () => {
      const ok = await t
        .client()
        .messages.send({ from_mailbox: "full", to: "a@example.com", subject: "s", body: "b" });
      const r = await t.api("POST", "/v1/messages/send", {
        body: { from_mailbox: "full", to: "b@example.com", subject: "Big", body: big },
      });
      assert.equal(r.status, 507);
      assert.equal(r.body.code, "STORAGE_FULL");
      assert.match(r.body.error, /Retry-After/);
      assert.equal(r.headers.get("retry-after"), "60");
      assert.deepEqual(tmpFiles(), []);
      const sent = await t.client().messages.list("full");
      assert.deepEqual(
        sent.data.map((m) => m.id),
        [ok.message_id],
        "only the first message exists",
      );
      await assert.rejects(
        t.client().messages.send({ from_mailbox: "full", to: "b@example.com", subject: "Big", body: big }),
        (e: unknown) => e instanceof PostboxError && e.code === "STORAGE_FULL" && e.status === 507,
      );
    });

    it("answers a report at DATA 452 4.3.1 when it cannot be stored", async () => {
      const sent = await t
        .client()
        .messages.send({ from_mailbox: "full", to: "c@example.com", subject: "s", body: "b" });
      await t.pb.drain();
      const [d] = await t.pb.db.query<{ id: string }>("select id from deliveries where message_id = $1", [
        sent.message_id,
      ]);
      const returnPath = `bounces+${d!.id.replace(/-/g, "")}@test.local`;
      const report = [
        "From: MAILER-DAEMON@mx.example.com",
        `To: ${returnPath}`,
        "Subject: Undelivered Mail Returned to Sender",
        "Content-Type: text/plain",
        "",
        "550 5.1.1 user unknown",
        big,
        "",
      ].join("\r\n");
      const smtp = smtpClient(t.pb.smtpPort!);
      try {
        await assert.rejects(
          smtp.sendMail({ envelope: { from: "", to: [returnPath] }, raw: report }),
          (e: { responseCode?: number; response?: string }) =>
            e.responseCode === 452 && /4\.3\.1 Insufficient system storage/.test(e.response ?? ""),
        );
      } finally {
        smtp.close();
      }
      assert.deepEqual(tmpFiles(), []);
    });
  });
});
