import type { Message } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { BODY_OPTIONS, bodyOf, oneOf, PAGE_OPTIONS, printPage, table, when } from "../values.ts";
import { messageRows } from "./messages.ts";

const REASON = { reason: { type: "string", value: "text", help: "why (kept with the decision)" } } as const;

const decided = (verb: string) => (m: Message) => `${verb}: ${m.id} (now ${m.state})`;

export const moderationCommands = [
  command({
    path: "reviews list",
    summary: "sends waiting for a human, oldest first (admin)",
    options: { mailbox: { type: "string", value: "mailbox", help: "only this mailbox's" }, ...PAGE_OPTIONS },
    run: async (ctx, { values: v }) => {
      await printPage(
        ctx,
        v,
        100,
        (q) => ctx.client().messages.reviews({ mailbox: v.mailbox, ...q }),
        (items) =>
          table(
            items.map((m) => [
              when(m.created_at),
              m.mailbox_name,
              `to ${m.to.join(", ")}`,
              m.subject ?? "(no subject)",
              m.hold_context?.summary_reasons.join("; ") ?? "",
              m.id,
            ]),
          ),
        "nothing waits for review",
      );
    },
  }),
  command({
    path: "reviews approve",
    args: "<message id>",
    summary: "approve a held send: it goes to the delivery queue (admin)",
    options: REASON,
    run: async (ctx, { values: v, positionals: [id] }) => {
      const m = await ctx.client().messages.approve(id!, { note: v.reason });
      ctx.print(m, () => decided("approved")(m));
    },
  }),
  command({
    path: "reviews revise",
    args: "<message id>",
    summary: "edit a held send and rescan it; it stays held for approval (admin)",
    options: {
      subject: { type: "string", value: "text", help: "the new subject" },
      ...BODY_OPTIONS,
      ...REASON,
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      const text = await bodyOf(ctx, v);
      if (v.subject === undefined && text === undefined && v.html === undefined)
        throw new UsageError("give at least one of --subject, --body, --body-file or --html");
      const m = await ctx.client().messages.revise(id!, {
        subject: v.subject,
        text,
        // An empty --html removes the HTML part.
        html: v.html === "" ? null : v.html,
        note: v.reason,
      });
      ctx.print(m, () => `${decided("revised")(m)}; scan ${m.scan?.verdict ?? "none"}`);
    },
  }),
  command({
    path: "reviews deny",
    args: "<message id>",
    summary: "deny a held send: it is never delivered (admin)",
    options: REASON,
    run: async (ctx, { values: v, positionals: [id] }) => {
      const m = await ctx.client().messages.deny(id!, { note: v.reason });
      ctx.print(m, () => decided("denied")(m));
    },
  }),
  command({
    path: "quarantine list",
    args: "<mailbox>",
    summary: "a mailbox's quarantined inbound messages",
    options: PAGE_OPTIONS,
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      await printPage(
        ctx,
        v,
        100,
        (q) => ctx.client().messages.list(mailbox!, { state: "quarantined", direction: "inbound", ...q }),
        messageRows,
        "nothing in quarantine",
      );
    },
  }),
  command({
    path: "quarantine release",
    args: "<message id>",
    summary: "release a quarantined or blocked inbound message to the agent (admin)",
    options: REASON,
    run: async (ctx, { values: v, positionals: [id] }) => {
      const m = await ctx.client().messages.release(id!, { note: v.reason });
      ctx.print(m, () => decided("released")(m));
    },
  }),
  command({
    path: "quarantine block",
    args: "<message id>",
    summary: "block an inbound message: the agent never sees it (admin)",
    options: REASON,
    run: async (ctx, { values: v, positionals: [id] }) => {
      const m = await ctx.client().messages.block(id!, { note: v.reason });
      ctx.print(m, () => decided("blocked")(m));
    },
  }),
  command({
    path: "quarantine report",
    args: "<message id>",
    summary: "block an inbound message and add its sender to the inbound blocklist (admin)",
    options: REASON,
    run: async (ctx, { values: v, positionals: [id] }) => {
      const m = await ctx.client().messages.report(id!, { note: v.reason });
      ctx.print(
        m,
        () => `${decided("reported")(m)}; ${m.sender ?? "the sender"} is on the inbound blocklist`,
      );
    },
  }),
  command({
    path: "simulate",
    args: "<mailbox>",
    summary: "put a synthetic inbound message through the real pipeline and show where it ended",
    help: "--scenario prompt_injection_quarantined sends an injection attempt: it should land in quarantine.",
    options: {
      scenario: {
        type: "string",
        value: "clean|prompt_injection_quarantined",
        help: "which message (default clean)",
      },
      label: { type: "string", value: "text", help: "a label for the message's subject" },
    },
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      const r = await ctx.client().simulator.inbound({
        mailbox_id: mailbox!,
        scenario:
          oneOf(v.scenario, "scenario", ["clean", "prompt_injection_quarantined"] as const) ?? "clean",
        label: v.label,
      });
      ctx.print(r, () => `${r.status}: message ${r.message_id}`);
    },
  }),
  command({
    path: "blocklist list",
    summary: "the account's inbound blocklist (admin)",
    run: async (ctx) => {
      const all = await ctx.client().blocklist.list();
      ctx.print(all, () =>
        all.length > 0
          ? table(all.map((b) => [b.address, when(b.created_at), b.reason]))
          : "the blocklist is empty",
      );
    },
  }),
  command({
    path: "blocklist add",
    args: "<address or @domain>",
    summary: "keep a sender's mail from every mailbox of the account (admin)",
    options: REASON,
    run: async (ctx, { values: v, positionals: [address] }) => {
      const b = await ctx.client().blocklist.add(address!, v.reason);
      ctx.print(b, () => `blocked: ${b.address}`);
    },
  }),
  command({
    path: "blocklist remove",
    args: "<address or @domain>",
    summary: "unblock a sender (admin)",
    run: async (ctx, { positionals: [address] }) => {
      const b = await ctx.client().blocklist.remove(address!);
      ctx.print(b, () => `unblocked: ${b.address}`);
    },
  }),
];
