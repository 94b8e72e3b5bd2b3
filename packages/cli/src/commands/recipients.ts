import type { BulkResult, SuppressionReason } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { int, oneOf, PAGE_OPTIONS, printPage, table, when } from "../values.ts";

const REASONS = [
  "hard_bounce",
  "complaint",
  "manual",
  "unsubscribe",
] as const satisfies readonly SuppressionReason[];

function bulkText(r: BulkResult<unknown>): string {
  return [
    `added ${r.counts.added}, already there ${r.counts.already_existed}, invalid ${r.counts.invalid}`,
    ...r.invalid.map((i) => `  invalid: ${i.email} (${i.reason})`),
  ].join("\n");
}

export const recipientCommands = [
  command({
    path: "suppressions list",
    summary: "addresses and domains the account never mails, by address",
    options: {
      reason: { type: "string", value: REASONS.join("|"), help: "only this reason" },
      ...PAGE_OPTIONS,
    },
    run: async (ctx, { values: v }) => {
      const reason = oneOf(v.reason, "reason", REASONS);
      await printPage(
        ctx,
        v,
        500,
        (q) => ctx.client().suppressions.list({ reason, ...q }),
        (items) =>
          table(
            items.map((s) => [
              s.email,
              s.reason,
              when(s.created_at),
              s.expires_at ? `until ${when(s.expires_at)}` : "",
              s.detail,
            ]),
          ),
        "no suppressions",
      );
    },
  }),
  command({
    path: "suppressions add",
    args: "<address or @domain>...",
    summary: "never mail these (a bare @domain is admin-only)",
    options: {
      reason: { type: "string", value: REASONS.join("|"), help: "why (default manual)" },
      detail: { type: "string", value: "text", help: "a note (one address only)" },
    },
    run: async (ctx, { values: v, positionals: emails }) => {
      const reason = oneOf(v.reason, "reason", REASONS);
      if (emails.length === 1) {
        const r = await ctx.client().suppressions.add(emails[0]!, { reason, detail: v.detail });
        ctx.print(r, () => `${r.already_existed ? "already suppressed" : "suppressed"}: ${r.email}`);
        return;
      }
      const r = await ctx.client().suppressions.addBulk(emails, { reason });
      ctx.print(r, () => bulkText(r));
      return r.counts.invalid > 0 ? 1 : 0;
    },
  }),
  command({
    path: "suppressions remove",
    args: "<address or @domain>",
    summary: "mail it again (admin)",
    run: async (ctx, { positionals: [email] }) => {
      const r = await ctx.client().suppressions.remove(email!);
      ctx.print(r, () => `removed: ${r.email}`);
    },
  }),
  command({
    path: "allowlist list",
    args: "<mailbox>",
    summary: "a mailbox's outbound recipient allowlist and whether it is enforced",
    run: async (ctx, { positionals: [mailbox] }) => {
      const r = await ctx.client().allowlist.list(mailbox!);
      ctx.print(r, () =>
        [
          r.mode === "allowlist"
            ? "mode: allowlist (only these recipients)"
            : "mode: blocklist (any recipient not suppressed; the list is kept but not enforced)",
          ...(r.data.length > 0 ? [table(r.data.map((e) => [e.email, when(e.created_at)]))] : ["(empty)"]),
        ].join("\n"),
      );
    },
  }),
  command({
    path: "allowlist add",
    args: "<mailbox> <address or @domain>...",
    summary: "allow sending to these recipients (admin)",
    run: async (ctx, { positionals: [mailbox, ...emails] }) => {
      if (emails.length === 1) {
        const r = await ctx.client().allowlist.add(mailbox!, emails[0]!);
        ctx.print(r, () => `${r.already_existed ? "already allowed" : "allowed"}: ${r.email}`);
        return;
      }
      const r = await ctx.client().allowlist.addBulk(mailbox!, emails);
      ctx.print(r, () => bulkText(r));
      return r.counts.invalid > 0 ? 1 : 0;
    },
  }),
  command({
    path: "allowlist remove",
    args: "<mailbox> <address or @domain>",
    summary: "stop allowing a recipient (admin)",
    options: {
      "force-empty": {
        type: "boolean",
        help: "remove the last entry of an enforced allowlist (nothing may be sent)",
      },
    },
    run: async (ctx, { values: v, positionals: [mailbox, email] }) => {
      const r = await ctx.client().allowlist.remove(mailbox!, email!, { forceEmpty: v["force-empty"] });
      ctx.print(r, () => `removed: ${r.email}`);
    },
  }),
  command({
    path: "allowlist mode",
    args: "<mailbox> <allowlist|blocklist>",
    summary: "enforce the allowlist (allowlist) or not (blocklist) (admin)",
    options: { "force-empty": { type: "boolean", help: "enforce an empty allowlist (nothing may be sent)" } },
    run: async (ctx, { values: v, positionals: [mailbox, mode] }) => {
      if (mode !== "allowlist" && mode !== "blocklist")
        throw new UsageError(`the mode is allowlist or blocklist, not ${mode}`);
      const m = mode;
      const r = await ctx.client().allowlist.setMode(mailbox!, m, { forceEmpty: v["force-empty"] });
      ctx.print(r, () => `mode: ${r.mode} (${r.allowlist_size} entries)`);
    },
  }),
  command({
    path: "allowlist blocked-attempts",
    args: "<mailbox>",
    summary: "sends the allowlist refused, by recipient",
    options: {
      "within-days": {
        type: "string",
        value: "n",
        help: "look back this many days (default: the whole log)",
      },
      each: { type: "boolean", help: "every attempt instead of one row per recipient" },
    },
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      const params = { within_days: int(v["within-days"], "within-days", 1, 365) };
      if (v.each) {
        const log = await ctx.client().allowlist.blockedAttemptLog(mailbox!, params);
        ctx.print(log, () =>
          log.data.length > 0
            ? table(log.data.map((a) => [when(a.attempted_at), a.recipient, a.actor_id ?? a.actor_type]))
            : "no refused sends",
        );
        return;
      }
      const r = await ctx.client().allowlist.blockedAttempts(mailbox!, params);
      ctx.print(r, () =>
        r.length > 0
          ? table(r.map((a) => [a.recipient, `${a.count} attempts`, `last ${when(a.last_attempted_at)}`]))
          : "no refused sends",
      );
    },
  }),
  command({
    path: "inbound-allowlist list",
    args: "<mailbox>",
    summary: "the senders a mailbox takes mail from (while the list has entries, only these)",
    run: async (ctx, { positionals: [mailbox] }) => {
      const r = await ctx.client().inboundAllowlist.list(mailbox!);
      ctx.print(r, () =>
        [
          r.mode === "allowlist"
            ? "mode: allowlist (only these senders)"
            : "mode: blocklist (any sender not blocked)",
          ...(r.data.length > 0 ? [table(r.data.map((e) => [e.email, when(e.created_at)]))] : ["(empty)"]),
        ].join("\n"),
      );
    },
  }),
  command({
    path: "inbound-allowlist add",
    args: "<mailbox> <address or @domain>...",
    summary: "take mail from these senders (admin)",
    run: async (ctx, { positionals: [mailbox, ...emails] }) => {
      if (emails.length === 1) {
        const r = await ctx.client().inboundAllowlist.add(mailbox!, emails[0]!);
        ctx.print(r, () => `${r.already_existed ? "already allowed" : "allowed"}: ${r.email}`);
        return;
      }
      const r = await ctx.client().inboundAllowlist.addBulk(mailbox!, emails);
      ctx.print(r, () => bulkText(r));
      return r.counts.invalid > 0 ? 1 : 0;
    },
  }),
  command({
    path: "inbound-allowlist remove",
    args: "<mailbox> <address or @domain>",
    summary: "stop taking mail from a sender (admin)",
    options: {
      "force-empty": {
        type: "boolean",
        help: "remove the last entry (the mailbox then takes mail from nobody)",
      },
    },
    run: async (ctx, { values: v, positionals: [mailbox, email] }) => {
      const r = await ctx
        .client()
        .inboundAllowlist.remove(mailbox!, email!, { forceEmpty: v["force-empty"] });
      ctx.print(r, () => `removed: ${r.email}`);
    },
  }),
];
