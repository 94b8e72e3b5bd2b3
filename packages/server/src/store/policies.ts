import type { MailPolicy } from "../domain/policy/types.ts";
import { safeJson } from "../domain/safe-text.ts";
import type { Sql } from "./db.ts";

export interface PolicyRow {
  mailbox_id: string;
  document: MailPolicy;
  updated_at: Date;
}

export async function getPolicy(sql: Sql, mailboxId: string): Promise<PolicyRow | null> {
  const [row] = await sql.query<PolicyRow>(
    "select mailbox_id, document, updated_at from mailbox_policies where mailbox_id = $1",
    [mailboxId],
  );
  return row ?? null;
}

export async function putPolicy(
  sql: Sql,
  accountId: string,
  mailboxId: string,
  policy: MailPolicy,
): Promise<PolicyRow> {
  const [row] = await sql.query<PolicyRow>(
    `insert into mailbox_policies (mailbox_id, account_id, document) values ($1, $2, $3::jsonb)
     on conflict (mailbox_id) do update set document = excluded.document, updated_at = now()
     returning mailbox_id, document, updated_at`,
    [mailboxId, accountId, safeJson(policy)],
  );
  return row!;
}

/** Every mailbox's policy (for installation-wide jobs such as audit retention). */
export async function allPolicies(sql: Sql): Promise<{ mailbox_id: string; document: MailPolicy }[]> {
  return sql.query<{ mailbox_id: string; document: MailPolicy }>(
    "select mailbox_id, document from mailbox_policies",
  );
}

/** Which of the given mailboxes have a policy. */
export async function mailboxesWithPolicy(sql: Sql, mailboxIds: string[]): Promise<Set<string>> {
  const rows = await sql.query<{ mailbox_id: string }>(
    "select mailbox_id from mailbox_policies where mailbox_id = any($1::uuid[])",
    [mailboxIds],
  );
  return new Set(rows.map((r) => r.mailbox_id));
}
