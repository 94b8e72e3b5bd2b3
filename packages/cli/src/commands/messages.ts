import type { Message, MessageState, MessageSummary, SendResult } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { BODY_OPTIONS, bodyOf, oneOf, PAGE_OPTIONS, printPage, table, when } from "../values.ts";

const STATES: readonly MessageState[] = [
  "received",
  "scanning",
  "available",
  "quarantined",
  "pending_review",
  "blocked",
  "dispatching",
  "delivered",
  "bounced",
  "failed",
  "cancelled",
  "deleted",
];

/** One row per message: when, direction, state, sender, subject, id. */
export function messageRows(items: (Message | MessageSummary)[]): string {
  return table(
    items.map((m) => [
      when(m.created_at),
      m.direction === "inbound" ? "in " : "out",
      `${m.starred ? "*" : " "}${m.direction === "inbound" && !m.read_at ? "U" : " "}`,
      m.state,
      m.direction === "inbound" ? (m.sender ?? "-") : `to ${m.to.join(", ")}`,
      m.subject ?? "(no subject)",
      m.id,
    ]),
  );
}

/** A message for a person: its headers, then its text. */
export function messageText(m: Message): string {
  const head = [
    `Id:      ${m.id}`,
    `State:   ${m.state}${m.starred ? " (starred)" : ""}${m.direction === "inbound" ? (m.read_at ? "" : " (unread)") : ""}`,
    `Date:    ${m.created_at}`,
    `From:    ${m.sender_name ? `${m.sender_name} <${m.sender}>` : (m.sender ?? "-")}`,
    `To:      ${m.to.join(", ") || "-"}`,
    ...(m.cc.length > 0 ? [`Cc:      ${m.cc.join(", ")}`] : []),
    `Subject: ${m.subject ?? ""}`,
    `Thread:  ${m.thread_id ?? "-"}`,
  ];
  if (m.attachments.length > 0)
    head.push(
      `Attachments: ${m.attachments.map((a) => `${a.filename ?? "(unnamed)"} (${a.content_type}, ${a.size} bytes)`).join("; ")}`,
    );
  if (m.agent_safety_context?.untrusted_content) head.push(`Safety:  ${m.agent_safety_context.guidance}`);
  for (const c of m.verification?.codes ?? []) head.push(`Code:    ${c.value}`);
  for (const l of m.verification?.links ?? []) head.push(`Link:    ${l.url} (${l.kind})`);
  const body = m.body.text ?? m.body.content ?? "";
  return `${head.join("\n")}\n\n${body}${m.body.truncated ? "\n[truncated]" : ""}`;
}

/** A send's outcome for a person: held and quarantined sends say why. */
export function sendResultText(res: SendResult): string {
  const lines = [`${res.status}: message ${res.message_id} (thread ${res.thread_id})`];
  for (const r of res.hold_context?.summary_reasons ?? []) lines.push(`  held: ${r}`);
  if (res.status !== "sent")
    for (const f of res.scan.findings)
      lines.push(`  ${f.category}: ${f.decision}${f.reason ? ` — ${f.reason}` : ""}`);
  return lines.join("\n");
}

/** The seed's sub-address options of sends and replies (rly's --instance and --mode). */
const SUBADDRESS_OPTIONS = {
  instance: {
    type: "string",
    value: "id",
    help: "a sub-address instance: replies to the plus-address arrive carrying it",
  },
  mode: {
    type: "string",
    value: "reply_to|from|none",
    help: "where the plus-address goes (default: the mailbox's)",
  },
} as const;

/** The sub-address fields of a send from --instance and --mode. */
function subaddressOf(v: { instance?: string; mode?: string }) {
  if (v.mode !== undefined && !["reply_to", "from", "none"].includes(v.mode))
    throw new UsageError("--mode is one of reply_to, from, none");
  return {
    subaddress_instance_id: v.instance,
    subaddress_mode: v.mode as "reply_to" | "from" | "none" | undefined,
  };
}

