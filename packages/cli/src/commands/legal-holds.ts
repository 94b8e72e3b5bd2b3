import { chmod, open } from "node:fs/promises";
import type { LegalHold } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { int, table } from "../values.ts";

const holdText = (h: LegalHold) =>
  [
    `legal hold ${h.id} (${h.status})`,
    `  scope:   ${h.scope}${h.mailbox_id ? ` (mailbox ${h.mailbox_id})` : ""}`,
    `  case:    ${h.case_reference ?? "-"}`,
    `  reason:  ${h.reason}`,
    `  applied: ${h.applied_at} by ${h.applied_by_type}`,
    ...(h.released_at
      ? [`  released: ${h.released_at} by ${h.released_by_type ?? "-"}: ${h.release_reason ?? ""}`]
      : []),
  ].join("\n");

/** Legal holds, and the account export they go with (admin keys). The seed's CLI names them the same way. */
export const legalHoldCommands = [
  command({
    path: "legal-holds apply",
    aliases: ["legal-holds create", "legal-hold apply", "legal-hold create"],
    summary: "keep the account's or a mailbox's mail from retention and deletion (admin)",
    options: {
      scope: { type: "string", value: "account|mailbox", help: "what the hold covers (default account)" },
      mailbox: { type: "string", value: "mailbox", help: "the mailbox, by name or id (scope mailbox)" },
      reason: { type: "string", value: "text", help: "why (required)" },
      case: { type: "string", value: "text", help: "a case reference (ticket, matter)" },
    },
    run: async (ctx, { values: v }) => {
      const scope = v.scope ?? (v.mailbox ? "mailbox" : "account");
      if (scope !== "account" && scope !== "mailbox")
        throw new UsageError("--scope must be account or mailbox");
      if (scope === "mailbox" && !v.mailbox)
        throw new UsageError("--mailbox is required with --scope mailbox");
      if (!v.reason) throw new UsageError("--reason is required");
      const hold = await ctx.client().legalHolds.apply({
        scope,
        reason: v.reason,
        mailbox_id: v.mailbox,
        case_reference: v.case,
      });
      ctx.print(hold, () => holdText(hold));
    },
  }),
  command({
    path: "legal-holds list",
    aliases: ["legal-hold list"],
    summary: "the account's active legal holds (admin)",
    options: {
      "include-released": { type: "boolean", help: "released holds too" },
      limit: { type: "string", value: "n", help: "holds (1-200, default 50)" },
    },
    run: async (ctx, { values: v }) => {
      const page = await ctx.client().legalHolds.list({
        include_released: v["include-released"],
        limit: int(v.limit, "limit", 1, 200),
      });
      ctx.print(page.data, () =>
        page.data.length > 0
          ? table(
              page.data.map((h) => [
                h.id,
                h.status,
                h.scope,
                h.mailbox_id ?? "-",
                h.case_reference ?? "-",
                h.applied_at,
              ]),
            )
          : "no legal holds",
      );
    },
  }),
  command({
    path: "legal-holds get",
    aliases: ["legal-hold get"],
    args: "<hold-id>",
    summary: "one legal hold (admin)",
    run: async (ctx, { positionals: [id] }) => {
      const hold = await ctx.client().legalHolds.get(id!);
      ctx.print(hold, () => holdText(hold));
    },
  }),
  command({
    path: "legal-holds release",
    aliases: ["legal-hold release"],
    args: "<hold-id>",
    summary: "release a legal hold; it stays on record (admin)",
    options: { reason: { type: "string", value: "text", help: "why (required)" } },
    run: async (ctx, { values: v, positionals: [id] }) => {
      if (!v.reason) throw new UsageError("--reason is required");
      const hold = await ctx.client().legalHolds.release(id!, v.reason);
      ctx.print(hold, () => holdText(hold));
    },
  }),
  command({
    path: "account export",
    aliases: ["accounts export"],
    summary: "the account's archive: every message as .eml, mailboxes, audit logs (admin)",
    help:
      "Streams the archive to --out (created with mode 0600: it holds every message) or to stdout.\n" +
      "--format zip (default) or json (one document, messages base64-encoded).",
    options: {
      out: { type: "string", value: "file", help: "write here instead of stdout" },
      format: { type: "string", value: "zip|json", help: "the archive's format (default zip)" },
    },
    run: async (ctx, { values: v }) => {
      const format = v.format ?? "zip";
      if (format !== "zip" && format !== "json") throw new UsageError("--format must be zip or json");
      const body = await ctx.client().accounts.export({ format });
      if (!v.out) {
        for await (const chunk of body) ctx.io.stdout.write(chunk);
        return;
      }
      const file = await open(v.out, "w", 0o600);
      let bytes = 0;
      try {
        // An existing file keeps its mode on open: the archive must not stay readable by others.
        await chmod(v.out, 0o600);
        for await (const chunk of body) {
          await file.write(chunk);
          bytes += chunk.length;
        }
      } finally {
        await file.close();
      }
      ctx.print(
        { written: v.out, bytes, format },
        () => `account export written to ${v.out} (${bytes} bytes)`,
      );
    },
  }),
];
