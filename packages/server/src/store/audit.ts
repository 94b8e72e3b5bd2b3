import { type AuditEntry, createChainVerifier, entryHash, GENESIS_HASH } from "../domain/audit-chain.ts";
import { safeDeep } from "../domain/safe-text.ts";
import type { Sql } from "./db.ts";

export type AuditInput = Omit<AuditEntry, "mailbox_id" | "seq" | "created_at">;

export interface AuditRow extends AuditEntry {
  account_id: string;
  prev_hash: string;
  hash: string;
}

/**
 * Appends entries to a mailbox's chain. Taking the next positions locks the chain's row, so appends of one
 * mailbox are serial and each entry links to the one before; callers lock several mailboxes in id order.
 */
export async function appendAudit(
  sql: Sql,
  accountId: string,
  mailboxId: string,
  entries: AuditInput[],
): Promise<void> {
  if (entries.length === 0) return;
  // Made safe before hashing, so the stored row hashes to the same value when the chain is verified.
  entries = safeDeep(entries);
  const [chain] = await sql.query<{ seq: number; head: string }>(
    `insert into audit_chains (mailbox_id, seq) values ($1, $2)
     on conflict (mailbox_id) do update set seq = audit_chains.seq + excluded.seq returning seq, head`,
    [mailboxId, entries.length],
  );
  let prev = chain!.head;
  let seq = chain!.seq - entries.length;
  // Millisecond precision, as stored, so the hash computed now matches the row read back.
  const createdAt = new Date(Date.now());
  const rows = entries.map((e) => {
    const entry: AuditEntry = { ...e, mailbox_id: mailboxId, seq: ++seq, created_at: createdAt };
    const hash = entryHash(prev, entry);
    const row = { ...entry, account_id: accountId, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
  await sql.query(
    `insert into policy_audit (mailbox_id, seq, account_id, created_at, transport, envelope_sender, header_sender,
       rule_index, outcome, action, reason, message_id, body_sha256, capabilities, prev_hash, hash)
     select v.mailbox_id, v.seq, v.account_id, v.created_at, v.transport, v.envelope_sender, v.header_sender,
       v.rule_index, v.outcome, v.action, v.reason, v.message_id, v.body_sha256,
       array(select jsonb_array_elements_text(v.capabilities)), v.prev_hash, v.hash
     from jsonb_to_recordset($1::jsonb) as v (mailbox_id uuid, seq bigint, account_id uuid, created_at timestamptz,
       transport text, envelope_sender text, header_sender text, rule_index int, outcome text, action text,
       reason text, message_id uuid, body_sha256 text, capabilities jsonb, prev_hash text, hash text)`,
    [JSON.stringify(rows)],
  );
  await sql.query("update audit_chains set head = $2 where mailbox_id = $1", [mailboxId, prev]);
}

export async function listAudit(
  sql: Sql,
  mailboxId: string,
  f: { outcome?: string; sender?: string; since?: Date; until?: Date; beforeSeq?: number; limit: number },
): Promise<AuditRow[]> {
  const params: unknown[] = [mailboxId, f.limit];
  let where = "mailbox_id = $1";
  const add = (clause: (n: string) => string, v: unknown) => {
    params.push(v);
    where += ` and ${clause(`$${params.length}`)}`;
  };
  if (f.outcome) add((n) => `outcome = ${n}`, f.outcome);
  if (f.sender)
    add((n) => `(lower(envelope_sender) = ${n} or lower(header_sender) = ${n})`, f.sender.toLowerCase());
  if (f.since) add((n) => `created_at >= ${n}`, f.since);
  if (f.until) add((n) => `created_at < ${n}`, f.until);
  if (f.beforeSeq !== undefined) add((n) => `seq < ${n}`, f.beforeSeq);
  return sql.query<AuditRow>(`select * from policy_audit where ${where} order by seq desc limit $2`, params);
}

const PAGE = 1000;

/** Walks a mailbox's whole chain from its anchor and reports the first broken link, if any. */
export async function verifyAudit(sql: Sql, mailboxId: string) {
  const [row] = await sql.query<{ seq: number; head: string; anchor_seq: number; anchor_hash: string }>(
    "select seq, head, anchor_seq, anchor_hash from audit_chains where mailbox_id = $1",
    [mailboxId],
  );
  const c = row ?? { seq: 0, head: GENESIS_HASH, anchor_seq: 0, anchor_hash: GENESIS_HASH };
  const verifier = createChainVerifier({ seq: c.anchor_seq, hash: c.anchor_hash });
  let after = c.anchor_seq;
  for (;;) {
    const rows = await sql.query<AuditRow>(
      "select * from policy_audit where mailbox_id = $1 and seq > $2 order by seq limit $3",
      [mailboxId, after, PAGE],
    );
    if (rows.length === 0 || verifier.feed(rows)) break;
    after = rows[rows.length - 1]!.seq;
  }
  const { checked, broken } = verifier.finish({ seq: c.seq, hash: c.head });
  return {
    ok: broken === null,
    checked,
    anchor: { seq: c.anchor_seq, hash: c.anchor_hash },
    head: { seq: c.seq, hash: c.head },
    first_broken: broken,
  };
}

/**
 * Deletes a mailbox's entries older than `cutoff` — always a prefix of the chain — and moves the anchor to the
 * last deleted entry, so the remaining chain still verifies from its new start.
 */
export async function expireAudit(sql: Sql, mailboxId: string, cutoff: Date): Promise<number> {
  await sql.query("select mailbox_id from audit_chains where mailbox_id = $1 for update", [mailboxId]);
  const [last] = await sql.query<{ seq: number; hash: string }>(
    `select seq, hash from policy_audit where mailbox_id = $1 and seq = (
       select max(seq) from policy_audit where mailbox_id = $1 and created_at < $2)`,
    [mailboxId, cutoff],
  );
  if (!last) return 0;
  const deleted = await sql.query<{ seq: number }>(
    "delete from policy_audit where mailbox_id = $1 and seq <= $2 returning seq",
    [mailboxId, last.seq],
  );
  await sql.query("update audit_chains set anchor_seq = $2, anchor_hash = $3 where mailbox_id = $1", [
    mailboxId,
    last.seq,
    last.hash,
  ]);
  return deleted.length;
}