const SEND_OPTIONS = {
  from: { type: "string", value: "mailbox", help: "the sending mailbox (name or id)" },
  to: { type: "string", multiple: true, value: "address", help: "a recipient (repeat for more)" },
  cc: { type: "string", multiple: true, value: "address", help: "a copy recipient (repeat for more)" },
  bcc: { type: "string", multiple: true, value: "address", help: "a blind copy recipient (repeat for more)" },
  subject: { type: "string", value: "text", help: "the subject" },
  ...BODY_OPTIONS,
  ...SUBADDRESS_OPTIONS,
  "attachment-id": {
    type: "string",
    multiple: true,
    value: "upload id",
    help: "attach a file staged with `attachments upload` (repeat for more)",
  },
  "idempotency-key": { type: "string", value: "key", help: "the same key never sends twice" },
  strict: {
    type: "boolean",
    help: "a send that does not go out (held, blocked) is an error (exit 1) instead of an outcome",
  },
} as const;

export const messageCommands = [
  command({
    path: "send",
    aliases: ["messages send"],
    summary: "send a new message",
    help:
      "Prints the outcome: sent, pending_review (held for a human), quarantined or blocked. Each is exit 0:\n" +
      "the server decided. With --strict, anything but sent is an error (exit 1).",
    options: SEND_OPTIONS,
    run: async (ctx, { values: v }) => {
      if (!v.from || !v.to?.length || v.subject === undefined)
        throw new UsageError("--from, --to and --subject are required");
      const res = await ctx.client().messages.send({
        from_mailbox: v.from,
        to: v.to,
        cc: v.cc,
        bcc: v.bcc,
        subject: v.subject,
        body: (await bodyOf(ctx, v)) ?? "",
        html: v.html,
        ...subaddressOf(v),
        attachment_ids: v["attachment-id"],
        idempotencyKey: v["idempotency-key"],
        strictOutcome: v.strict,
      });
      ctx.print(res, () => sendResultText(res));
    },
  }),
  command({
    path: "messages list",
    args: "<mailbox>",
    summary: "a mailbox's messages, newest first",
    options: {
      ...PAGE_OPTIONS,
      direction: { type: "string", value: "inbound|outbound", help: "only this direction" },
      state: { type: "string", value: "state", help: `only this state (${STATES.join(", ")})` },
      unread: { type: "boolean", help: "only unread inbound messages" },
      starred: { type: "boolean", help: "only starred messages" },
      "has-attachment": { type: "boolean", help: "only messages with attachments" },
      sender: { type: "string", value: "address or @domain", help: "only from this sender" },
      label: { type: "string", value: "label", help: "only messages an inbound rule labelled so" },
      thread: { type: "string", value: "thread id", help: "only this thread's messages" },
      since: { type: "string", value: "iso time", help: "created at or after" },
      until: { type: "string", value: "iso time", help: "created at or before" },
      verbose: { type: "boolean", help: "full messages (with bodies) instead of summaries" },
    },
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      const filters = {
        direction: oneOf(v.direction, "direction", ["inbound", "outbound"] as const),
        state: oneOf(v.state, "state", STATES),
        unread: v.unread,
        starred: v.starred,
        has_attachment: v["has-attachment"],
        sender: v.sender,
        label: v.label,
        thread_id: v.thread,
        since: v.since,
        until: v.until,
        view: v.verbose ? ("verbose" as const) : undefined,
      };
      await printPage(
        ctx,
        v,
        100,
        (q) => ctx.client().messages.list(mailbox!, { ...filters, ...q }),
        messageRows,
        "no messages",
      );
    },
  }),
  command({
    path: "messages read",
    aliases: ["messages get"],
    args: "<message id>",
    summary: "one message with its body (reading does not mark it read)",
    options: {
      summary: { type: "boolean", help: "the summary (body_preview) instead of the full message" },
      raw: { type: "boolean", help: "the exact stored MIME bytes" },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      if (v.raw && v.summary) throw new UsageError("give --raw or --summary, not both");
      if (v.raw) {
        ctx.io.stdout.write(await ctx.client().messages.getRaw(id!));
        return;
      }
      if (v.summary) {
        const m = await ctx.client().messages.get(id!, { view: "summary" });
        ctx.print(m, () => `${messageRows([m])}\n\n${m.body_preview ?? ""}`);
        return;
      }
      const m = await ctx.client().messages.get(id!);
      ctx.print(m, () => messageText(m));
    },
  }),
  command({
    path: "messages reply",
    args: "<message id>",
    summary: "reply in the message's thread (to its Reply-To or sender)",
    options: {
      ...BODY_OPTIONS,
      "reply-all": { type: "boolean", help: "also to the message's To and Cc" },
      ...SUBADDRESS_OPTIONS,
      "attachment-id": {
        type: "string",
        multiple: true,
        value: "upload id",
        help: "attach a file staged with `attachments upload` (repeat for more)",
      },
      "idempotency-key": { type: "string", value: "key", help: "the same key never sends twice" },
      strict: { type: "boolean", help: "a reply that does not go out is an error (exit 1)" },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      const body = await bodyOf(ctx, v);
      if (body === undefined) throw new UsageError("--body or --body-file is required");
      const res = await ctx.client().messages.reply(id!, {
        body,
        html: v.html,
        reply_all: v["reply-all"],
        ...subaddressOf(v),
        attachment_ids: v["attachment-id"],
        idempotencyKey: v["idempotency-key"],
        strictOutcome: v.strict,
      });
      ctx.print(res, () => sendResultText(res));
    },
  }),
  command({
    path: "messages outcome",
    args: "<idempotency key>",
    summary: "what a send made with this Idempotency-Key answered, without sending again",
    run: async (ctx, { positionals: [key] }) => {
      const res = await ctx.client().messages.outcomeOf(key!);
      ctx.print(res, () => sendResultText(res));
    },
  }),
  command({
    path: "messages mark-read",
    args: "<message id>",
    summary: "mark a message read",
    run: async (ctx, { positionals: [id] }) => {
      const m = await ctx.client().messages.markRead(id!);
      ctx.print(m, () => `read: ${m.id}`);
    },
  }),
  command({
    path: "messages star",
    args: "<message id>",
    summary: "star a message",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().messages.star(id!, true);
      ctx.print(r, () => `starred: ${r.message_id}`);
    },
  }),
  command({
    path: "messages unstar",
    args: "<message id>",
    summary: "remove a message's star",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().messages.star(id!, false);
      ctx.print(r, () => `unstarred: ${r.message_id}`);
    },
  }),
  command({
    path: "messages delete",
    args: "<message id>",
    summary: "delete a settled message (admin): it leaves every list and thread",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().messages.delete(id!);
      ctx.print(r, () => `deleted: ${r.id}`);
    },
  }),
  command({
    path: "threads list",
    args: "<mailbox>",
    summary: "a mailbox's threads, most recent activity first",
    options: PAGE_OPTIONS,
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      await printPage(
        ctx,
        v,
        100,
        (q) => ctx.client().threads.list(mailbox!, q),
        (items) =>
          table(
            items.map((t) => [
              when(t.last_message_at),
              `${t.message_count} msg${t.unread_count ? `, ${t.unread_count} unread` : ""}`,
              t.starred ? "*" : " ",
              t.subject,
              t.id,
            ]),
          ),
        "no threads",
      );
    },
  }),
  command({
    path: "threads read",
    args: "<thread id>",
    summary: "a thread with its messages, oldest first",
    run: async (ctx, { positionals: [id] }) => {
      const t = await ctx.client().threads.get(id!);
      ctx.print(t, () =>
        [`Thread ${t.id}: ${t.subject} (${t.message_count} messages)`, ...t.messages.map(messageText)].join(
          `\n\n${"-".repeat(60)}\n`,
        ),
      );
    },
  }),
];
