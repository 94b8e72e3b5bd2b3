import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Db } from "./db.ts";

const DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

/** Applies pending SQL migrations in file-name order, one transaction, serialised across processes. */
export async function migrate(db: Db): Promise<string[]> {
  const files = (await readdir(DIR)).filter((f) => f.endsWith(".sql")).sort();
  return db.tx(async (sql) => {
    await sql.query("select pg_advisory_xact_lock(7262010)");
    await sql.query(
      "create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())",
    );
    const done = new Set(
      (await sql.query<{ version: string }>("select version from schema_migrations")).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const text = await readFile(DIR + file, "utf8");
      // The file as one script: the server splits it, so functions and DO blocks need no special care.
      await sql.exec(text);
      await sql.query("insert into schema_migrations (version) values ($1)", [file]);
      applied.push(file);
    }
    return applied;
  });
}
