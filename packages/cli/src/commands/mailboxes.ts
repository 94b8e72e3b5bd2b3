import type { Mailbox, UpdateMailboxParams } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { csv, int, num, oneOf, table } from "../values.ts";

function mailboxText(m: Mailbox): string {
  return [
    `${m.address}  (id ${m.id})`,
    `  display name:      ${m.display_name ?? "-"}`,
    `  pii mode:          ${m.pii_mode}`,
    `  injection:         quarantine at ${m.injection_threshold}${m.injection_threshold_is_default ? " (default)" : ""}`,
    `  human review:      ${m.hitl_mode} (undecided holds expire after ${m.approval_expiry_hours} h)`,
    `  recipient policy:  ${m.recipient_policy}`,
    `  send quotas:       ${m.send_quotas.map((q) => `${q.limit} per ${q.window_seconds} s`).join(", ") || "none"}`,
  ].join("\n");
}

const HITL = ["disabled", "all_outbound", "risky_only"] as const;

export const mailboxCommands = [
  command({
    path: "mailboxes list",
    aliases: ["mailbox list"],
    summary: "every mailbox of the account (all pages)",
    run: async (ctx) => {
      const all: Mailbox[] = [];
      for await (const mb of ctx.client().mailboxes.list({ autoPaginate: true })) all.push(mb);
      ctx.print(all, () =>
        all.length > 0 ? table(all.map((m) => [m.id, m.address, m.display_name])) : "no mailboxes",
      );
    },
  }),
  command({
    path: "mailboxes create",
    aliases: ["mailbox create"],
    args: "<name>",
    summary: "a new mailbox: <name>@<domain>",
    options: {
      "display-name": { type: "string", value: "text", help: "the name shown in From" },
      domain: {
        type: "string",
        value: "domain",
        help: "a verified domain of the account (default: its default)",
      },
    },
    run: async (ctx, { values: v, positionals: [name] }) => {
      const mb = await ctx.client().mailboxes.create({
        name: name!,
        display_name: v["display-name"],
        domain: v.domain,
      });
      ctx.print(mb, () => `${mb.address}  (id ${mb.id})`);
    },
  }),
  command({
    path: "mailboxes get",
    aliases: ["mailbox get"],
    args: "<mailbox>",
    summary: "one mailbox and its settings (by name or id)",
    run: async (ctx, { positionals: [id] }) => {
      const mb = await ctx.client().mailboxes.get(id!);
      ctx.print(mb, () => mailboxText(mb));
    },
  }),
  command({
    path: "mailboxes update",
    aliases: ["mailbox update"],
    args: "<mailbox>",
    summary: "change a mailbox's settings (admin)",
    help:
      "Only the options given change. For settings without an option (PII redaction config, scanner policy),\n" +
      "pass the API's JSON body with --set <file or ->.",
    options: {
      "display-name": { type: "string", value: "text", help: "the name shown in From ('' removes it)" },
      "pii-mode": { type: "string", value: "passthrough|redacted", help: "redact PII in what agents read" },
      "hitl-mode": { type: "string", value: HITL.join("|"), help: "which sends wait for a human" },
      "injection-threshold": {
        type: "string",
        value: "t|default",
        help: "quarantine inbound mail scoring at or above t (0 < t ≤ 1)",
      },
      "approval-expiry-hours": {
        type: "string",
        value: "n",
        help: "block held sends nobody decided in time",
      },
      "inbound-allowlist": {
        type: "string",
        multiple: true,
        value: "address or @domain",
        help: "only these senders reach the mailbox (comma-separated or repeated)",
      },
      "no-inbound-allowlist": { type: "boolean", help: "turn the inbound sender allowlist off" },
      sandbox: { type: "string", value: "on|off", help: "send to confirmed verified recipients only" },
      set: { type: "string", value: "file or -", help: "a JSON body of settings, merged under the options" },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      let params: UpdateMailboxParams = {};
      if (v.set !== undefined) {
        try {
          params = JSON.parse(await ctx.readText(v.set)) as UpdateMailboxParams;
        } catch (err) {
          if (err instanceof UsageError) throw err;
          throw new UsageError(`--set: not valid JSON: ${(err as Error).message}`);
        }
      }
      if (v["display-name"] !== undefined) params.display_name = v["display-name"] || null;
      if (v["pii-mode"] !== undefined)
        params.pii_mode = oneOf(v["pii-mode"], "pii-mode", ["passthrough", "redacted"]);
      if (v["hitl-mode"] !== undefined) params.hitl_mode = oneOf(v["hitl-mode"], "hitl-mode", HITL);
      const t = v["injection-threshold"];
      if (t !== undefined)
        params.injection_threshold = t === "default" ? null : num(t, "injection-threshold", 0, 1, true);
      if (v["approval-expiry-hours"] !== undefined)
        params.approval_expiry_hours = int(v["approval-expiry-hours"], "approval-expiry-hours", 1, 8760);
      if (v["inbound-allowlist"] && v["no-inbound-allowlist"])
        throw new UsageError("--inbound-allowlist and --no-inbound-allowlist contradict each other");
      if (v["inbound-allowlist"]) params.inbound_sender_allowlist = csv(v["inbound-allowlist"]);
      if (v["no-inbound-allowlist"]) params.inbound_sender_allowlist = null;
      if (v.sandbox !== undefined) params.sandbox = oneOf(v.sandbox, "sandbox", ["on", "off"]) === "on";
      if (Object.keys(params).length === 0)
        throw new UsageError("nothing to change: give at least one option");
      const mb = await ctx.client().mailboxes.update(id!, params);
      ctx.print(mb, () => mailboxText(mb));
    },
  }),
  command({
    path: "mailboxes delete",
    aliases: ["mailbox delete"],
    args: "<mailbox>",
    summary: "delete a mailbox (admin): its address stops receiving; the name is never reused",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().mailboxes.delete(id!);
      const c = r.cancelled;
      ctx.print(
        r,
        () =>
          `deleted: ${r.address} (cancelled ${c.drafts_cancelled} drafts, ${c.deliveries_cancelled} deliveries, ` +
          `${c.rule_jobs_dropped} rule runs)`,
      );
    },
  }),
];
