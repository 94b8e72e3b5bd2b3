const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses "1m,5m,15m,1h,4h" into milliseconds; the last step repeats until the delivery expires. */
export function parseSchedule(text: string): number[] {
  return text.split(",").map((part) => {
    const m = /^\s*(\d+)([smhd])\s*$/.exec(part);
    if (!m) throw new Error(`bad retry step "${part}"`);
    return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  });
}

/** When to try again after `attempts` failed attempts, or null when the delivery has expired. */
export function nextAttemptAt(opts: {
  schedule: number[];
  attempts: number;
  now: Date;
  firstQueuedAt: Date;
  maxAgeMs: number;
}): Date | null {
  const step = opts.schedule[Math.min(Math.max(opts.attempts - 1, 0), opts.schedule.length - 1)]!;
  const next = new Date(opts.now.getTime() + step);
  if (next.getTime() - opts.firstQueuedAt.getTime() > opts.maxAgeMs) return null;
  return next;
}
