import type { Domain } from "@postbox/sdk";
import { command } from "../command.ts";
import { table, when } from "../values.ts";

function domainText(d: Domain): string {
  const lines = [
    `${d.domain_name}  (id ${d.id})`,
    `  type:     ${d.domain_type}${d.is_default ? ", default for new mailboxes" : ""}`,
    `  status:   ${d.verification_status}${d.verified_at ? ` (verified ${when(d.verified_at)})` : ""}`,
    `  checked:  ${d.last_checked_at ? when(d.last_checked_at) : "never"}`,
  ];
  if (d.dns_records_json.length > 0)
    lines.push(
      "",
      "records to publish:",
      table(
        d.dns_records_json.map((r) => [
          r.status,
          r.required ? "required" : "advised",
          r.type,
          r.name,
          r.priority === null ? r.value : `${r.priority} ${r.value}`,
        ]),
      ),
    );
  return lines.join("\n");
}

const ALIASES = (verb: string, ...more: string[]) => [`domain ${verb}`, ...more];

export const domainCommands = [
  command({
    path: "domains list",
    aliases: ALIASES("list"),
    summary: "the installation's domain and the account's own (admin)",
    run: async (ctx) => {
      const all = await ctx.client().domains.list();
      ctx.print(all, () =>
        table(
          all.map((d) => [
            d.domain_name,
            d.domain_type,
            d.verification_status,
            d.is_default ? "default" : "",
            d.id,
          ]),
        ),
      );
    },
  }),
  command({
    path: "domains add",
    aliases: ALIASES("add", "domains create", "domain create"),
    args: "<domain>",
    summary: "claim a domain for the account (admin); prints the DNS records to publish",
    help:
      "Postbox makes an RSA-2048 DKIM key unless --dkim-key gives yours. Publish the records, then run\n" +
      "`postbox domains verify <domain>`; `postbox domains zone-file <domain>` prints them as a zone file.",
    options: {
      "dkim-selector": {
        type: "string",
        value: "selector",
        help: "the DKIM selector (default: the server's)",
      },
      "dkim-key": { type: "string", value: "file or -", help: "your own DKIM private key (PEM)" },
    },
    run: async (ctx, { values: v, positionals: [domain] }) => {
      const d = await ctx.client().domains.create({
        domain: domain!,
        dkim_selector: v["dkim-selector"],
        dkim_private_key: v["dkim-key"] === undefined ? undefined : await ctx.readText(v["dkim-key"]),
      });
      ctx.print(d, () => `${domainText(d)}\n\nthen: postbox domains verify ${d.domain_name}`);
    },
  }),
  command({
    path: "domains get",
    aliases: ALIASES("get", "domains inspect", "domain inspect"),
    args: "<domain>",
    summary: "one domain and its records as last checked (by name or id; admin)",
    run: async (ctx, { positionals: [id] }) => {
      const d = await ctx.client().domains.get(id!);
      ctx.print(d, () => domainText(d));
    },
  }),
  command({
    path: "domains verify",
    aliases: ALIASES("verify"),
    args: "<domain>",
    summary: "look the domain's records up now (admin); exit 1 unless it is verified",
    run: async (ctx, { positionals: [id] }) => {
      const d = await ctx.client().domains.verify(id!);
      ctx.print(d, () => `${domainText(d)}\n\n${d.message}`);
      return d.verification_status === "verified" ? 0 : 1;
    },
  }),
  command({
    path: "domains zone-file",
    aliases: ALIASES("zone-file"),
    args: "<domain>",
    summary: "the domain's records as a zone file, to import at a DNS provider (admin)",
    run: async (ctx, { positionals: [id] }) => {
      const text = await ctx.client().domains.zoneFile(id!);
      ctx.print({ zone_file: text }, () => text.replace(/\n$/, ""));
    },
  }),
  command({
    path: "domains set-default",
    aliases: ALIASES("set-default"),
    args: "<domain>",
    summary: "new mailboxes that name no domain go here (admin; a verified domain)",
    run: async (ctx, { positionals: [id] }) => {
      const d = await ctx.client().domains.setDefault(id!);
      ctx.print(d, () => `default domain: ${d.domain_name}`);
    },
  }),
  command({
    path: "domains delete",
    aliases: ALIASES("delete"),
    args: "<domain>",
    summary: "delete a domain without live mailboxes (admin); its DKIM key goes with it",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().domains.delete(id!);
      ctx.print(r, () => `deleted: ${r.domain_name}`);
    },
  }),
];
