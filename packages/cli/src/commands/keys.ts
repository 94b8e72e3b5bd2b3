import type { ApiKey } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { csv, oneOf, table, when } from "../values.ts";

const keyRows = (keys: ApiKey[]) =>
  table(
    keys.map((k) => [
      k.id,
      k.prefix,
      k.role,
      k.revoked_at ? "revoked" : "active",
      k.mailbox_ids.length > 0
        ? `${k.mailbox_ids.length} mailbox${k.mailbox_ids.length === 1 ? "" : "es"}`
        : "all",
      `used ${when(k.last_used_at)}`,
      k.label ?? "",
    ]),
  );

const MAILBOX = {
  type: "string",
  multiple: true,
  value: "mailbox",
  help: "a mailbox the key is bound to, by name or id (repeat, or comma-separate)",
} as const;

export const keyCommands = [
  command({
    path: "keys list",
    summary: "the account's API keys",
    options: { "include-revoked": { type: "boolean", help: "revoked keys too" } },
    run: async (ctx, { values: v }) => {
      const page = await ctx.client().apiKeys.list({ includeRevoked: v["include-revoked"] });
      ctx.print(page.data, () => (page.data.length > 0 ? keyRows(page.data) : "no keys"));
    },
  }),
  command({
    path: "keys create",
    summary: "a new API key, shown once (admin)",
    help: "admin keys manage the account; agent keys read and send for their mailboxes; ingest keys only deliver mail.",
    options: {
      role: { type: "string", value: "admin|agent|ingest", help: "what the key may do" },
      mailbox: MAILBOX,
      label: { type: "string", value: "text", help: "a name for people" },
      name: { type: "string", value: "text", help: "same as --label" },
    },
    run: async (ctx, { values: v }) => {
      const role = v.role;
      if (role !== "admin" && role !== "agent" && role !== "ingest")
        throw new UsageError("--role must be admin, agent or ingest");
      const key = await ctx
        .client()
        .apiKeys.create({ role, mailbox_ids: csv(v.mailbox), label: v.label ?? v.name });
      ctx.print(key, () => `${key.api_key}\n(id ${key.id}, role ${key.role}; shown once — store it now)`);
    },
  }),
  command({
    path: "keys rotate",
    summary: "replace the calling key (POSTBOX_API_KEY) with a new one, shown once",
    help: "The old key stops working at once: export the new one.",
    run: async (ctx) => {
      const key = await ctx.client().apiKeys.rotate();
      ctx.print(
        key,
        () =>
          `${key.api_key}\n(id ${key.id} replaces ${key.replaces}; shown once — store it now, the old key no longer works)`,
      );
    },
  }),
  command({
    path: "keys revoke",
    args: "<key id>",
    summary: "revoke a key: it stops working at once (admin)",
    run: async (ctx, { positionals: [id] }) => {
      const key = await ctx.client().apiKeys.revoke(id!);
      ctx.print(key, () => `revoked ${key.id}`);
    },
  }),
  command({
    path: "keys rebind",
    args: "<key id>",
    summary: "bind an agent key to other mailboxes, in place (admin)",
    options: { mailbox: MAILBOX },
    run: async (ctx, { values: v, positionals: [id] }) => {
      const mailboxes = csv(v.mailbox);
      if (!mailboxes?.length) throw new UsageError("--mailbox is required (one or more)");
      const key = await ctx.client().apiKeys.rebind(id!, mailboxes);
      ctx.print(key, () => `${key.id} now bound to ${key.mailbox_ids.join(", ")}`);
    },
  }),
  command({
    path: "accounts create",
    args: "<name>",
    summary: "a new tenant; prints its first admin key (operator only)",
    run: async (ctx, { positionals: [name] }) => {
      const acct = await ctx.client().accounts.create({ name: name! });
      ctx.print(
        acct,
        () => `account ${acct.id} (${acct.name})\nadmin key: ${acct.admin_key}\n(shown once — store it now)`,
      );
    },
  }),
  command({
    path: "accounts list",
    summary: "every tenant (operator only)",
    run: async (ctx) => {
      const page = await ctx.client().accounts.list();
      ctx.print(page.data, () =>
        page.data.map((a) => `${a.id}  ${a.name}${a.is_default ? "  (operator)" : ""}`).join("\n"),
      );
    },
  }),
  command({
    path: "whoami",
    summary: "the calling key: its account, role and mailboxes",
    run: async (ctx) => {
      const me = await ctx.client().accounts.whoami();
      ctx.print(
        me,
        () =>
          `key ${me.api_key_id}${me.label ? ` (${me.label})` : ""}: ${me.role} of account ${me.account_id}` +
          (me.mailbox_ids.length > 0 ? `, bound to ${me.mailbox_ids.join(", ")}` : ""),
      );
    },
  }),
  command({
    path: "account usage",
    aliases: ["usage"],
    summary: "sends today and over 30 days, mailboxes, held sends, storage (admin)",
    run: async (ctx) => {
      const u = await ctx.client().accounts.usage();
      const s = u.storage;
      ctx.print(u, () =>
        [
          `tier: ${u.tier}`,
          `sends today: ${u.today.count} of ${u.today.limit} (${u.today.day})`,
          `mailboxes: ${u.mailbox_count} of ${u.mailbox_limit}`,
          `pending review: ${u.pending_review_count}`,
          `storage: ${bytes(s.used_bytes)}${s.limit_bytes === null ? "" : ` of ${bytes(s.limit_bytes)}`} (${s.state})`,
          `  raw MIME: ${bytes(s.breakdown.raw_mime_bytes)} (attachments in it: ${bytes(s.breakdown.attachment_bytes)})`,
          `  derived text: ${bytes(s.breakdown.derivative_bytes)}`,
          ...(u.history.length ? ["last 30 days:", ...u.history.map((h) => `  ${h.day}  ${h.count}`)] : []),
        ].join("\n"),
      );
    },
  }),
  command({
    path: "account delete",
    summary: "delete this key's account and all its data; every key of it stops working (admin)",
    help:
      "name the account to show you mean it: --confirm with its id or name (postbox whoami prints the id). " +
      "Refused while a legal hold of the account is active; the operator's default account cannot be deleted.",
    options: {
      confirm: { type: "string", value: "account", help: "the account's id or name (required)" },
    },
    run: async (ctx, { values: v }) => {
      if (!v.confirm)
        throw new UsageError("--confirm <account id or name> is required (postbox whoami prints the id)");
      const d = await ctx.client().accounts.delete({ confirm: v.confirm });
      ctx.print(d, () =>
        [
          d.message,
          d.domains_released.length > 0 ? `domains released: ${d.domains_released.join(", ")}` : "",
          "this key no longer works",
        ]
          .filter(Boolean)
          .join("\n"),
      );
    },
  }),
  command({
    path: "account sandbox",
    args: "<on|off>",
    summary: "sandbox mode for every mailbox: sends reach confirmed verified recipients only (admin)",
    run: async (ctx, { positionals: [state] }) => {
      const on = oneOf(state, "state", ["on", "off"]) === "on";
      const p = await ctx.client().accounts.updatePolicy({ sandbox: on });
      ctx.print(p, () =>
        p.sandbox
          ? "sandbox mode on: every mailbox sends to confirmed recipients only (postbox recipients add)"
          : "sandbox mode off",
      );
    },
  }),
  command({
    path: "quota",
    summary: "send quotas and what is left of them",
    run: async (ctx) => {
      const q = await ctx.client().accounts.quota();
      ctx.print(q, () =>
        [
          `today: ${q.today.count} of ${q.today.limit} recipients (${q.sends_remaining} left; resets ${when(q.reset_at)})`,
          ...q.mailboxes.flatMap((m) =>
            m.windows.map(
              (w) =>
                `  ${m.name}: ${w.used} of ${w.limit} per ${w.window_seconds} s (resets ${when(w.reset_at)})`,
            ),
          ),
        ].join("\n"),
      );
    },
  }),
];

/** A byte count as people read it (1000-based, like disk sizes). */
function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1).replace(/\.0$/, "")} ${units[u]}`;
}
