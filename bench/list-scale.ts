import { Agent, request } from "node:http";
import pg from "pg";
import { Postbox } from "../packages/sdk/src/index.ts";
import { encodeCursor } from "../packages/server/src/domain/cursor.ts";
import { type FilledMailbox, fillMailbox } from "./list-fixtures.ts";
import { percentile, startBenchService } from "./service.ts";

/**
 * Read calls against mailboxes of growing size (issue 17): each mailbox is filled straight in the database
 * (bench/list-fixtures.ts), then every call goes through the HTTP API of a service process with an agent key
 * bound to the mailbox (the admin key where an agent could not see the mail), one at a time, and is timed from request to the last byte of the answer.
 * The goal: the largest mailbox costs at most twice what the smallest does.
 */
export async function benchListScale(opts: { databaseUrl: string; sizes: number[]; calls: number }) {
  // As users run it: without the test servers' check of every answer against its schema.
  const b = await startBenchService(opts.databaseUrl, { POSTBOX_VALIDATE_RESPONSES: "0" });
  const db = new pg.Client({ connectionString: b.databaseUrl! });
  await db.connect();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl });
    const filled: { name: string; box: FilledMailbox }[] = [];
    for (const size of opts.sizes) {
      const name = `scale-${size}`;
      const mb = await pb.mailboxes.create({ name });
      const [row] = (await db.query("select id, account_id from mailboxes where id = $1", [mb.id])).rows;
      const started = Date.now();
      const box = await fillMailbox(db, row, size);
      console.log(
        `list-scale: filled ${name} with ${size} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      filled.push({ name, box });
    }
    // As autovacuum would have by then: fresh statistics and visibility map.
    const started = Date.now();
    for (const t of ["messages", "message_search", "threads"]) await db.query(`vacuum analyze ${t}`);
    console.log(`list-scale: vacuum analyze in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const key = (await pb.apiKeys.create({ role: "agent", mailbox_ids: filled.map((f) => f.box.mailboxId) }))
      .api_key;

    const get = (path: string, bearer = key) =>
      new Promise<{ ms: number; body: Record<string, unknown> }>((resolve, reject) => {
        const url = new URL(b.baseUrl);
        const t0 = process.hrtime.bigint();
        const req = request(
          { agent, host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${bearer}` } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const ms = Number(process.hrtime.bigint() - t0) / 1e6;
              const body = JSON.parse(Buffer.concat(chunks).toString());
              if (res.statusCode !== 200)
                reject(new Error(`${path}: ${res.statusCode} ${JSON.stringify(body).slice(0, 500)}`));
              else resolve({ ms, body });
            });
          },
        );
        req.on("error", reject);
        req.end();
      });

    const results: {
      name: string;
      size: number;
      figures: Map<string, number[]>;
      counts: Map<string, number>;
    }[] = [];
    for (const { name, box } of filled) {
      const base = `/v1/mailboxes/${box.mailboxId}`;
      // The cursor of page 40 (or of the last page of a smaller mailbox), found by walking the pages.
      let deep = `${base}/messages?limit=50`;
      let deepPage = 1;
      for (; deepPage < 40; deepPage++) {
        const { body } = await get(deep);
        if (!body.has_more) break;
        deep = `${base}/messages?limit=50&cursor=${body.next_cursor}`;
      }
      const head = (await db.query("select inbound_seq from mailboxes where id = $1", [box.mailboxId]))
        .rows[0].inbound_seq as number;
      // The newest arrival is an available inbound one in the fixture: a wait just before it answers at once.
      const [newest] = (
        await db.query(
          `select inbound_seq from messages where mailbox_id = $1 and state = 'available' and inbound_seq <= $2
           order by inbound_seq desc limit 1`,
          [box.mailboxId, head],
        )
      ).rows;
      const calls: [string, string, string?][] = [
        ["list first page", `${base}/messages?limit=50`],
        [`list page ${deepPage} (page 40, or the last)`, deep],
        ["unread=true", `${base}/messages?limit=50&unread=true`],
        // An agent is never shown held inbound mail: the admin key lists it.
        ["status=quarantined (admin key)", `${base}/messages?limit=50&status=quarantined`, b.key],
        ["starred=true", `${base}/messages?limit=50&starred=true`],
        ["label=invoices", `${base}/messages?limit=50&label=invoices`],
        ["has_attachment=true", `${base}/messages?limit=50&has_attachment=true`],
        ["sender=@domain", `${base}/messages?limit=50&sender=%40${box.rareDomain}`],
        ["thread list", `${base}/threads?limit=50`],
        ["search (rare word)", `${base}/messages?limit=50&search=${box.rareWord}`],
        ["search (word in every message)", `${base}/messages?limit=50&search=${box.commonWord}`],
        [
          "wait, cursor at the head",
          `${base}/messages/wait?timeout=1&since=${encodeCursor({ s: newest.inbound_seq - 1 })}`,
        ],
        ["wait, oldest unread", `${base}/messages/wait?timeout=1`],
      ];
      const figures = new Map<string, number[]>();
      const counts = new Map<string, number>();
      for (const [label, path, bearer] of calls) {
        for (let i = 0; i < 5; i++) await get(path, bearer); // warm-up
        const times: number[] = [];
        let items = 0;
        for (let i = 0; i < opts.calls; i++) {
          const { ms, body } = await get(path, bearer);
          times.push(ms);
          items = Array.isArray(body.messages)
            ? body.messages.length
            : Array.isArray(body.threads)
              ? body.threads.length
              : body.message
                ? 1
                : 0;
        }
        counts.set(label, items);
        times.sort((x, y) => x - y);
        figures.set(label, times);
      }
      results.push({ name, size: box.count, figures, counts });
    }

    const f = (x: number) => x.toFixed(1);
    const smallest = results[0]!;
    const largest = results[results.length - 1]!;
    console.log(
      `\nlist-scale [${b.label}], ${opts.calls} calls each, p50 / p99 in ms (items answered) (agent key, HTTP, 50 per page)`,
    );
    console.log(
      `| call | ${results.map((r) => `${r.size.toLocaleString("en")} messages`).join(" | ")} | p50 ${largest.size.toLocaleString("en")} / ${smallest.size.toLocaleString("en")} |`,
    );
    console.log(`|---|${results.map(() => "---|").join("")}---|`);
    const labels = [...smallest.figures.keys()];
    for (const [i, label] of labels.entries()) {
      const cells = results.map((r) => {
        const times = [...r.figures.values()][i]!;
        return `${f(percentile(times, 50))} / ${f(percentile(times, 99))} (${[...r.counts.values()][i]})`;
      });
      const p50 = (r: (typeof results)[number]) => percentile([...r.figures.values()][i]!, 50);
      console.log(`| ${label} | ${cells.join(" | ")} | ${(p50(largest) / p50(smallest)).toFixed(2)}× |`);
    }
  } finally {
    agent.destroy();
    await db.end();
    await b.stop();
  }
}
