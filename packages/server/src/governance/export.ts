import { Readable } from "node:stream";
import yazl from "yazl";
import type { Clock } from "../domain/clock.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { type ExportedMessage, exportAuditPage, exportMessagesPage } from "../store/account-export.ts";
import { getAccount } from "../store/accounts.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db } from "../store/db.ts";
import { listLegalHolds } from "../store/legal-holds.ts";
import { accountMailboxes, type MailboxRow } from "../store/mailboxes.ts";
import { spooledRaw } from "../store/messages.ts";

export const EXPORT_FORMAT = "postbox-export/1";
const PAGE = 200;

type Doc = Record<string, unknown>;

export interface ExportedMailbox {
  /** The mailbox's folder in the zip: its name, or for a deleted one its name and id (names are reused). */
  folder: string;
  row: MailboxRow;
}

/** What an export holds, in the order it is produced: the small parts first, then every message, then audit logs. */
export type ExportItem =
  | { kind: "account"; account: Doc }
  | { kind: "legal_holds"; holds: object[] }
  | { kind: "mailboxes"; mailboxes: ExportedMailbox[] }
  | { kind: "message"; mailbox: ExportedMailbox; message: ExportedMessage; raw: Buffer | null }
  | { kind: "audit"; mailbox: ExportedMailbox; entries: AsyncIterable<Doc> };

export interface ExportDeps {
  db: Db;
  blobs: Pick<BlobStore, "get">;
  clock: Clock;
}

/**
 * The account's data for portability (admin keys): the account, its legal holds, every mailbox (deleted ones too,
 * their mail is still stored), every stored message with its exact bytes, and each mailbox's audit log. Read page
 * by page as the consumer pulls, so one message at a time is in memory.
 */
export async function accountExport(deps: ExportDeps, p: Principal): Promise<AsyncIterable<ExportItem>> {
  requireRole(p, "admin");
  const account = (await getAccount(deps.db, p.accountId))!;
  const exportedAt = deps.clock.now();
  return (async function* () {
    yield {
      kind: "account",
      account: {
        format: EXPORT_FORMAT,
        exported_at: exportedAt.toISOString(),
        id: account.id,
        name: account.name,
        created_at: account.created_at.toISOString(),
        daily_send_cap: account.daily_send_cap,
        default_policy_mode: account.default_policy_mode,
        retention_days: account.retention_days,
      },
    };
    yield {
      kind: "legal_holds",
      holds: await listLegalHolds(deps.db, account.id, { includeReleased: true, limit: 100_000 }),
    };
    const mailboxes = (await accountMailboxes(deps.db, account.id)).map((row) => ({
      folder: row.deleted_at ? `${row.name}.deleted-${row.id}` : row.name,
      row,
    }));
    yield { kind: "mailboxes", mailboxes };
    for (const mailbox of mailboxes) {
      let after: { createdAt: Date; id: string } | null = null;
      for (;;) {
        const rows = await exportMessagesPage(deps.db, mailbox.row.id, after, PAGE);
        for (const message of rows)
          yield { kind: "message", mailbox, message, raw: await rawOf(deps, message) };
        if (rows.length < PAGE) break;
        const last = rows[rows.length - 1]!;
        after = { createdAt: last.created_at, id: last.id };
      }
    }
    for (const mailbox of mailboxes)
      yield { kind: "audit", mailbox, entries: auditOf(deps.db, mailbox.row.id) };
  })();
}

/** The stored bytes, from the spool while processing has not moved them; null if they are gone. */
async function rawOf(deps: ExportDeps, m: ExportedMessage): Promise<Buffer | null> {
  return (await spooledRaw(deps.db, m.id)) ?? (await deps.blobs.get(m.raw_sha256).catch(() => null));
}

