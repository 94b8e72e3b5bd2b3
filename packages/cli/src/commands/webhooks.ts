import type { EventType, Webhook, WebhookDelivery } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { csv, int, table, when } from "../values.ts";

function webhookText(w: Webhook & { signing_secret?: string }): string {
  const lines = [
    `${w.id}  ${w.url}`,
    `  enabled:  ${w.enabled ? "yes" : `no${w.disabled_reason ? ` (${w.disabled_reason})` : ""}`}`,
    `  events:   ${w.enabled_events.join(", ")}`,
    ...(w.description ? [`  about:    ${w.description}`] : []),
    `  failures: ${w.consecutive_failures ?? w.consecutive_abandoned} abandoned in a row`,
  ];
  if (w.signing_secret)
    lines.push("", `signing secret: ${w.signing_secret}`, "(shown once — store it now to verify deliveries)");
  return lines.join("\n");
}

const deliveryRows = (items: WebhookDelivery[]) =>
  table(
    items.map((d) => [
      when(d.created_at),
      d.event,
      d.state,
      `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`,
      d.last_status === null ? "-" : `HTTP ${d.last_status}`,
      d.last_error,
      d.id,
    ]),
  );

const EVENTS_OPTION = {
  type: "string",
  multiple: true,
  value: "type,...",
  help: "event types to receive (comma-separated or repeated; postbox events --help lists them)",
} as const;

export const webhookCommands = [
  command({
    path: "webhooks create",
    summary: "subscribe a URL to events (admin); prints its signing secret once",
    options: {
      url: { type: "string", value: "url", help: "where to POST each event" },
      events: EVENTS_OPTION,
      description: { type: "string", value: "text", help: "a note for people" },
      disabled: { type: "boolean", help: "create it switched off" },
    },
    run: async (ctx, { values: v }) => {
      const events = csv(v.events);
      if (!v.url || !events?.length) throw new UsageError("--url and --events are required");
      const w = await ctx.client().webhooks.create({
        url: v.url,
        enabled_events: events as EventType[],
        description: v.description,
        enabled: v.disabled ? false : undefined,
      });
      ctx.print(w, () => webhookText(w));
    },
  }),
  command({
    path: "webhooks list",
    summary: "the account's webhooks (admin)",
    run: async (ctx) => {
      const all = await ctx.client().webhooks.list();
      ctx.print(all, () =>
        all.length > 0
          ? table(
              all.map((w) => [w.id, w.enabled ? "enabled " : "disabled", w.url, w.enabled_events.join(",")]),
            )
          : "no webhooks",
      );
    },
  }),
  command({
    path: "webhooks get",
    args: "<webhook id>",
    summary: "one webhook",
    run: async (ctx, { positionals: [id] }) => {
      const w = await ctx.client().webhooks.get(id!);
      ctx.print(w, () => webhookText(w));
    },
  }),
  command({
    path: "webhooks update",
    args: "<webhook id>",
    summary: "change a webhook (admin); --enable also revives one disabled after failures",
    options: {
      url: { type: "string", value: "url", help: "a new target" },
      events: EVENTS_OPTION,
      description: { type: "string", value: "text", help: "a note for people ('' removes it)" },
      enable: { type: "boolean", help: "switch it on (and reset its failure count)" },
      disable: { type: "boolean", help: "switch it off" },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      if (v.enable && v.disable) throw new UsageError("--enable and --disable contradict each other");
      const params = {
        ...(v.url !== undefined ? { url: v.url } : {}),
        ...(v.events !== undefined ? { enabled_events: csv(v.events) as EventType[] } : {}),
        ...(v.description !== undefined ? { description: v.description || null } : {}),
        ...(v.enable || v.disable ? { enabled: Boolean(v.enable) } : {}),
      };
      if (Object.keys(params).length === 0)
        throw new UsageError("nothing to change: give at least one option");
      const w = await ctx.client().webhooks.update(id!, params);
      ctx.print(w, () => webhookText(w));
    },
  }),
  command({
    path: "webhooks delete",
    args: "<webhook id>",
    summary: "delete a webhook and its delivery log (admin)",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().webhooks.delete(id!);
      ctx.print(r, () => `deleted: ${r.id}`);
    },
  }),
  command({
    path: "webhooks test",
    args: "<webhook id>",
    summary: "send a real-shaped test delivery now and show how it went",
    options: {
      event: { type: "string", value: "type", help: "the event to imitate (default webhook.test)" },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      const d = await ctx.client().webhooks.test(id!, { event: v.event as EventType | undefined });
      ctx.print(d, () => deliveryRows([d]));
    },
  }),
  command({
    path: "webhooks rotate-secret",
    args: "<webhook id>",
    summary: "a new signing secret, shown once; deliveries carry both during the grace period",
    options: {
      "grace-seconds": {
        type: "string",
        value: "s",
        help: "how long the old secret also signs (default 86400; 0 none)",
      },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      const w = await ctx.client().webhooks.rotateSecret(id!, {
        grace_seconds: int(v["grace-seconds"], "grace-seconds", 0, 7 * 86400),
      });
      ctx.print(w, () => webhookText(w));
    },
  }),
  command({
    path: "webhooks deliveries list",
    args: "<webhook id>",
    summary: "a webhook's deliveries, newest first",
    options: {
      limit: { type: "string", value: "n", help: "deliveries per page (1-100)" },
      cursor: { type: "string", value: "cursor", help: "continue after a previous page (its cursor)" },
    },
    run: async (ctx, { values: v, positionals: [id] }) => {
      const [before_at, before_id] = v.cursor ? v.cursor.split("|") : [];
      if (v.cursor && !(before_at && before_id))
        throw new UsageError("--cursor: not a cursor this command printed");
      const page = await ctx.client().webhooks.listDeliveries(id!, {
        limit: int(v.limit, "limit", 1, 100),
        before_at,
        before_id,
      });
      const cursor =
        page.has_more && page.next_before_at && page.next_before_id
          ? `${page.next_before_at}|${page.next_before_id}`
          : null;
      ctx.print({ data: page.deliveries, has_more: page.has_more, cursor }, () => {
        const body = page.deliveries.length > 0 ? deliveryRows(page.deliveries) : "no deliveries";
        return cursor ? `${body}\n(more: --cursor '${cursor}')` : body;
      });
    },
  }),
  command({
    path: "webhooks deliveries retry",
    args: "<webhook id> <delivery id>",
    summary: "re-queue a failed delivery",
    run: async (ctx, { positionals: [id, did] }) => {
      const d = await ctx.client().webhooks.retryDelivery(id!, did!);
      ctx.print(d, () => deliveryRows([d]));
    },
  }),
];
