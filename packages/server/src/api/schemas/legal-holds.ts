import { type TSchema, Type } from "typebox";
import { component, listOf, Nullable, Timestamp, Uuid } from "./common.ts";

// routes/legal-holds.ts and routes/account-export.ts.

const ByType = Type.String({ description: "Who: admin (an admin key of the account) or system." });

export const LegalHoldRef: TSchema = component(
  "LegalHold",
  Type.Object(
    {
      id: Uuid,
      scope: Type.Union([Type.Literal("account"), Type.Literal("mailbox")]),
      mailbox_id: Nullable(Uuid, {
        description: "The held mailbox (scope mailbox); null for an account hold.",
      }),
      case_reference: Nullable(Type.String()),
      reason: Type.String(),
      status: Type.Union([Type.Literal("active"), Type.Literal("released")]),
      applied_at: Timestamp,
      applied_by_type: ByType,
      applied_by_id: Nullable(Type.String({ description: "The API key that applied it." })),
      released_at: Nullable(Timestamp),
      released_by_type: Nullable(ByType),
      released_by_id: Nullable(Type.String()),
      release_reason: Nullable(Type.String()),
    },
    {
      description:
        "A legal hold: while active, the mail it covers is kept from retention, message and mailbox deletion and " +
        "account deletion.",
    },
  ),
);

export const LegalHoldList: TSchema = listOf(
  "legal_holds",
  LegalHoldRef,
  "Newest first; active holds only unless `include_released`.",
);

export const AccountExport: TSchema = {
  description:
    "The account's archive, streamed: `format=zip` (default for `Accept: application/zip`) a zip of `.eml` files " +
    "and JSON; `format=json` (the default otherwise, what the seed's clients read) one JSON document with each " +
    "raw message base64-encoded. Layout in docs/operations.md.",
  content: {
    "application/zip": { schema: { type: "string", contentMediaType: "application/zip" } },
    "application/json": {
      schema: {
        type: "object",
        properties: {
          format: { type: "string" },
          exported_at: { type: "string", format: "date-time" },
          account: { type: "object" },
          legal_holds: { type: "array", items: { type: "object" } },
          mailboxes: { type: "array", items: { type: "object" } },
          messages: { type: "array", items: { type: "object" } },
          audit_log: { type: "array", items: { type: "object" } },
        },
      },
    },
  },
} as unknown as TSchema;
