import type { Principal } from "../domain/principal.ts";
import type { Sql } from "../store/db.ts";
import { type MailboxRow, mailboxInboundSeq } from "../store/mailboxes.ts";
import { type InboundFilter, inboundSeqBefore, type MessageRow, nextInbound } from "../store/messages.ts";
import { mailboxFor } from "../tenancy/access.ts";
import { piiViewOf, redactorOf } from "../tenancy/pii-settings.ts";
import type { MailboxWakeups } from "./wakeups.ts";

/** What a wait may ask of the message it returns (all given conditions hold); docs/verification.md. */
export interface WaitFilter {
  /** The sender's address, any case; `@example.com` for any sender at exactly that domain. */
  from?: string;
  /** A part of the subject as the caller is shown it, any case. */
  subjectContains?: string;
  threadId?: string;
}

/** How many candidates a filter checked outside SQL reads at a time. */
const BATCH = 50;

/**
 * The long-poll use-case: waits for the next inbound message of a mailbox the principal may read that passes the
 * filter. When the key changed while waiting (revoked, rebound), its access is checked again, as `current()` now
 * resolves it, before anything is handed back.
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
    filter?: WaitFilter;
  },
): Promise<{ mailbox: MailboxRow; message: MessageRow | null; cursor: number }> {
  const mb = await mailboxFor(deps.db, p, mailbox);
  const since =
    opts.since instanceof Date
      ? ((await inboundSeqBefore(deps.db, mb.id, opts.since)) ?? (await mailboxInboundSeq(deps.db, mb.id)))
      : opts.since;
  const f = opts.filter ?? {};
  // A redacting mailbox shows subjects redacted: the subject is matched as shown, never by what it withholds.
  const redact = f.subjectContains ? redactorOf(await piiViewOf(deps.db, mb)) : null;
  const wanted = f.subjectContains?.toLowerCase();
  const result = await waitForInbound(deps, {
    mailboxId: mb.id,
    ...opts,
    since,
    filter: { from: f.from, threadId: f.threadId, subjectContains: redact ? undefined : f.subjectContains },
    accept:
      redact && wanted !== undefined
        ? (m) =>
            redact(m.subject ?? "")
              .toLowerCase()
              .includes(wanted)
        : undefined,
  });
  if (opts.keyChanged()) await mailboxFor(deps.db, await opts.current(), mb.id);
  return { mailbox: mb, ...result };
}

/**
 * Long-poll: subscribe first, then query, so an arrival between the two still wakes us.
 * Woken by the database notification of a commit (from any process), never by polling.
 *
 * The cursor returned is the matching message's position, or at the timeout the last position examined: a filtered
 * wait moves past the messages it skipped. They stay unread and listed; a wait without `since` still finds them.
 */
export async function waitForInbound(
  deps: { db: Sql; wakeups: MailboxWakeups },
  opts: {
    mailboxId: string;
    since: number | null;
    timeoutMs: number;
    signal: AbortSignal;
    /** Conditions SQL checks. */
    filter?: Omit<InboundFilter, "unread">;
    /** A condition checked on each row SQL let through (the redacted subject). */
    accept?: (m: MessageRow) => boolean;
  },
): Promise<{ message: MessageRow | null; cursor: number }> {
  const deadline = Date.now() + opts.timeoutMs;
  const filter = opts.filter ?? {};
  const accept = opts.accept;
  /** The first passing message after `after` (or the oldest unread one), and the last position looked at. */
  const scan = async (after: number | null, unread: boolean) => {
    let last = after;
    for (;;) {
      const rows = await nextInbound(
        deps.db,
        opts.mailboxId,
        last,
        { ...filter, unread },
        accept ? BATCH : 1,
      );
      for (const r of rows) {
        if (!accept || accept(r)) return { message: r, last };
        last = r.inbound_seq!;
      }
      if (!accept || rows.length < BATCH) return { message: null, last };
    }
  };
  let wake: () => void = () => {};
  const unsubscribe = deps.wakeups.subscribe(opts.mailboxId, () => wake());
  try {
    let after = opts.since;
    if (after === null) {
      // The position first: whatever commits after it is found by the loop below, whatever before by this scan.
      after = await mailboxInboundSeq(deps.db, opts.mailboxId);
      const unread = await scan(null, true);
      if (unread.message) return { message: unread.message, cursor: unread.message.inbound_seq! };
    }
    for (;;) {
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const next = await scan(after, false);
      if (next.message) return { message: next.message, cursor: next.message.inbound_seq! };
      after = next.last!;
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
