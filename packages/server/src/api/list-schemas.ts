import { Type } from "typebox";
import { list, page } from "./pagination.ts";

// Request schemas shared by the address-list routes (suppressions, the two mailbox allowlists, the inbound
// blocklist) and the answer of their blocked-attempt logs.

/** A page of an address list: sorted by address, `cursor` the previous page's `next_cursor`. */
export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 320 })),
});

/** Up to 1000 entries at once, each an address or a bare domain. */
export const BulkBody = Type.Object(
  { emails: Type.Array(Type.String({ maxLength: 320 }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
export const EntryBody = Type.Object(
  { email: Type.String({ maxLength: 320 }) },
  { additionalProperties: false },
);
export const EntryParams = Type.Object({
  id: Type.String({ maxLength: 100 }),
  email: Type.String({ maxLength: 320 }),
});
export const ForceEmptyQuery = Type.Object({ force_empty: Type.Optional(Type.Boolean()) });

export const BULK_DESCRIPTION =
  'Answers `{added: [the new entries], already_existed: [entries], invalid: [{email, reason: "invalid_format", ' +
  "detail}], counts: {added, already_existed, invalid, total}}`; invalid entries are skipped, the rest added.";

/** A blocked-attempts log's query: grouped (the default) or one by one, paged. */
export const AttemptsQuery = Type.Object({
  aggregate: Type.Optional(Type.Boolean({ default: true })),
  within_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 20 })),
});

/** A blocked-attempts log on the wire: groups (no further page), or a page of attempts with `next_cursor`. */
export function attemptsAnswer<G, R, OG, OR>(
  r: { aggregate: true; groups: G[] } | { aggregate: false; rows: R[] },
  limit: number,
  group: (g: G) => OG,
  row: (r: R) => OR,
  idOf: (r: R) => string,
) {
  if (r.aggregate) return list("attempts", r.groups.map(group));
  return page("attempts", r.rows, limit, row, idOf);
}
