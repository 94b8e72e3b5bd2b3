import { decodeCursor, invalidCursor } from "../domain/cursor.ts";
import { validation } from "../domain/errors.ts";
import { canonicalEventType, EVENT_TYPES } from "../domain/event-catalog.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import type { Sql } from "../store/db.ts";
import { type EventRow, type FeedFilter, type FeedPosition, feedHead, readFeed } from "../store/events.ts";
import { mailboxFor } from "../tenancy/access.ts";

export type { EventRow, FeedPosition };

/** Which events a reader asks for: a comma-separated type list and one mailbox (UUID or name), both optional. */
export interface FeedQuery {
  types?: string;
  mailboxId?: string;
}

/** A feed position from its cursor text; `what` names the parameter in the error. */
export function parsePosition(text: string, what: string): FeedPosition {
  const c = decodeCursor(text, { i: "string" }, what);
  // An event id: a bigint, so at most 18 digits keep it in range.
  if (!/^\d{1,18}$/.test(c.i)) throw invalidCursor(what);
  return { id: c.i };
}

/** Admin keys see the whole account; agent keys see the events of their mailboxes only. */
async function filterFor(sql: Sql, p: Principal, q: FeedQuery): Promise<FeedFilter> {
  requireRole(p, "admin", "agent");
  let types: string[] | null = null;
  if (q.types) {
    const named = q.types
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const unknown = named.filter((t) => !canonicalEventType(t));
    if (unknown.length)
      throw validation(`unknown event type ${unknown.join(", ")}; known types: ${EVENT_TYPES.join(", ")}`);
    types = named.map((t) => canonicalEventType(t)!);
  }
  if (q.mailboxId) {
    const mb = await mailboxFor(sql, p, q.mailboxId);
    return {
      accountId: p.accountId,
      types,
      mailboxIds: [mb.id],
      accountLevel: false,
      adminOnly: p.role === "admin",
    };
  }
  return {
    accountId: p.accountId,
    types,
    mailboxIds: p.role === "admin" ? null : p.mailboxIds,
    accountLevel: p.role === "admin",
    adminOnly: p.role === "admin",
  };
}

/** Events in commit order after the `after` cursor (from the oldest without one): `limit + 1` rows. */
export async function replayEvents(
  deps: { db: Sql },
  p: Principal,
  q: FeedQuery & { after?: string; limit: number },
): Promise<EventRow[]> {
  const filter = await filterFor(deps.db, p, q);
  const after = q.after ? parsePosition(q.after, "after") : null;
  return readFeed(deps.db, filter, after, q.limit + 1);
}

/** Where a live feed starts: after the resume cursor, or at the newest event now. */
export interface FeedFollow {
  filter: FeedFilter;
  position: FeedPosition;
}

export async function startFollowingEvents(
  deps: { db: Sql },
  p: Principal,
  q: FeedQuery & { resume?: string },
): Promise<FeedFollow> {
  const filter = await filterFor(deps.db, p, q);
  const position = q.resume ? parsePosition(q.resume, "Last-Event-ID") : await feedHead(deps.db, p.accountId);
  return { filter, position };
}

/** The next events of a followed feed after `position`, at most `limit`. */
export async function nextFollowedEvents(
  deps: { db: Sql },
  follow: FeedFollow,
  limit: number,
): Promise<EventRow[]> {
  return readFeed(deps.db, follow.filter, follow.position, limit);
}
