import { subjectFallbackApplies, subjectKey, threadLookupIds } from "./thread-keys.ts";

/** A message to be placed, in arrival order. */
export interface ThreadCandidate {
  internetMessageId: string | null;
  subject: string | null;
  inReplyTo: string | null;
  references: string[];
  sender: string | null;
  participants: string[];
  /** Set for replies we send: their thread is already known. */
  knownThreadId?: string | null;
}

/** What the database already knows, fetched in one go before planning. */
export interface ThreadContext {
  /** internet message id → thread id, for ids the batch refers to. */
  threadByMessageId: Map<string, string>;
  /** Recent threads of the mailbox whose subject key some batch member has, newest first. */
  recentBySubject: { id: string; subjectKey: string; participants: string[] }[];
}

export interface ThreadPlan {
  /** Thread id per candidate, same order. */
  threadIds: string[];
  newThreads: { id: string; subject: string; subjectKey: string; participants: string[]; count: number }[];
  /** Existing threads that gain messages. */
  grown: { id: string; participants: string[]; count: number }[];
}

/**
 * Places a batch of messages into threads: by In-Reply-To / References (earlier members of the batch count),
 * then — for reply-looking mail only — by subject among recent threads the sender takes part in, else a new
 * thread. Pure: the ids of new threads come from `newId`.
 */
export function planThreads(batch: ThreadCandidate[], ctx: ThreadContext, newId: () => string): ThreadPlan {
  const byMessageId = new Map(ctx.threadByMessageId);
  const bySubject = ctx.recentBySubject.map((t) => ({ ...t, participants: new Set(t.participants) }));
  const fresh = new Map<string, ThreadPlan["newThreads"][number]>();
  const grown = new Map<string, { id: string; participants: Set<string>; count: number }>();
  const threadIds: string[] = [];

  for (const m of batch) {
    const participants = [...new Set(m.participants.map((p) => p.toLowerCase()))];
    const key = subjectKey(m.subject);
    let id = m.knownThreadId ?? null;
    if (!id) {
      for (const ref of threadLookupIds(m.inReplyTo, m.references)) {
        id = byMessageId.get(ref) ?? null;
        if (id) break;
      }
    }
    if (!id && m.sender && subjectFallbackApplies(m)) {
      const sender = m.sender.toLowerCase();
      id = bySubject.find((t) => t.subjectKey === key && t.participants.has(sender))?.id ?? null;
    }
    if (id) {
      const f = fresh.get(id);
      if (f) {
        f.count++;
        f.participants = [...new Set([...f.participants, ...participants])];
      } else {
        const g = grown.get(id) ?? { id, participants: new Set<string>(), count: 0 };
        g.count++;
        for (const p of participants) g.participants.add(p);
        grown.set(id, g);
      }
    } else {
      id = newId();
      fresh.set(id, { id, subject: m.subject ?? "", subjectKey: key, participants, count: 1 });
    }
    threadIds.push(id);
    if (m.internetMessageId) byMessageId.set(m.internetMessageId, id);
    // Later members of the batch can fall back to this thread by subject, newest first.
    const entry = bySubject.find((t) => t.id === id);
    if (entry) for (const p of participants) entry.participants.add(p);
    else bySubject.unshift({ id, subjectKey: key, participants: new Set(participants) });
  }
  return {
    threadIds,
    newThreads: [...fresh.values()],
    grown: [...grown.values()].map((g) => ({ id: g.id, participants: [...g.participants], count: g.count })),
  };
}
