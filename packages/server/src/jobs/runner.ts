import type { Logger } from "../platform/logger.ts";
import type { Db } from "../store/db.ts";

/** A background worker: start, stop, and drain (run until nothing is left now — used by tests). */
export interface WorkLoop {
  start(): Promise<void>;
  stop(): Promise<void>;
  drain(): Promise<void>;
}

/**
 * Runs `pass` when a notification arrives on `channel`, and again `nextDelayMs()` after the last pass (to pick
 * up expired leases and scheduled retries). Wake-ups during a pass coalesce into one more pass.
 */
export function createWorkLoop(opts: {
  name: string;
  db: Db;
  channel: string;
  logger: Logger;
  /** One pass over due work; a long pass checks `isRunning` between steps so that stop() is not held up. */
  pass: (isRunning: () => boolean) => Promise<void>;
  nextDelayMs: () => Promise<number>;
  /** Called on a wake-up that arrives during a pass, for passes that keep running and take new work as it comes. */
  onWakeDuringPass?: () => void;
}): WorkLoop {
  let running = false;
  let current: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let unlisten: (() => Promise<void>) | null = null;

  async function schedule(): Promise<void> {
    if (!running) return;
    const delay = await opts.nextDelayMs().catch(() => 30_000);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void kick(), delay);
    timer.unref();
  }

  function kick(): Promise<void> {
    if (current) {
      again = true;
      opts.onWakeDuringPass?.();
      return current;
    }
    current = (async () => {
      do {
        again = false;
        await opts
          .pass(() => running)
          .catch((err) => opts.logger.error(`${opts.name} pass failed`, { err: String(err) }));
      } while (again && running);
      await schedule();
    })().finally(() => {
      current = null;
    });
    return current;
  }

  return {
    async start() {
      running = true;
      unlisten = await opts.db.listen(opts.channel, () => void kick());
      void kick();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await unlisten?.();
      await current;
    },
    async drain() {
      await kick();
      while (current) await current;
    },
  };
}
