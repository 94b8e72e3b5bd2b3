import { type Clock, systemClock } from "../domain/clock.ts";
import { redactEventData } from "../domain/event-redaction.ts";
import { envelope, eventIdOf } from "../domain/webhook-envelope.ts";
import { DISABLE_AFTER_ABANDONED, nextAfterAttempt, webhookErrorOf } from "../domain/webhook-retry.ts";
import { agentpackSignatureHeaders, signatureHeader } from "../domain/webhook-signature.ts";
import { createWorkLoop, type WorkLoop } from "../jobs/runner.ts";
import type { Logger } from "../platform/logger.ts";
import type { Metrics } from "../platform/metrics.ts";
import { Channel } from "../store/channels.ts";
import type { Db } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import {
  type ClaimedWebhookDelivery,
  claimWebhookDeliveries,
  claimWebhookDelivery,
  type DeliveryRow,
  disableWebhook,
  finishWebhookDelivery,
  getDelivery,
  secondsUntilNextWebhookChange,
  secondsUntilNextWebhookDue,
} from "../store/webhooks.ts";
import { createWebhookPoster } from "./post.ts";

/** Requests one process has in flight at most, and at most for one account (all its webhooks together). */
export const CONCURRENCY = 16;
export const ACCOUNT_CONCURRENCY = 4;
const MAX_SLEEP_MS = 30_000;

export interface WebhookDispatcherDeps {
  db: Db;
  logger: Logger;
  /** Milliseconds between attempts, one step per failed attempt; past the end a delivery is abandoned. */
  schedule: number[];
  timeoutMs: number;
  allowPrivate: boolean;
  clock?: Clock;
  metrics?: Pick<Metrics, "webhookAttempt">;
}

export interface WebhookDispatcher extends WorkLoop {
  /** Attempts one pending delivery now (the test endpoint); returns it as it stands afterwards. */
  deliverNow(id: string, webhookId: string): Promise<DeliveryRow | null>;
}

/** The body a delivery sends: the event as an envelope, redacted when its mailbox is in redacted mode. */
export function bodyOf(d: ClaimedWebhookDelivery): string {
  if (d.payload) return JSON.stringify(d.payload);
  const data = { ...(d.event_mailbox_id ? { mailbox_id: d.event_mailbox_id } : {}), ...d.event_data };
  return JSON.stringify(
    envelope({
      id: eventIdOf(d.event_id!),
      type: d.event_type,
      createdAt: d.event_created_at!,
      data: d.pii_mode === "redacted" ? redactEventData(d.event_type, data) : data,
    }),
  );
}

