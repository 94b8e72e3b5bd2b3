import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Db, Sql } from "../../src/store/db.ts";
import { LISTED_STATES, listMessages, nextInbound } from "../../src/store/messages.ts";
import { dbLabel, openTestDatabase } from "../helpers.ts";

/**
 * Every message list walks an index in its order and stops at the page (migration 0040, decision 0028): each
 * filter's plan is a scan of the index made for it, without a sort over the mailbox. No timings: the plan is the
 * contract.
 */
describe(`message list plans (${dbLabel})`, () => {
  let t: { db: Db; close(): Promise<void> };
  const mailbox = randomUUID();
  before(async () => {
    t = await openTestDatabase();
    // A mailbox of read, settled mail where what the filters ask for is absent, with statistics: the planner
    // then prices a walk of the whole mailbox as what it is.
    const account = randomUUID();
    await t.db.query("insert into accounts (id, name) values ($1, 'plans')", [account]);
    await t.db.query("insert into mailboxes (id, account_id, name) values ($1, $2, 'plans')", [
      mailbox,
      account,
    ]);
    await t.db.query(
      `insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, sender,
         inbound_seq, read_at, created_at)
       select gen_random_uuid(), $2, $1, 'inbound', 'available', md5(i::text), 100,
         'sender' || (i % 300) || '@example' || (i % 30) || '.org', i, now(), now() - make_interval(secs => i)
       from generate_series(1, 3000) i`,
      [mailbox, account],
    );
    await t.db.query("analyze messages");
  });
  after(() => t.close());

  /** The plan of the one query a store function sends (EXPLAIN, not run). */
  async function planOf(run: (sql: Sql) => Promise<unknown>): Promise<string> {
    return t.db.tx(async (sql) => {
      await sql.query("set local enable_seqscan = off");
      await sql.query("set local enable_sort = off");
      await sql.query("set local enable_bitmapscan = off");
      let plan = "";
      await run({
        async query<T>(text: string, params?: unknown[]) {
          const rows = await sql.query<Record<string, string>>(`explain (costs off) ${text}`, params);
          plan = rows.map((r) => Object.values(r)[0]).join("\n");
          return [] as T[];
        },
        exec: () => Promise.resolve(),
      });
      return plan;
    });
  }

  const page = { limit: 51, states: LISTED_STATES, agentView: true };
  const cases: [string, string, Parameters<typeof listMessages>[2]][] = [
    ["the default list", "messages_listed", page],
    ["an admin's list", "messages_listed", { ...page, agentView: false }],
    [
      "a page after a cursor",
      "messages_listed",
      { ...page, before: { createdAt: new Date().toISOString(), id: randomUUID() } },
    ],
    ["since and until", "messages_listed", { ...page, since: new Date(0), until: new Date() }],
    ["unread=true", "messages_unread", { ...page, unread: true }],
    ["one state", "messages_state_list", { ...page, agentView: false, states: ["quarantined"] }],
    ["direction", "messages_direction_list", { ...page, direction: "outbound" }],
    ["an exact sender", "messages_sender_list", { ...page, sender: "Alice@Example.org" }],
    ["a sender's domain", "messages_sender_domain_list", { ...page, sender: "@example.org" }],
    ["starred=true", "messages_starred", { ...page, starred: true }],
    ["has_attachment=true", "messages_with_attachments", { ...page, hasAttachment: true }],
    ["a label", "messages_labelled", { ...page, label: "invoices" }],
  ];
  for (const [name, index, opts] of cases) {
    it(`${name} walks ${index} without a sort`, async () => {
      const plan = await planOf((sql) => listMessages(sql, mailbox, opts));
      assert.match(plan, new RegExp(`Index Scan using ${index} on messages`), plan);
      assert.doesNotMatch(plan, /Sort|Seq Scan/, plan);
    });
  }

  it("a wait without a cursor walks the unread arrivals in order", async () => {
    const plan = await planOf((sql) => nextInbound(sql, mailbox, null, { unread: true }));
    assert.match(plan, /Index Scan using messages_unread_seq on messages/, plan);
    assert.doesNotMatch(plan, /Sort|Seq Scan/, plan);
  });
});
