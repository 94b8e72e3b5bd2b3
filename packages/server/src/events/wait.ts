import type { Principal } from "../domain/principal.ts";
import type { Sql } from "../store/db.ts";
import { type MailboxRow, mailboxInboundSeq } from "../store/mailboxes.ts";
import { inboundSeqBefore, type MessageRow, nextInbound } from "../store/messages.ts";
import { mailboxFor } from "../tenancy/access.ts";
import type { MailboxWakeups } from "./wakeups.ts";

/**
 * The long-poll use-case: waits for the next inbound message of a mailbox the principal may read. When the key
 * changed while waiting (revoked, rebound), its access is checked again, as `current()` now resolves it, before
 * anything is handed back.
 */
export async function waitInMailbox(
  deps: { db: Sql; wakeups: MailboxWakeups },
  p: Principal,
  mailbox: string,
  opts: {
    /** A position (a cursor's sequence), or a moment: the next arrival after it. */
    since: number | Date | null;
    timeoutMs: number;
    signal: AbortSignal;
    keyChanged: () => boolean;
    current: () => Promise<Principal>;
  },
): Promise<{ mailbox: MailboxRow; message: MessageRow | null; cursor: number }> {
  const mb = await mailboxFor(deps.db, p, mailbox);
  const since =
    opts.since instanceof Date
      ? ((await inboundSeqBefore(deps.db, mb.id, opts.since)) ?? (await mailboxInboundSeq(deps.db, mb.id)))
      : opts.since;
  const result = await waitForInbound(deps, { mailboxId: mb.id, ...opts, since });
  if (opts.keyChanged()) await mailboxFor(deps.db, await opts.current(), mb.id);
  return { mailbox: mb, ...result };
}

/**
 * Long-poll: subscribe first, then query, so an arrival between the two still wakes us.
 * Woken by the database notification of a commit (from any process), never by polling.
 */
export async function waitForInbound(
  deps: { db: Sql; wakeups: MailboxWakeups },
  opts: { mailboxId: string; since: number | null; timeoutMs: number; signal: AbortSignal },
): Promise<{ message: MessageRow | null; cursor: number }> {
  const deadline = Date.now() + opts.timeoutMs;
  let wake: () => void = () => {};
  const unsubscribe = deps.wakeups.subscribe(opts.mailboxId, () => wake());
  try {
    let after = opts.since;
    if (after === null) {
      const unread = await nextInbound(deps.db, opts.mailboxId, null);
      if (unread) return { message: unread, cursor: unread.inbound_seq! };
      after = await mailboxInboundSeq(deps.db, opts.mailboxId);
    }
    for (;;) {
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const msg = await nextInbound(deps.db, opts.mailboxId, after);
      if (msg) return { message: msg, cursor: msg.inbound_seq! };
      const remaining = deadline - Date.now();
      if (remaining <= 0 || opts.signal.aborted) return { message: null, cursor: after };
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      await Promise.race([
        woken,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
        new Promise<void>((resolve) => {
          onAbort = resolve;
          opts.signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (onAbort) opts.signal.removeEventListener("abort", onAbort);
    }
  } finally {
    unsubscribe();
  }
}
