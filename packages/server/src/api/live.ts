import type { ServerResponse } from "node:http";
import { AppError } from "../domain/errors.ts";
import { createLiveSlots, type LiveSlots } from "../domain/live-slots.ts";
import type { Principal } from "../domain/principal.ts";
import type { Config } from "../platform/config.ts";

/** A 429 for a full cap says when to look again, long enough that the SDK's retries do not hammer. */
const RETRY_AFTER_SECONDS = 5;

/** The long-lived requests of one API process: event streams and long-polls, their caps and their shutdown. */
export interface LiveRequests {
  /** Aborted when the server starts closing: streams end and long-polls answer at once. */
  readonly closing: AbortSignal;
  readonly streams: LiveSlots;
  readonly waits: LiveSlots;
  /** Takes a slot for a stream or a long-poll of this key, or throws the 429 naming the full cap. */
  take(kind: "stream" | "wait", p: Principal): () => void;
  /** Follows a long-lived response until it closes, so a shutdown can wait for it to end. */
  track(res: ServerResponse): void;
  /** Aborts `closing`, gives tracked responses up to `graceMs` to finish, then cuts what is left. */
  close(graceMs: number): Promise<void>;
}

export function createLiveRequests(config: Config): LiveRequests {
  const closing = new AbortController();
  const streams = createLiveSlots({
    perKey: config.maxStreamsPerKey,
    perAccount: config.maxStreamsPerAccount,
  });
  const waits = createLiveSlots({ perKey: config.maxWaitsPerKey, perAccount: config.maxWaitsPerAccount });
  const open = new Set<ServerResponse>();
  let drained: (() => void) | null = null;

  return {
    closing: closing.signal,
    streams,
    waits,
    take(kind, p) {
      const slot = (kind === "stream" ? streams : waits).acquire(p.apiKeyId, p.accountId);
      if ("release" in slot) return slot.release;
      const [what, code, perKey, perAccount, variable] =
        kind === "stream"
          ? [
              "event streams",
              "STREAM_LIMIT_REACHED",
              config.maxStreamsPerKey,
              config.maxStreamsPerAccount,
              "STREAMS",
            ]
          : [
              "pending waits",
              "WAIT_LIMIT_REACHED",
              config.maxWaitsPerKey,
              config.maxWaitsPerAccount,
              "WAITS",
            ];
      const cap =
        slot.full === "key"
          ? `${perKey} per API key (POSTBOX_MAX_${variable}_PER_KEY)`
          : `${perAccount} per account (POSTBOX_MAX_${variable}_PER_ACCOUNT)`;
      throw new AppError(
        "rate_limited",
        code,
        `too many open ${what}: at most ${cap} on this server; close one you no longer need, or share one between consumers`,
        { limit: slot.full === "key" ? perKey : perAccount, scope: slot.full },
        RETRY_AFTER_SECONDS,
      );
    },
    track(res) {
      open.add(res);
      res.once("close", () => {
        open.delete(res);
        if (open.size === 0) drained?.();
      });
    },
    async close(graceMs) {
      closing.abort();
      if (open.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      for (const res of open) res.destroy();
    },
  };
}