async function* auditOf(db: Db, mailboxId: string): AsyncIterable<Doc> {
  let after = 0;
  for (;;) {
    const rows = await exportAuditPage(db, mailboxId, after, 1000);
    yield* rows;
    if (rows.length < 1000) return;
    after = rows[rows.length - 1]!.seq as number;
  }
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * The export as a zip (ZIP64 when large): account.json, legal-holds.json, mailboxes.json, and per mailbox
 * `mailboxes/<folder>/messages/<id>.eml` (the exact bytes), `<id>.json` (what is stored about it) and
 * `audit-log.jsonl`. Entries are added one ahead of the one being written, so memory stays flat.
 */
export function zipArchive(items: AsyncIterable<ExportItem>): Readable {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  zip.on("error", (err: Error) => out.destroy(err));
  const files = zipFiles(items)[Symbol.asyncIterator]();
  const addNext = () => {
    files.next().then(
      (r) => {
        if (r.done) return zip.end();
        const f = r.value;
        zip.addReadStreamLazy(f.path, { mtime: f.mtime }, (cb) => {
          cb(
            null,
            Readable.from(
              typeof f.content === "string" || Buffer.isBuffer(f.content) ? [f.content] : f.content,
              { objectMode: false },
            ),
          );
          addNext();
        });
      },
      (err: Error) => out.destroy(err),
    );
  };
  addNext();
  return out;
}

interface ZipEntry {
  path: string;
  content: Buffer | string | AsyncIterable<string>;
  mtime: Date;
}

async function* zipFiles(items: AsyncIterable<ExportItem>): AsyncIterable<ZipEntry> {
  let now = new Date();
  for await (const item of items) {
    switch (item.kind) {
      case "account":
        now = new Date(item.account.exported_at as string);
        yield { path: "account.json", content: json(item.account), mtime: now };
        break;
      case "legal_holds":
        yield { path: "legal-holds.json", content: json(item.holds), mtime: now };
        break;
      case "mailboxes":
        yield {
          path: "mailboxes.json",
          content: json(item.mailboxes.map((m) => ({ folder: `mailboxes/${m.folder}`, ...m.row }))),
          mtime: now,
        };
        break;
      case "message": {
        const base = `mailboxes/${item.mailbox.folder}/messages/${item.message.id}`;
        if (item.raw) yield { path: `${base}.eml`, content: item.raw, mtime: item.message.created_at };
        yield {
          path: `${base}.json`,
          content: json({ ...item.message, raw_missing: item.raw === null }),
          mtime: item.message.created_at,
        };
        break;
      }
      case "audit":
        yield {
          path: `mailboxes/${item.mailbox.folder}/audit-log.jsonl`,
          content: jsonLines(item.entries),
          mtime: now,
        };
        break;
    }
  }
}

async function* jsonLines(entries: AsyncIterable<Doc>): AsyncIterable<string> {
  for await (const e of entries) yield `${JSON.stringify(e)}\n`;
}

/**
 * The export as one JSON document, streamed — what the seed's clients read (`rly account export`):
 * `{format, exported_at, account, legal_holds, mailboxes, messages: [{…, raw_base64}], audit_log: […]}`.
 */
export function jsonDocument(items: AsyncIterable<ExportItem>): Readable {
  return Readable.from(jsonParts(items), { objectMode: false });
}

async function* jsonParts(items: AsyncIterable<ExportItem>): AsyncIterable<string> {
  let messages = 0;
  let auditOpen = false;
  let entries = 0;
  for await (const item of items) {
    switch (item.kind) {
      case "account": {
        const { format, exported_at, ...account } = item.account;
        yield `{"format":${JSON.stringify(format)},"exported_at":${JSON.stringify(exported_at)},"account":${JSON.stringify(account)}`;
        break;
      }
      case "legal_holds":
        yield `,"legal_holds":${JSON.stringify(item.holds)}`;
        break;
      case "mailboxes":
        yield `,"mailboxes":${JSON.stringify(item.mailboxes.map((m) => m.row))},"messages":[`;
        break;
      case "message":
        yield `${messages++ ? "," : ""}\n${JSON.stringify({
          ...item.message,
          raw_missing: item.raw === null,
          raw_base64: item.raw?.toString("base64") ?? null,
        })}`;
        break;
      case "audit":
        if (!auditOpen) yield `],"audit_log":[`;
        auditOpen = true;
        for await (const e of item.entries) yield `${entries++ ? "," : ""}\n${JSON.stringify(e)}`;
        break;
    }
  }
  yield auditOpen ? "]}\n" : `],"audit_log":[]}\n`;
}
