import type { QueueBacklog } from "../platform/metrics.ts";
import type { Sql } from "./db.ts";

/** Rows a metrics scrape reads at most per queue: past it the depth reads as this number. */
export const BACKLOG_COUNT_CAP = 100_000;

/**
 * The inbound and delivery queues for the metrics, each read through its partial index (messages_pending,
 * deliveries_due) and bounded: a backlog of millions costs a scrape no more than one of BACKLOG_COUNT_CAP.
 * Queued deliveries have no index by age, so their oldest is looked for among the first BACKLOG_COUNT_CAP.
 */
export async function queueBacklog(sql: Sql): Promise<QueueBacklog> {
  const [row] = await sql.query<{
    inbound: number;
    inbound_oldest: number | null;
    deliveries: number;
    deliveries_oldest: number | null;
  }>(
    `select
       (select count(*) from (select 1 from messages where state = 'received' limit $1) q)::int as inbound,
       (select extract(epoch from now() - created_at) from messages where state = 'received'
        order by arrival limit 1)::float8 as inbound_oldest,
       (select count(*) from (select 1 from deliveries where state = 'queued' limit $1) q)::int as deliveries,
       (select extract(epoch from now() - min(created_at))
        from (select created_at from deliveries where state = 'queued' limit $1) q)::float8 as deliveries_oldest`,
    [BACKLOG_COUNT_CAP],
  );
  return {
    inbound: row!.inbound,
    inboundOldestSeconds: row!.inbound_oldest === null ? null : Math.max(0, row!.inbound_oldest),
    deliveries: row!.deliveries,
    deliveriesOldestSeconds: row!.deliveries_oldest === null ? null : Math.max(0, row!.deliveries_oldest),
  };
}
