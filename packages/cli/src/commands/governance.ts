import type { EventType, MailPolicy, PolicyOutcome, PostboxEvent } from "@postbox/sdk";
import { command } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import { csv, int } from "../values.ts";

export const governanceCommands = [
  command({
    path: "policy set",
    args: "<mailbox> <file.json or ->",
    summary: "set the mailbox's MailPolicy (docs/policy.md)",
    run: async (ctx, { positionals: [mailbox, file] }) => {
      let doc: unknown;
      try {
        doc = JSON.parse(await ctx.readText(file!));
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
      }
      const res = await ctx.client().setPolicy(mailbox!, doc as MailPolicy);
      ctx.print(res, () =>
        [`policy set on ${mailbox}`, ...(res.warnings ?? []).map((w) => `warning: ${w}`)].join("\n"),
      );
    },
  }),
  command({
    path: "policy get",
    args: "<mailbox>",
    summary: "the mailbox's MailPolicy",
    run: async (ctx, { positionals: [mailbox] }) => {
      const res = await ctx.client().getPolicy(mailbox!);
      ctx.print(res, () =>
        res.policy ? JSON.stringify(res.policy, null, 2) : `${mailbox} has no policy: it accepts everything`,
      );
    },
  }),
  command({
    path: "policy test",
    args: "<mailbox>",
    summary: "dry run: what the policy would do with a message, step by step",
    help:
      "Give the facts (--from, --body, --dkim, --spf) or a raw message (--raw) to run real authentication.\n" +
      "Exit 0 when the message would be accepted, 5 when it would not.",
    options: {
      from: { type: "string", value: "address", help: "the sender" },
      body: { type: "string", value: "text", help: "the text body" },
      dkim: { type: "boolean", help: "treat the sender as DKIM-aligned" },
      spf: { type: "boolean", help: "treat the sender as SPF-aligned" },
      raw: { type: "string", value: "file.eml or -", help: "a whole message (MIME) instead of facts" },
      "mail-from": { type: "string", value: "address", help: "with --raw: the envelope sender" },
      "client-ip": { type: "string", value: "ip", help: "with --raw: the connecting address" },
      helo: { type: "string", value: "name", help: "with --raw: the HELO name" },
    },
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      if (!v.raw && !v.from) throw new UsageError("--from or --raw is required");
      const res = v.raw
        ? await ctx.client().testPolicy(mailbox!, {
            raw: await ctx.readText(v.raw),
            mail_from: v["mail-from"],
            client_ip: v["client-ip"],
            helo: v.helo,
          })
        : await ctx.client().testPolicy(mailbox!, {
            from: v.from,
            body: v.body ?? "",
            dkim: v.dkim ?? false,
            spf: v.spf ?? false,
          });
      ctx.print(res, () =>
        [
          `${res.outcome}${res.reason ? `: ${res.reason}` : ""} (${res.disposition})`,
          ...res.trace.map((t) => `  ${t.step.padEnd(15)} ${t.result.padEnd(8)} ${t.detail}`),
          ...(res.sender_authentication ? [`  authentication: ${res.sender_authentication.verdict}`] : []),
        ].join("\n"),
      );
      return res.outcome === "accepted" ? EXIT.OK : EXIT.CHECK_FAILED;
    },
  }),
  command({
    path: "audit",
    args: "<mailbox>",
    summary: "the mailbox's policy audit log, newest first",
    options: {
      outcome: {
        type: "string",
        value: "outcome",
        help: "only this outcome (accepted, rejected_at_policy, …)",
      },
      sender: { type: "string", value: "address", help: "only this sender" },
      limit: { type: "string", value: "n", help: "entries (1-100, default 20)" },
    },
    run: async (ctx, { values: v, positionals: [mailbox] }) => {
      const page = await ctx.client().audit.list(mailbox!, {
        limit: int(v.limit, "limit", 1, 100) ?? 20,
        outcome: v.outcome as PolicyOutcome | undefined,
        sender: v.sender,
      });
      ctx.print(
        page.data,
        () =>
          page.data
            .map(
              (e) =>
                `${e.created_at}  #${e.seq}  ${e.outcome.padEnd(26)} ${e.action.padEnd(19)} ${e.header_sender ?? e.envelope_sender ?? "-"}${e.reason ? `  (${e.reason})` : ""}`,
            )
            .join("\n") || "no entries",
      );
    },
  }),
  command({
    path: "audit verify",
    args: "<mailbox>",
    summary: "check the audit log's hash chain (exit 5 when broken)",
    run: async (ctx, { positionals: [mailbox] }) => {
      const v = await ctx.client().audit.verify(mailbox!);
      ctx.print(v, () =>
        v.ok
          ? `ok: ${v.checked} entries verified (head ${v.head.seq})`
          : `BROKEN at entry ${v.first_broken?.seq}: ${v.first_broken?.problem} (${v.first_broken?.detail})`,
      );
      return v.ok ? EXIT.OK : EXIT.CHECK_FAILED;
    },
  }),
  command({
    path: "events",
    summary: "the event log from a cursor; --follow streams new events until Ctrl-C",
    help: "Under --json a page is {data, has_more, cursor}; with --follow each event is one JSON line.",
    options: {
      types: { type: "string", multiple: true, value: "a,b", help: "only these event types" },
      mailbox: { type: "string", value: "mailbox", help: "only this mailbox's events" },
      after: { type: "string", value: "cursor", help: "start after this cursor" },
      limit: { type: "string", value: "n", help: "events per page (1-500, default 100)" },
      follow: { type: "boolean", help: "stream events as they happen" },
    },
    run: async (ctx, { values: v }) => {
      const types = csv(v.types) as EventType[] | undefined;
      const line = (e: PostboxEvent) =>
        ctx.json
          ? JSON.stringify(e)
          : `${e.created_at}  ${e.id.padEnd(10)} ${e.event.padEnd(30)} ${JSON.stringify(e.data)}`;
      if (v.follow) {
        const controller = new AbortController();
        process.once("SIGINT", () => controller.abort());
        process.once("SIGTERM", () => controller.abort());
        for await (const e of ctx.client().events.stream({
          types,
          mailbox_id: v.mailbox,
          after: v.after,
          signal: controller.signal,
        }))
          ctx.io.stdout.write(`${line(e)}\n`);
        return;
      }
      const page = await ctx.client().events.list({
        types,
        mailbox_id: v.mailbox,
        after: v.after,
        limit: int(v.limit, "limit", 1, 500) ?? 100,
      });
      if (ctx.json) ctx.print({ data: page.data, has_more: page.hasMore, cursor: page.cursor }, () => "");
      else {
        for (const e of page.data) ctx.io.stdout.write(`${line(e)}\n`);
        ctx.io.stdout.write(`cursor: ${page.cursor}${page.hasMore ? " (more: pass --after)" : ""}\n`);
      }
    },
  }),
  command({
    path: "dkim",
    summary: "the DKIM record to publish in DNS for outbound mail (admin)",
    run: async (ctx) => {
      const r = await ctx.client().dkimRecord();
      ctx.print(r, () => `${r.name}  ${r.type}  "${r.value}"`);
    },
  }),
];
