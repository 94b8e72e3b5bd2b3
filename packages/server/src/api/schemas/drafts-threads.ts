import { type TSchema, Type } from "typebox";
import { SCAN_DECISIONS } from "../../domain/verdict.ts";
import { component, DeletedMark, listOf, Nullable, OneOf, Strings, Timestamp, Uuid } from "./common.ts";
import { MessageRef, MessageSummaryRef, ScanSummaryRef } from "./messages.ts";

// routes/drafts.ts draftToWire and the draft send answers; api/wire.ts threadToWire.

const draftFields = {
  id: Uuid,
  mailbox_id: Uuid,
  mailbox_name: Nullable(Type.String(), { description: "The mailbox's name." }),
  sender: Nullable(Type.String({ description: "The address it will be sent from." })),
  state: Type.Union(
    ["draft", "sending", "scheduled", "sent", "cancelled"].map((s) => Type.Literal(s)),
    { description: "cancelled: its mailbox was deleted before it was sent." },
  ),
  to: Strings,
  cc: Strings,
  bcc: Strings,
  recipient: Type.String({ description: "The To addresses, comma-separated." }),
  subject: Type.String(),
  body: Type.Object({
    format: Type.Union([Type.Literal("text"), Type.Literal("html")]),
    content: Nullable(Type.String()),
    char_count: Type.Integer(),
    returned_char_count: Type.Integer(),
    truncated: Type.Boolean(),
    text: Nullable(Type.String()),
    html: Nullable(Type.String()),
  }),
  thread_id: Nullable(Uuid, { description: "The thread it continues, if any." }),
  in_reply_to: Nullable(Type.String({ description: "The Message-ID it answers, if any." })),
  in_reply_to_message_id: Nullable(Uuid, { description: "The id of the message it answers, if any." }),
  subaddress_instance_id: Nullable(Type.String({ description: "The sub-address instance its send names." })),
  subaddress_mode: Nullable(
    OneOf(["reply_to", "from", "none"], { description: "overrides the mailbox's default." }),
  ),
  send_at: Nullable(Timestamp),
  scan: ScanSummaryRef,
  worst_decision: Type.Union([...SCAN_DECISIONS, "review"].map((d) => Type.Literal(d))),
  message_id: Nullable(Uuid, { description: "The sent message, once sent." }),
  attachment_ids: Type.Array(Uuid, { description: "Upload handles its send will carry." }),
  attachments: Type.Array(
    Type.Object({
      upload_id: Uuid,
      filename: Type.String(),
      content_type: Type.String(),
      size: Type.Integer(),
      content_scan_status: Type.String({ description: "pending | clean | flagged | error" }),
    }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const DraftRef: TSchema = component(
  "Draft",
  Type.Object(draftFields, { description: "A draft, scanned at every write; sending rescans it." }),
);

export const DraftDeleted: TSchema = Type.Object(
  { ...draftFields, ...DeletedMark },
  { description: "The deleted draft (a scheduled one is unscheduled)." },
);

export const DraftList: TSchema = listOf("drafts", DraftRef, "The mailbox's unsent drafts, newest first.");

export const DraftQueued: TSchema = Type.Object(
  {
    draft_id: Uuid,
    status: Type.Union([Type.Literal("queued_for_dispatch"), Type.Literal("scheduled")]),
    send_at: Type.Optional(Timestamp),
  },
  {
    description:
      "`Prefer: respond-async`: `{draft_id, status: queued_for_dispatch}`; a future `send_at`: `{draft_id, status: scheduled, send_at}`.",
  },
);

const threadFields = {
  id: Uuid,
  mailbox_id: Uuid,
  subject: Type.String(),
  participants: Strings,
  message_count: Type.Integer(),
  unread_count: Type.Integer({ description: "Inbound messages the caller sees that nobody marked read." }),
  starred: Type.Boolean({ description: "Whether any message of the thread the caller sees is starred." }),
  first_message_at: Timestamp,
  last_message_at: Timestamp,
  created_at: Timestamp,
};

export const ThreadSummaryRef: TSchema = component(
  "ThreadSummary",
  Type.Object(threadFields, { description: "A thread as lists show it; counts cover what the caller sees." }),
);

export const ThreadRef: TSchema = component(
  "Thread",
  Type.Object(
    {
      ...threadFields,
      mailbox_name: Nullable(Type.String()),
      messages: Type.Array(Type.Union([MessageRef, MessageSummaryRef]), {
        description: "Oldest first: Message objects, or MessageSummary objects with `view=summary`.",
      }),
    },
    { description: "A thread with its messages." },
  ),
);

export const ThreadList: TSchema = listOf(
  "threads",
  ThreadSummaryRef,
  "Threads, most recent activity first.",
);

export const ThreadMarkedRead: TSchema = Type.Object(
  { thread_id: Uuid, marked_count: Type.Integer() },
  { description: "How many messages the caller sees were marked read." },
);

export const ThreadStarred: TSchema = Type.Object(
  { thread_id: Uuid, starred: Type.Boolean(), updated_count: Type.Integer() },
  { description: "How many messages changed." },
);
