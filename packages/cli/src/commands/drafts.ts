import type { Draft } from "@postbox/sdk";
import { command } from "../command.ts";
import type { Context } from "../context.ts";
import { UsageError } from "../errors.ts";
import { BODY_OPTIONS, bodyOf, PAGE_OPTIONS, printPage, table, when } from "../values.ts";
import { sendResultText } from "./messages.ts";

function draftText(d: Draft): string {
  const lines = [
    `Draft ${d.id} (${d.state}${d.send_at ? `, send at ${d.send_at}` : ""})`,
    `To:      ${d.to.join(", ") || "-"}`,
    ...(d.cc.length > 0 ? [`Cc:      ${d.cc.join(", ")}`] : []),
    ...(d.bcc.length > 0 ? [`Bcc:     ${d.bcc.join(", ")}`] : []),
    `Subject: ${d.subject}`,
    `Scan:    ${d.scan.verdict} (worst decision: ${d.worst_decision})`,
    ...d.scan.findings.map((f) => `  ${f.category}: ${f.decision}${f.reason ? ` — ${f.reason}` : ""}`),
  ];
  return `${lines.join("\n")}\n\n${d.body.text ?? ""}`;
}

const FIELDS = {
  to: { type: "string", multiple: true, value: "address", help: "a recipient (repeat for more)" },
  cc: { type: "string", multiple: true, value: "address", help: "a copy recipient" },
  bcc: { type: "string", multiple: true, value: "address", help: "a blind copy recipient" },
  subject: { type: "string", value: "text", help: "the subject" },
  ...BODY_OPTIONS,
  "send-at": { type: "string", value: "iso time", help: "sending the draft schedules it for then" },
} as const;

async function fieldsOf(
  ctx: Context,
  v: {
    to?: string[];
    cc?: string[];
    bcc?: string[];
    subject?: string;
    body?: string;
    "body-file"?: string;
    html?: string;
    "send-at"?: string;
  },
) {
  return {
    to: v.to,
    cc: v.cc,
    bcc: v.bcc,
    subject: v.subject,
    body: await bodyOf(ctx, v),
    html: v.html,
    send_at: v["send-at"] === "" ? null : v["send-at"],
  };
}

export const draftCommands = [
  command({
    path: "drafts create",
    summary: "write a draft (scanned now; sent later with drafts send)",
    options: { from: { type: "string", value: "mailbox", help: "the mailbox writing it" }, ...FIELDS },
    run: async (ctx, { values: v }) => {
      if (!v.from) throw new UsageError("--from is required");
      const d = await ctx.client().drafts.create({ from_mailbox: v.from, ...(await fieldsOf(ctx, v)) });
      ctx.print(d, () => draftText(d));
    },
  }),
  command({
    path: "drafts list",
    args: "<mailbox>",
    summary: "a mailbox's unsent drafts, newest first",
    options: PAGE_OPTIONS,
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      await printPage(
        ctx,
        v,
        100,
        (q) => ctx.client().drafts.list(mailbox!, q),
        (items) =>
          table(
            items.map((d) => [
              when(d.updated_at),
              d.state,
              d.to.join(", ") || "-",
              d.subject || "(no subject)",
              d.id,
            ]),
          ),
        "no drafts",
      );
    },
  }),
  command({
    path: "drafts get",
    args: "<draft id>",
    summary: "one draft with its scan",
    run: async (ctx, { positionals: [id] }) => {
      const d = await ctx.client().drafts.get(id!);
      ctx.print(d, () => draftText(d));
    },
  }),
  command({
    path: "drafts update",
    args: "<draft id>",
    summary: "edit a draft (rescanned); only the options given change",
    help: "--send-at '' removes the schedule.",
    options: FIELDS,
    run: async (ctx, { values: v, positionals: [id] }) => {
      const fields = Object.fromEntries(
        Object.entries(await fieldsOf(ctx, v)).filter(([, x]) => x !== undefined),
      ) as Awaited<ReturnType<typeof fieldsOf>>;
      if (Object.keys(fields).length === 0)
        throw new UsageError("nothing to change: give at least one option");
      const d = await ctx.client().drafts.update(id!, fields);
      ctx.print(d, () => draftText(d));
    },
  }),
  command({
    path: "drafts send",
    args: "<draft id>",
    summary: "send a draft (rescanned against the current policy first)",
    help: "A rescan that would quarantine or block refuses with DRAFT_REJECTED_BY_RESCAN (exit 1); the draft stays.",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().drafts.send(id!);
      ctx.print(r, () =>
        r.status === "scheduled" && "send_at" in r
          ? `scheduled: draft ${r.draft_id} goes out at ${r.send_at}`
          : sendResultText(r as Exclude<typeof r, { status: "scheduled" }>),
      );
    },
  }),
  command({
    path: "drafts delete",
    args: "<draft id>",
    summary: "delete a draft (a scheduled one is unscheduled)",
    run: async (ctx, { positionals: [id] }) => {
      const d = await ctx.client().drafts.delete(id!);
      ctx.print(d, () => `deleted: ${d.id}`);
    },
  }),
];
