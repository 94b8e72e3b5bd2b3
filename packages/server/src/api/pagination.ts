import { Type } from "typebox";

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};

/** Fetches limit + 1 rows to learn whether another page exists. */
export function page<Row, Out>(
  rows: Row[],
  limit: number,
  toWire: (r: Row) => Out,
  cursorOf: (r: Row) => string,
) {
  const hasMore = rows.length > limit;
  const slice = hasMore ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return { data: slice.map(toWire), has_more: hasMore, cursor: hasMore && last ? cursorOf(last) : null };
}
