import type { Logger } from "../platform/logger.ts";

/**
 * Runs a job at start and then every `intervalMs` in this process; a failure is logged and the next run
 * retries. `stop` waits for a run in progress.
 */
export function startPeriodic(
  name: string,
  job: () => Promise<void>,
  logger: Logger,
  intervalMs: number,
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = job().catch((err) => logger.error(`${name} failed; will retry`, { err: String(err) }));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
