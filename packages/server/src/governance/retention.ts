import type { Clock } from "../domain/clock.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import { activeHolds, lockHolds } from "../store/legal-holds.ts";
import {
  dropExpiredUploads,
  purgeExpiredMessages,
  referencedBlobs,
  retentionTargets,
} from "../store/retention.ts";

const DAY_MS = 86_400_000;
/** Messages deleted per transaction: short transactions, so processing and sends never wait long on a purge. */
const BATCH = 500;
/** Blobs checked against the tables per query. */
const SWEEP_BATCH = 500;
/**
 * A blob younger than this is never swept: bytes are stored before the row that refers to them is committed (an
 * ingest, a send being composed), so an unreferenced young blob may be one whose row is on its way.
 */
export const BLOB_GRACE_MS = 24 * 3_600_000;

export interface RetentionDeps {
  db: Db;
  blobs: Pick<BlobStore, "list" | "remove">;
  clock: Clock;
  /** The operator's POSTBOX_RETENTION_DAYS: for mailboxes and accounts that set none. */
  defaultDays: number;
  blobGraceMs?: number;
}

export interface RetentionResult {
  messages_deleted: number;
  /** Mailboxes skipped because a legal hold covers them or their account. */
  mailboxes_held: number;
  blobs_swept: number;
}

/**
 * One retention pass: deletes settled messages older than their mailbox's retention (its own, its account's or the
 * operator's default), except where a legal hold covers the mailbox or its account, then sweeps blobs no row refers
 * to. Audit entries are not touched: they keep the MailPolicy's retention (jobs/audit-retention.ts). Safe to run
 * in several processes at once.
 */
export async function enforceRetention(deps: RetentionDeps): Promise<RetentionResult> {
  const now = deps.clock.now();
  let deleted = 0;
  let held = 0;
  for (const t of await retentionTargets(deps.db, deps.defaultDays)) {
    const cutoff = new Date(now.getTime() - t.days * DAY_MS);
    for (;;) {
      const n = await deps.db.tx(async (sql) => {
        // Shared with other deletions, exclusive with applying a hold: a hold committed now is seen, or waits for us.
        await lockHolds(sql, t.account_id, "delete");
        if ((await activeHolds(sql, t.account_id, t.mailbox_id)).length > 0) return -1;
        return purgeExpiredMessages(sql, t.mailbox_id, cutoff, BATCH);
      });
      if (n < 0) held++;
      if (n > 0) deleted += n;
      if (n < BATCH) break;
    }
  }
  await dropExpiredUploads(deps.db, now);
  const swept = await sweepBlobs(deps, new Date(now.getTime() - (deps.blobGraceMs ?? BLOB_GRACE_MS)));
  return { messages_deleted: deleted, mailboxes_held: held, blobs_swept: swept };
}

/**
 * Removes blobs written before `writtenBefore` that no message or bounce report refers to: what retention freed,
 * and what refused, dropped and bounced mail left behind.
 */
export async function sweepBlobs(
  deps: { db: Db; blobs: Pick<BlobStore, "list" | "remove"> },
  writtenBefore: Date,
): Promise<number> {
  let swept = 0;
  let batch: string[] = [];
  const flush = async () => {
    const used = await referencedBlobs(deps.db, batch);
    for (const sha of batch) if (!used.has(sha) && (await deps.blobs.remove(sha, writtenBefore))) swept++;
    batch = [];
  };
  for await (const b of deps.blobs.list()) {
    if (b.writtenAt >= writtenBefore) continue;
    batch.push(b.sha256);
    if (batch.length >= SWEEP_BATCH) await flush();
  }
  await flush();
  return swept;
}
