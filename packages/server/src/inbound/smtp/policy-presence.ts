import type { Db } from "../../store/db.ts";
import { mailboxesWithPolicy } from "../../store/policies.ts";

/**
 * Which mailboxes have a policy, remembered for a second: a flood costs one lookup per interval. A policy set
 * within that second is still applied — after acceptance, by the pipeline — only not before the reply.
 */
export function cachedPolicyPresence(db: Db, cacheMs = 1000) {
  const known = new Map<string, { has: boolean; until: number }>();
  return async (mailboxIds: string[]): Promise<boolean> => {
    const now = Date.now();
    const unknown = mailboxIds.filter((id) => (known.get(id)?.until ?? 0) <= now);
    if (unknown.length > 0) {
      const found = await mailboxesWithPolicy(db, unknown);
      if (known.size > 10_000) known.clear();
      for (const id of unknown) known.set(id, { has: found.has(id), until: now + cacheMs });
    }
    return mailboxIds.some((id) => known.get(id)?.has);
  };
}
