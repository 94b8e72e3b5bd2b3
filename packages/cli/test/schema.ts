import { randomUUID } from "node:crypto";
import pg from "pg";

/** A fresh PostgreSQL schema and a DATABASE_URL whose connections use it, for tests that spawn the service. */
export async function schemaUrl(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `e_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await run(`create schema "${schema}"`);
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`drop schema if exists "${schema}" cascade`) };
}
