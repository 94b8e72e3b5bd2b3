import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dbLabel, startTestServer, type TestServer } from "../helpers.ts";

/** Migrations run as whole scripts: a function body or a DO block, full of semicolons, is not cut apart. */
describe(`the migration runner (${dbLabel})`, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({}, {}, { emptyDatabase: true });
  });
  after(() => t.stop());

  it("applied every migration, once, in order", async () => {
    const rows = await t.pb.db.query<{ version: string }>(
      "select version from schema_migrations order by version",
    );
    const versions = rows.map((r) => r.version);
    assert.deepEqual(versions, [...versions].sort());
    assert.ok(versions.length >= 19 && versions[0] === "0001_core.sql");
  });

  it("runs a script with a plpgsql function and a DO block in one go", async () => {
    await t.pb.db.tx((sql) =>
      sql.exec(`
        -- A comment; with a semicolon.
        create table migrate_probe (n int);
        create function migrate_probe_add(x int) returns int language plpgsql as $$
        begin
          insert into migrate_probe values (x);
          return x + 1;
        end $$;
        do $$ begin perform migrate_probe_add(41); end $$;
      `),
    );
    const [row] = await t.pb.db.query<{ n: number }>("select n from migrate_probe");
    assert.equal(row?.n, 41);
    const [next] = await t.pb.db.query<{ v: number }>("select migrate_probe_add(1) as v");
    assert.equal(next?.v, 2);
  });
});
