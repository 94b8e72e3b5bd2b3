import { randomBytes } from "node:crypto";
import type { Sql } from "./db.ts";

/** The installation's signing key for `purpose`, made at first use; concurrent first uses agree on one. */
export async function serviceSecret(sql: Sql, purpose: string): Promise<string> {
  await sql.query("insert into service_secrets (purpose, secret) values ($1, $2) on conflict do nothing", [
    purpose,
    randomBytes(32).toString("base64url"),
  ]);
  const [row] = await sql.query<{ secret: string }>("select secret from service_secrets where purpose = $1", [
    purpose,
  ]);
  return row!.secret;
}