export function createWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { db, logger } = deps;
  const clock = deps.clock ?? systemClock;
  // Long enough that a delivery in flight (at most timeoutMs) is never claimed twice.
  const leaseSeconds = Math.ceil(deps.timeoutMs / 1000) + 5;
  // Connections are kept alive per target across deliveries; each new one is checked again.
  const poster = createWebhookPoster({ timeoutMs: deps.timeoutMs, allowPrivate: deps.allowPrivate });

  async function attempt(d: ClaimedWebhookDelivery): Promise<void> {
    const body = bodyOf(d);
    const secrets = [d.secret];
    if (d.previous_secret && d.previous_secret_until && new Date(d.previous_secret_until) > clock.now())
      secrets.push(d.previous_secret);
    const eventId = d.event_id ? eventIdOf(d.event_id) : String((d.payload as { id?: string }).id);
    const now = clock.now().getTime() / 1000;
    const signature = signatureHeader(body, secrets, now);
    const result = await poster.post(d.url, body, {
      "user-agent": "Postbox-Webhooks/1",
      "x-postbox-signature": signature,
      // The seed's header name, same scheme: receivers written for that system verify Postbox's deliveries.
      "x-replylayer-signature": signature,
      "x-postbox-event": d.event_type,
      "x-postbox-event-id": eventId,
      "x-postbox-delivery": d.id,
      ...(d.signature_scheme === "agentpack" ? agentpackSignatureHeaders(body, secrets, now) : {}),
    });
    const next = nextAfterAttempt(result, d.attempts, deps.schedule);
    deps.metrics?.webhookAttempt(next.state === "pending" ? "retry" : next.state, result.status);
    await db.tx(async (sql) => {
      const finished = await finishWebhookDelivery(
        sql,
        { id: d.id, attempts: d.attempts, webhookId: d.webhook_id },
        {
          state: next.state,
          status: result.status,
          error: next.state === "failed" ? next.reason : result.error,
          retryAt: next.state === "pending" ? new Date(clock.now().getTime() + next.retryInMs) : null,
          webhookError: webhookErrorOf(result, next),
        },
      );
      if (!finished) {
        logger.warn("webhook delivery lease lost before completion", { delivery_id: d.id });
        return;
      }
      if (finished.streak >= DISABLE_AFTER_ABANDONED) {
        const last = result.status === null ? (result.error ?? "network error") : `HTTP ${result.status}`;
        const reason = `${finished.streak} deliveries in a row were abandoned; the last: ${last}`;
        const w = await disableWebhook(sql, d.webhook_id, reason);
        if (w)
          await appendEvent(sql, {
            accountId: w.account_id,
            mailboxId: null,
            type: "webhook.disabled",
            data: { webhook_id: w.id, url: w.url, disabled_reason: reason },
          });
      }
    });
  }

  // Requests in flight, in total and per account. A slow or silent endpoint holds at most ACCOUNT_CONCURRENCY
  // slots; the rest stay free for other accounts.
  let running = 0;
  let stopping = false;
  const busy = new Map<string, number>();
  // Set when a slot frees up or new work is announced; the pass waits on it.
  let signalled = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    signalled = true;
    wake?.();
  };

  function start(d: ClaimedWebhookDelivery) {
    running++;
    busy.set(d.account_id, (busy.get(d.account_id) ?? 0) + 1);
    void attempt(d)
      .catch((err) =>
        logger.error("webhook delivery failed unexpectedly", { delivery_id: d.id, err: String(err) }),
      )
      .finally(() => {
        running--;
        const n = (busy.get(d.account_id) ?? 1) - 1;
        if (n > 0) busy.set(d.account_id, n);
        else busy.delete(d.account_id);
        signal();
      });
  }

  /** Keeps the slots filled, claiming again whenever one frees up or work arrives; ends when nothing is left. */
  async function pass(): Promise<void> {
    for (;;) {
      signalled = false;
      const free = stopping ? 0 : CONCURRENCY - running;
      let claimed: ClaimedWebhookDelivery[] = [];
      try {
        if (free > 0)
          claimed = await claimWebhookDeliveries(db, {
            limit: free,
            leaseSeconds,
            perAccount: ACCOUNT_CONCURRENCY,
            busy,
          });
      } catch (err) {
        // With requests in flight, try again when one finishes rather than leave them unwatched.
        if (running === 0) throw err;
        logger.error("webhook claim failed", { err: String(err) });
      }
      for (const d of claimed) start(d);
      if (running === 0) return;
      if (signalled) continue;
      // Also wake when a scheduled retry falls due, so it does not wait for a slow request to end.
      const s = await secondsUntilNextWebhookChange(db).catch(() => null);
      const ms = Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil((s ?? MAX_SLEEP_MS / 1000) * 1000)));
      if (signalled) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  const loop = createWorkLoop({
    name: "webhooks",
    db,
    channel: Channel.webhooks,
    logger,
    pass,
    onWakeDuringPass: signal,
    nextDelayMs: async () => {
      const s = await secondsUntilNextWebhookDue(db);
      return s === null ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil(s * 1000)));
    },
  });

  return {
    ...loop,
    async start() {
      stopping = false;
      await loop.start();
    },
    /** Claims nothing more and waits for the requests in flight (each bounded by timeoutMs). */
    async stop() {
      stopping = true;
      signal();
      await loop.stop();
      poster.close();
    },
    async deliverNow(id, webhookId) {
      const d = await claimWebhookDelivery(db, id, leaseSeconds);
      if (d) await attempt(d);
      return getDelivery(db, webhookId, id);
    },
  };
}
