import { redactEventData } from "../domain/event-redaction.ts";
import { DISABLE_AFTER_ABANDONED, envelope, eventIdOf, nextAfterAttempt } from "../domain/webhook-outcome.ts";
import { signatureHeader } from "../domain/webhook-signature.ts";
import { appendEvent, Channel } from "../events/log.ts";
import { createWorkLoop, type WorkLoop } from "../events/work-loop.ts";
import type { Logger } from "../platform/logger.ts";
import type { Db } from "../store/db.ts";
import {
  type ClaimedWebhookDelivery,
  claimWebhookDeliveries,
  type DeliveryRow,
  disableWebhook,
  finishWebhookDelivery,
  getDelivery,
  secondsUntilNextWebhookDue,
} from "../store/webhooks.ts";
import { postWebhook } from "./post.ts";

const BATCH = 50;
const CONCURRENCY = 16;
const MAX_SLEEP_MS = 30_000;

export interface WebhookDispatcherDeps {
  db: Db;
  logger: Logger;
  /** Milliseconds between attempts, one step per failed attempt; past the end a delivery is abandoned. */
  schedule: number[];
  timeoutMs: number;
  allowPrivate: boolean;
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
  // Long enough that a delivery in flight (at most timeoutMs) is never claimed twice.
  const leaseSeconds = Math.ceil(deps.timeoutMs / 1000) + 5;

  async function attempt(d: ClaimedWebhookDelivery): Promise<void> {
    const body = bodyOf(d);
    const secrets = [d.secret];
    if (d.previous_secret && d.previous_secret_until && new Date(d.previous_secret_until) > new Date())
      secrets.push(d.previous_secret);
    const eventId = d.event_id ? eventIdOf(d.event_id) : String((d.payload as { id?: string }).id);
    const result = await postWebhook(
      d.url,
      body,
      {
        "user-agent": "Postbox-Webhooks/1",
        "x-postbox-signature": signatureHeader(body, secrets, Date.now() / 1000),
        "x-postbox-event": d.event_type,
        "x-postbox-event-id": eventId,
        "x-postbox-delivery": d.id,
      },
      { timeoutMs: deps.timeoutMs, allowPrivate: deps.allowPrivate },
    );
    const next = nextAfterAttempt(result, d.attempts, deps.schedule);
    await db.tx(async (sql) => {
      const finished = await finishWebhookDelivery(
        sql,
        { id: d.id, attempts: d.attempts, webhookId: d.webhook_id },
        {
          state: next.state,
          status: result.status,
          error: next.state === "failed" ? next.reason : result.error,
          retryAt: next.state === "pending" ? new Date(Date.now() + next.retryInMs) : null,
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

  async function pass(): Promise<void> {
    for (;;) {
      const batch = await claimWebhookDeliveries(db, BATCH, leaseSeconds);
      if (batch.length === 0) return;
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, batch.length) }, async () => {
          while (next < batch.length) {
            const d = batch[next++]!;
            await attempt(d).catch((err) =>
              logger.error("webhook delivery failed unexpectedly", { delivery_id: d.id, err: String(err) }),
            );
          }
        }),
      );
      if (batch.length < BATCH) return;
    }
  }

  const loop = createWorkLoop({
    name: "webhooks",
    db,
    channel: Channel.webhooks,
    logger,
    pass,
    nextDelayMs: async () => {
      const s = await secondsUntilNextWebhookDue(db);
      return s === null ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil(s * 1000)));
    },
  });

  return {
    ...loop,
    async deliverNow(id, webhookId) {
      const [d] = await claimWebhookDeliveries(db, 1, leaseSeconds, id);
      if (d) await attempt(d);
      return getDelivery(db, webhookId, id);
    },
  };
}
