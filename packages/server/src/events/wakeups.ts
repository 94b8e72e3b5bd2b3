import { Channel } from "../store/channels.ts";
import type { Db } from "../store/db.ts";

/**
 * One LISTEN per process fans notifications out to in-memory waiters keyed by mailbox id.
 * A waiter is a callback; it is removed when the caller's wait ends.
 */
export interface MailboxWakeups {
  subscribe(mailboxId: string, fn: () => void): () => void;
  /** How many waits are open in this process. */
  count(): number;
  close(): Promise<void>;
}

export async function createMailboxWakeups(db: Db): Promise<MailboxWakeups> {
  return createWakeups(db, Channel.inbound);
}

/** Waiters keyed by the notification's payload (a mailbox id, an account id) on one channel. */
export async function createWakeups(db: Db, channel: string): Promise<MailboxWakeups> {
  const waiters = new Map<string, Set<() => void>>();
  const unlisten = await db.listen(channel, (mailboxId) => {
    // An empty payload means the listener reconnected and may have missed something: wake everyone.
    const targets = mailboxId ? [waiters.get(mailboxId)] : [...waiters.values()];
    for (const set of targets) for (const fn of set ?? []) fn();
  });
  return {
    subscribe(mailboxId, fn) {
      let set = waiters.get(mailboxId);
      if (!set) {
        set = new Set();
        waiters.set(mailboxId, set);
      }
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0) waiters.delete(mailboxId);
      };
    },
    count: () => {
      let n = 0;
      for (const set of waiters.values()) n += set.size;
      return n;
    },
    close: unlisten,
  };
}
