import type { Postbox, VerifiedRecipient } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { PAGE_OPTIONS, printPage, table, when } from "../values.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A recipient named by its id or its address (the list is read to find the address). */
async function recipientId(client: Postbox, emailOrId: string): Promise<string> {
  if (UUID.test(emailOrId)) return emailOrId;
  const wanted = emailOrId.trim().toLowerCase();
  let cursor: string | undefined;
  do {
    const page = await client.recipients.list({ limit: 100, cursor });
    const found = page.data.find((r: VerifiedRecipient) => r.email === wanted);
    if (found) return found.id;
    cursor = page.hasMore && page.cursor ? page.cursor : undefined;
  } while (cursor);
  throw new UsageError(`no verified recipient ${emailOrId} (postbox recipients list shows them)`);
}

export const verifiedRecipientCommands = [
  command({
    path: "recipients add",
    args: "<address>",
    summary: "mail an address a confirmation link; once confirmed, sandboxed mailboxes may mail it (admin)",
    run: async (ctx, { positionals: [email] }) => {
      const r = await ctx.client().recipients.create(email!);
      ctx.print(r, () =>
        r.already_existed
          ? `already there: ${r.email} (${r.status})`
          : `confirmation mail sent to ${r.email}; they must open the link and confirm before sandboxed mailboxes can mail them`,
      );
    },
  }),
  command({
    path: "recipients list",
    summary: "verified recipients, newest first (pending, confirmed, expired)",
    options: { ...PAGE_OPTIONS },
    run: async (ctx, { values: v }) => {
      await printPage(
        ctx,
        v,
        100,
        (q) => ctx.client().recipients.list(q),
        (items) => table(items.map((r) => [r.email, r.status, when(r.created_at), r.id])),
        "no verified recipients",
      );
    },
  }),
  command({
    path: "recipients remove",
    args: "<address or id>",
    summary: "sandboxed mailboxes may no longer mail it (admin)",
    run: async (ctx, { positionals: [which] }) => {
      const client = ctx.client();
      const r = await client.recipients.delete(await recipientId(client, which!));
      ctx.print(r, () => `removed: ${r.email}`);
    },
  }),
  command({
    path: "recipients resend",
    args: "<address or id>",
    summary: "mail a pending or expired recipient a new confirmation link (admin)",
    run: async (ctx, { positionals: [which] }) => {
      const client = ctx.client();
      const r = await client.recipients.resend(await recipientId(client, which!));
      ctx.print(r, () =>
        r.status === "already_confirmed"
          ? `${r.recipient.email} is already confirmed: nothing sent`
          : `confirmation mail sent again to ${r.recipient.email}`,
      );
    },
  }),
];
