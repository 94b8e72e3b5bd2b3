import { isUuid } from "../domain/address.ts";
import type { DomainStatus, RecordCheck } from "../domain/dns-records.ts";
import type { Db, Sql } from "./db.ts";

export interface DomainRow {
  id: string;
  account_id: string;
  name: string;
  dkim_selector: string;
  dkim_private_key: string;
  dkim_key_source: "generated" | "operator";
  verification_status: DomainStatus;
  dns_checks: RecordCheck[];
  last_checked_at: Date | null;
  verified_at: Date | null;
  created_at: Date;
}

/** Claims the name for the account; null when some account (this one or another) already holds it. */
export async function insertDomain(
  sql: Sql,
  d: {
    id: string;
    accountId: string;
    name: string;
    selector: string;
    privateKey: string;
    keySource: DomainRow["dkim_key_source"];
  },
): Promise<DomainRow | null> {
  const [row] = await sql.query<DomainRow>(
    `insert into domains (id, account_id, name, dkim_selector, dkim_private_key, dkim_key_source)
     values ($1, $2, $3, $4, $5, $6) on conflict (name) do nothing returning *`,
    [d.id, d.accountId, d.name, d.selector, d.privateKey, d.keySource],
  );
  return row ?? null;
}

/** The domain with this name, in any account (inbound mail and claims ask). */
export async function domainByName(sql: Sql, name: string): Promise<DomainRow | null> {
  const [row] = await sql.query<DomainRow>("select * from domains where name = $1", [name]);
  return row ?? null;
}

/** A domain of the account by id or name. */
export async function findDomain(sql: Sql, accountId: string, idOrName: string): Promise<DomainRow | null> {
  const [row] = await sql.query<DomainRow>(
    `select * from domains where account_id = $1 and ${isUuid(idOrName) ? "id = $2::uuid" : "name = $2"}`,
    [accountId, idOrName.toLowerCase().replace(/\.$/, "")],
  );
  return row ?? null;
}

/** The account's domains, oldest first. */
export async function listDomains(sql: Sql, accountId: string): Promise<DomainRow[]> {
  return sql.query<DomainRow>("select * from domains where account_id = $1 order by created_at, id", [
    accountId,
  ]);
}

/** Writes a check's outcome: the status, each record's result, and when it first verified. */
export async function recordDomainCheck(
  sql: Sql,
  id: string,
  check: { status: DomainStatus; records: RecordCheck[]; at: Date },
): Promise<DomainRow> {
  const [row] = await sql.query<DomainRow>(
    `update domains set verification_status = $2, dns_checks = $3::jsonb, last_checked_at = $4,
       verified_at = case when $2 = 'verified' then coalesce(verified_at, $4) else verified_at end
     where id = $1 returning *`,
    [id, check.status, JSON.stringify(check.records), check.at],
  );
  return row!;
}

/**
 * Deletes the domain unless live mailboxes are on it; returns how many are (0: deleted). The row lock waits for
 * mailbox creations on the domain, which hold it shared, so none slips in between the count and the delete.
 */
export async function deleteUnusedDomain(db: Db, id: string): Promise<number> {
  return db.tx(async (sql) => {
    const [row] = await sql.query<{ name: string }>("select name from domains where id = $1 for update", [
      id,
    ]);
    if (!row) return 0;
    const [live] = await sql.query<{ n: number }>(
      "select count(*)::int as n from mailboxes where domain = $1 and deleted_at is null",
      [row.name],
    );
    if (live!.n === 0) await sql.query("delete from domains where id = $1", [id]);
    return live!.n;
  });
}

/** The account's default domain for new mailboxes; null: the installation's. */
export async function accountDefaultDomain(sql: Sql, accountId: string): Promise<DomainRow | null> {
  const [row] = await sql.query<DomainRow>(
    "select d.* from accounts a join domains d on d.id = a.default_domain_id where a.id = $1",
    [accountId],
  );
  return row ?? null;
}

/** Sets the account's default domain (null: the installation's). */
export async function setAccountDefaultDomain(
  sql: Sql,
  accountId: string,
  domainId: string | null,
): Promise<void> {
  await sql.query("update accounts set default_domain_id = $2 where id = $1", [accountId, domainId]);
}

/** The names of the account's verified domains. */
export async function verifiedDomainNames(sql: Sql, accountId: string): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    "select name from domains where account_id = $1 and verification_status = 'verified' order by name",
    [accountId],
  );
  return rows.map((r) => r.name);
}
