import type { Clock } from "../domain/clock.ts";
import type { Sql } from "../store/db.ts";
import { queueDepth } from "../store/deliveries.ts";

export type QueueDepth = Awaited<ReturnType<typeof queueDepth>>;

/** Load balancers poll health often: the queue depth is read at most once a second per process. */
const QUEUE_CACHE_MS = 1000;

/**
 * The work waiting in the queues, read through a short cache; null when the database cannot answer (the next
 * check asks it again).
 */
export function createQueueHealth(deps: { db: Sql; clock: Clock }): () => Promise<QueueDepth | null> {
  let cached: { at: number; queue: QueueDepth } | null = null;
  return async () => {
    try {
      const now = deps.clock.now().getTime();
      if (!cached || now - cached.at > QUEUE_CACHE_MS) cached = { at: now, queue: await queueDepth(deps.db) };
      return cached.queue;
    } catch {
      cached = null;
      return null;
    }
  };
}
