import type { Sql } from "./db.ts";

export interface EventRow {
  id: string;
  account_id: string;
  mailbox_id: string | null;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
  /** The mailbox's pii_mode, for redaction on the way out. */
  pii_mode: "passthrough" | "redacted" | null;
}

/** A position in the feed: the id of the last event handed out. */
export interface FeedPosition {
  id: string;
}

export interface FeedFilter {
  accountId: string;
  types: string[] | null;
  /** Only these mailboxes' events; null = every mailbox. */
  mailboxIds: string[] | null;
  /** Whether events without a mailbox (webhook.*) are included. */
  accountLevel: boolean;
  /** Whether events about mail kept from agents are included (admin readers only). */
  adminOnly: boolean;
}

function where(f: FeedFilter, params: unknown[]): string {
  const parts = ["e.account_id = $1"];
  params.push(f.accountId);
  if (f.types) {
    params.push(f.types);
    parts.push(`e.type = any ($${params.length}::text[])`);
  }
  const scope: string[] = [];
  if (f.mailboxIds) {
    params.push(f.mailboxIds);
    scope.push(`e.mailbox_id = any ($${params.length}::uuid[])`);
  } else scope.push("e.mailbox_id is not null");
  if (f.accountLevel) scope.push("e.mailbox_id is null");
  parts.push(`(${scope.join(" or ")})`);
  if (!f.adminOnly) parts.push("not e.admin_only");
  return parts.join(" and ");
}

/** Events after `after` (from the start when null), in feed order. */
export async function readFeed(
  sql: Sql,
  f: FeedFilter,
  after: FeedPosition | null,
  limit: number,
): Promise<EventRow[]> {
  const params: unknown[] = [];
  let cond = where(f, params);
  if (after) {
    params.push(after.id);
    cond += ` and e.id > $${params.length}::bigint`;
  }
  params.push(limit);
  return sql.query<EventRow>(
    `select e.id::text, e.account_id, e.mailbox_id, e.type, e.data, e.created_at, mb.pii_mode
     from events e left join mailboxes mb on mb.id = e.mailbox_id
     where ${cond} order by e.id limit $${params.length}`,
    params,
  );
}

/** The position of the newest event a reader may see now: a stream that starts "now" starts here. */
export async function feedHead(sql: Sql, accountId: string): Promise<FeedPosition> {
  const [row] = await sql.query<FeedPosition>(
    "select e.id::text from events e where e.account_id = $1 order by e.id desc limit 1",
    [accountId],
  );
  return row ?? { id: "0" };
}
