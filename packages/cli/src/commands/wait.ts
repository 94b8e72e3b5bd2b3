import { ConnectionError, type PostboxError, type WaitParams, type WaitResult } from "@postbox/sdk";
import { command } from "../command.ts";
import type { Context } from "../context.ts";
import { int } from "../values.ts";
import { messageText } from "./messages.ts";

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** The longest single long-poll; the server allows 60 s. */
const POLL_SECONDS = 30;

/** Worth asking again: the server went away or failed for a moment. */
const transient = (err: unknown): err is PostboxError =>
  err instanceof ConnectionError ||
  (err instanceof Error && "status" in err && typeof err.status === "number" && err.status >= 500);

export const waitCommand = command({
  path: "wait",
  args: "<mailbox>",
  summary: "wait for inbound messages, following the cursor",
  help: [
    "Long-polls the mailbox and prints each message as it arrives, until --count messages came or --timeout",
    "seconds passed. Without --since it starts with the oldest unread message.",
    "",
    "With --json each message is one line, the API's wait answer {message, cursor}; a wait that ends at the",
    'timeout ends with {"message": null, "cursor": ...}. The last line\'s cursor is where to resume (--since).',
    "A timeout is not an error (exit 0). A server that goes away after answering (a restart) is asked again until",
    "the timeout; one that cannot be reached at the start, or never comes back, is exit 4.",
    "",
    "--from, --subject-contains and --thread wait for messages that match them all. The messages passed over stay",
    "unread (a wait without --since still shows them), but the cursor printed is past them: resume the same",
    "filtered wait with it, not an unfiltered one. A printed message shows the verification codes and links",
    "found in it (docs/verification.md); with --json they are the message's `verification`.",
    "",
    "Examples:",
    "  postbox wait support                         the next message (at most 30 s)",
    "  postbox wait support --count 0 --timeout 0 --json | jq .message.subject",
    "                                               every message, as it comes, until Ctrl-C",
    "  postbox wait support --from no-reply@example.com --subject-contains code --since $(date -u +%FT%TZ) \\",
    "    --json | jq -r '.message.verification.codes[0].value'",
    "                                               the code of the sign-in mail you are about to cause",
  ].join("\n"),
  options: {
    count: { type: "string", value: "n", help: "stop after n messages (default 1; 0: no limit)" },
    timeout: { type: "string", value: "seconds", help: "stop after this long (default 30; 0: no limit)" },
    since: { type: "string", value: "cursor", help: "only messages after this cursor (or ISO 8601 time)" },
    from: {
      type: "string",
      value: "address",
      help: "only mail from this address (any case), or from any sender at @domain",
    },
    "subject-contains": {
      type: "string",
      value: "text",
      help: "only mail whose subject contains this (any case)",
    },
    thread: { type: "string", value: "id", help: "only mail in this thread" },
  },
  run: async (ctx, { values: v, positionals: [mailbox] }) => {
    const count = int(v.count, "count", 0, 1_000_000) ?? 1;
    const timeout = int(v.timeout, "timeout", 0, 31 * 86400) ?? 30;
    await follow(ctx, mailbox!, {
      count,
      timeout,
      since: v.since,
      filter: { from: v.from, subjectContains: v["subject-contains"], threadId: v.thread },
    });
  },
});

async function follow(
  ctx: Context,
  mailbox: string,
  opts: {
    count: number;
    timeout: number;
    since?: string;
    filter: Pick<WaitParams, "from" | "subjectContains" | "threadId">;
  },
): Promise<void> {
  const api = ctx.client();
  const deadline = opts.timeout > 0 ? Date.now() + opts.timeout * 1000 : Number.POSITIVE_INFINITY;
  let cursor = opts.since;
  let seen = 0;
  let failure: PostboxError | null = null;
  let delay = 0.5;
  let answered = false;
  for (;;) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) break;
    let res: WaitResult;
    try {
      res = await api.messages.wait(mailbox, {
        timeout: Math.min(POLL_SECONDS, left),
        since: cursor,
        ...opts.filter,
      });
    } catch (err) {
      // Only a server that answered before is waited for (a restart); one never reached is an error now.
      if (!answered || !transient(err)) throw err;
      failure = err;
      ctx.note(`postbox: ${err.message} (${err.code}); trying again`);
      await sleep(Math.min(delay, Math.max(0, (deadline - Date.now()) / 1000)));
      delay = Math.min(delay * 2, 8);
      continue;
    }
    failure = null;
    answered = true;
    delay = 0.5;
    cursor = res.cursor;
    if (!res.message) continue;
    seen++;
    if (ctx.json) ctx.line(res);
    else {
      // wait answers a summary; a person reading along wants the whole text.
      const full = await api.messages.get(res.message.id);
      ctx.io.stdout.write(`${seen > 1 ? `\n${"-".repeat(60)}\n` : ""}${messageText(full)}\n`);
    }
    if (opts.count > 0 && seen >= opts.count) return;
  }
  // The server stayed away to the end: say so (exit 4) rather than report an empty mailbox.
  if (failure) throw failure;
  if (ctx.json) ctx.line({ message: null, cursor: cursor ?? null });
  else if (seen === 0)
    ctx.io.stdout.write(
      `no message within ${opts.timeout}s${cursor ? ` (resume with --since ${cursor})` : ""}\n`,
    );
  else ctx.note(`${seen} message${seen === 1 ? "" : "s"}; resume with --since ${cursor}`);
}
