import type { Sql } from "./db.ts";

export async function findDkimKey(sql: Sql, domain: string, selector: string): Promise<string | null> {
  const [row] = await sql.query<{ private_key: string }>(
    "select private_key from dkim_keys where domain = $1 and selector = $2",
    [domain, selector],
  );
  return row?.private_key ?? null;
}

/** Stores a key unless one is already there for the domain and selector (the first writer wins). */
export async function insertDkimKeyIfAbsent(
  sql: Sql,
  domain: string,
  selector: string,
  privateKeyPem: string,
): Promise<void> {
  await sql.query(
    "insert into dkim_keys (domain, selector, private_key) values ($1, $2, $3) on conflict do nothing",
    [domain, selector, privateKeyPem],
  );
}
