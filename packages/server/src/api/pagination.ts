import { Type } from "typebox";

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};

/**
 * A list's wire envelope, the seed's: the items under the resource's own key (`{messages: […]}`), then
 * `has_more` and `next_cursor` (null on the last page). Clients pass `next_cursor` back as `cursor`.
 */
export type ListEnvelope<K extends string, Out> = { [k in K]: Out[] } & {
  has_more: boolean;
  next_cursor: string | null;
};

export function list<K extends string, Out>(
  key: K,
  items: Out[],
  more: { has_more: boolean; next_cursor: string | null } = { has_more: false, next_cursor: null },
): ListEnvelope<K, Out> {
  return { [key]: items, ...more } as ListEnvelope<K, Out>;
}

/** Fetches limit + 1 rows to learn whether another page exists. */
export function page<K extends string, Row, Out>(
  key: K,
  rows: Row[],
  limit: number,
  toWire: (r: Row) => Out,
  cursorOf: (r: Row) => string,
): ListEnvelope<K, Out> {
  const hasMore = rows.length > limit;
  const slice = hasMore ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return list(key, slice.map(toWire), {
    has_more: hasMore,
    next_cursor: hasMore && last ? cursorOf(last) : null,
  });
}
