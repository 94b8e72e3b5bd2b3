import { type TSchema, Type } from "typebox";

/**
 * Response schemas: documentation and the test contract (api/response-validation.ts checks every answer against
 * them when POSTBOX_VALIDATE_RESPONSES=1), never a serializer (api/server.ts serializes with JSON.stringify). They
 * never set additionalProperties: false, so a field added to the wire keeps older schemas valid.
 *
 * Named objects are registered with `component(name, schema)`: they land in the OpenAPI document's
 * `components.schemas` under that name, and routes refer to them with the returned `Type.Ref`.
 */
const registry = new Map<string, TSchema>();

export function component(id: string, schema: TSchema): TSchema {
  if (registry.has(id)) throw new Error(`schema component ${id} is registered twice`);
  registry.set(id, { ...schema, $id: id });
  return Type.Ref(id);
}

/** Every named schema, for fastify's addSchema (and so the OpenAPI document) and the response validator. */
export function sharedSchemas(): TSchema[] {
  return [...registry.values()];
}

export const Nullable = <T extends TSchema>(t: T, options: { description?: string } = {}) =>
  Type.Union([t, Type.Null()], options);

/** A string that is one of a fixed set of names (an enum in the OpenAPI document). */
export const OneOf = (values: readonly string[], options: { description?: string } = {}): TSchema =>
  Type.Enum([...values], options);

/** An ISO 8601 timestamp as the API writes them (`2026-11-22T10:00:00.000Z`). */
export const Timestamp: TSchema = Type.String({ format: "date-time" });
export const Uuid: TSchema = Type.String({ format: "uuid" });
export const Strings: TSchema = Type.Array(Type.String());

/** The seed's list envelope: the items under the resource's own key, `has_more`, `next_cursor`. */
export function listOf(
  key: string,
  item: TSchema,
  description: string,
  extra: Record<string, TSchema> = {},
): TSchema {
  return Type.Object(
    {
      [key]: Type.Array(item),
      has_more: Type.Boolean({ description: "Whether another page follows." }),
      next_cursor: Nullable(Type.String(), {
        description: "Pass back as `cursor` for the next page; null at the end.",
      }),
      ...extra,
    },
    { description },
  );
}

/** What a deleting route adds to the deleted object: `status: "deleted"` and `deleted: true`. */
export const DeletedMark = {
  status: Type.Literal("deleted"),
  deleted: Type.Literal(true),
};

/** A response schema with the description the OpenAPI document shows for that status. */
export function described(schema: TSchema, description: string): TSchema {
  return { ...schema, description };
}

/** A request body schema with examples (the OpenAPI document shows them; docs/api.md builds its curl from the first). */
export function withExamples<T extends TSchema>(schema: T, ...examples: unknown[]): T {
  return { ...schema, examples };
}

/**
 * A request body the route reads as raw bytes: documented by its schema, checked by its use-case. The body
 * validator lets schemas marked `x-raw-body` through (api/server.ts).
 */
export const RawMimeBody: TSchema = {
  type: "string",
  "x-raw-body": true,
  contentMediaType: "message/rfc822",
  description: "The raw message (RFC 5322), byte for byte.",
  examples: [
    "From: alice@partner.example\r\nTo: support@mail.example.com\r\nSubject: Hello\r\n\r\nHi there.\r\n",
  ],
} as unknown as TSchema;

/** Request headers the send routes read (documented as header parameters; their use-cases check them). */
export const IdempotencyKeyHeader = Type.Optional(
  Type.String({
    description:
      "Same key, same answer: a send repeated with it returns the first result and sends nothing (1–255 characters).",
  }),
);
export const PreferStrictHeader = Type.Optional(
  Type.String({
    description:
      "`outcome=strict`: a send that did not go out answers non-2xx (409 EMAIL_EFFECT_HELD, 422 EMAIL_EFFECT_BLOCKED).",
  }),
);
