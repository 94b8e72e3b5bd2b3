import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { AttachmentUpload } from "@postbox/sdk";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";

/** An attachment's position in a message: a whole number from 0. */
function indexOf(text: string | undefined): number {
  if (!text || !/^\d{1,5}$/.test(text)) throw new UsageError("the attachment index is a whole number from 0");
  return Number(text);
}

const uploadText = (u: AttachmentUpload) =>
  [
    `${u.id}  ${u.filename} (${u.content_type}, ${u.size} bytes)`,
    `scan: ${u.content_scan_status}${u.status === "consumed" ? `, sent in ${u.consumed_message_id}` : ""}`,
    ...(u.scan?.findings ?? []).map(
      (f) => `  ${f.category}: ${f.decision}${f.reason ? ` — ${f.reason}` : ""}`,
    ),
  ].join("\n");

export const attachmentCommands = [
  command({
    path: "attachments upload",
    args: "<file>",
    summary: "stage a file to send from a mailbox (then --attachment-id on send, reply or a draft)",
    help:
      "Uploads once (never retried). The content scan runs on the server; --wait polls until it is done\n" +
      "(clean or flagged may be sent; error never is).",
    options: {
      mailbox: { type: "string", value: "mailbox", help: "the mailbox that will send it (required)" },
      filename: { type: "string", value: "name", help: "the name recipients see (default: the file's)" },
      "content-type": {
        type: "string",
        value: "type",
        help: "the declared type (advisory: the bytes are sniffed)",
      },
      wait: { type: "boolean", help: "wait until the content scan is done" },
    },
    run: async (ctx, { values: v, positionals: [file] }) => {
      if (!v.mailbox) throw new UsageError("--mailbox is required");
      const bytes = await readFile(file!).catch((err: Error) => {
        throw new UsageError(`cannot read ${file}: ${err.message}`);
      });
      const client = ctx.client();
      let u = await client.attachments.upload({
        mailbox_id: v.mailbox,
        file: new Uint8Array(bytes),
        filename: v.filename ?? basename(file!),
        content_type: v["content-type"],
      });
      for (let i = 0; v.wait && u.content_scan_status === "pending" && i < 120; i++) {
        await new Promise((r) => setTimeout(r, 500));
        u = await client.attachments.getUpload(u.id);
      }
      ctx.print(u, () => uploadText(u));
      return u.content_scan_status === "error" ? 1 : 0;
    },
  }),
  command({
    path: "attachments get",
    args: "<upload id>",
    summary: "an upload handle: its scan, and whether a send consumed it",
    run: async (ctx, { positionals: [id] }) => {
      const u = await ctx.client().attachments.getUpload(id!);
      ctx.print(u, () => uploadText(u));
    },
  }),
  command({
    path: "attachments delete",
    args: "<upload id>",
    summary: "delete an upload handle not yet sent",
    run: async (ctx, { positionals: [id] }) => {
      const r = await ctx.client().attachments.deleteUpload(id!);
      ctx.print(r, () => `deleted ${r.id}`);
    },
  }),
  command({
    path: "attachments url",
    args: "<message id> <index>",
    summary: "a signed download URL for a message's attachment (5 minutes, no key needed)",
    run: async (ctx, { positionals: [id, index] }) => {
      const r = await ctx.client().attachments.getDownloadUrl(id!, indexOf(index));
      ctx.print(
        r,
        () =>
          `${r.url}\n(${r.filename ?? "unnamed"}, ${r.content_type}, ${r.size} bytes, until ${r.expires_at})`,
      );
    },
  }),
  command({
    path: "attachments download",
    args: "<message id> <index>",
    summary: "a message's attachment, byte for byte (to --output, or stdout)",
    options: { output: { type: "string", short: "o", value: "file", help: "write the bytes here" } },
    run: async (ctx, { values: v, positionals: [id, index] }) => {
      const bytes = await ctx.client().attachments.download(id!, indexOf(index));
      if (v.output) {
        await writeFile(v.output, bytes);
        ctx.print(
          { output: v.output, size: bytes.length },
          () => `wrote ${bytes.length} bytes to ${v.output}`,
        );
      } else ctx.io.stdout.write(bytes);
    },
  }),
  command({
    path: "attachments preview",
    args: "<message id> <index>",
    summary: "the extracted text of a message's attachment (never its bytes)",
    run: async (ctx, { positionals: [id, index] }) => {
      const r = await ctx.client().attachments.getPreview(id!, indexOf(index));
      const p = r.preview;
      ctx.print(
        r,
        () =>
          `${p.content}${p.truncated ? `\n[truncated: ${p.returned_char_count} of ${p.char_count} characters]` : ""}`,
      );
    },
  }),
];
