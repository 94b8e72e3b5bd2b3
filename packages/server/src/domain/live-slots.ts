/**
 * Counts long-lived requests (event streams, long-polls) per API key and per account against two caps.
 * In memory, so the counts are per process.
 */
export interface LiveSlots {
  /** Takes a slot, or says which cap is full. The release function is idempotent. */
  acquire(apiKeyId: string, accountId: string): { release: () => void } | { full: "key" | "account" };
  /** Slots taken now. */
  open(): number;
}

export function createLiveSlots(caps: { perKey: number; perAccount: number }): LiveSlots {
  const byKey = new Map<string, number>();
  const byAccount = new Map<string, number>();
  let total = 0;
  const bump = (m: Map<string, number>, k: string, d: number) => {
    const n = (m.get(k) ?? 0) + d;
    if (n > 0) m.set(k, n);
    else m.delete(k);
  };
  return {
    acquire(apiKeyId, accountId) {
      if ((byKey.get(apiKeyId) ?? 0) >= caps.perKey) return { full: "key" };
      if ((byAccount.get(accountId) ?? 0) >= caps.perAccount) return { full: "account" };
      bump(byKey, apiKeyId, 1);
      bump(byAccount, accountId, 1);
      total++;
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          bump(byKey, apiKeyId, -1);
          bump(byAccount, accountId, -1);
          total--;
        },
      };
    },
    open: () => total,
  };
}
