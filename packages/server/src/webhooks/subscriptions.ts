import { randomBytes, randomUUID } from "node:crypto";
import { isUuid } from "../domain/address.ts";
import type { Clock } from "../domain/clock.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import { canonicalEventType, EVENT_CATALOG, EVENT_TYPES, type EventType } from "../domain/event-catalog.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { envelope } from "../domain/webhook-envelope.ts";
import { newWebhookSecret } from "../domain/webhook-signature.ts";
import type { Config } from "../platform/config.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db, Sql } from "../store/db.ts";
import {
  type DeliveryRow,
  deleteWebhook as deleteWebhookRow,
  getDelivery,
  getWebhook,
  insertTestDelivery,
  insertWebhookWithinLimit,
  listDeliveries,
  listWebhooks,
  requeueDelivery,
  rotateSecret,
  type SignatureScheme,
  updateWebhook as updateWebhookRow,
  type WebhookRow,
} from "../store/webhooks.ts";
import type { WebhookDispatcher } from "./dispatcher.ts";
import { checkWebhookUrl } from "./target.ts";

export type { DeliveryRow, WebhookRow };

type TargetRules = Pick<Config, "webhookAllowPrivate">;

function checkEvents(events: string[]): EventType[] {
  const unknown = events.filter((e) => !canonicalEventType(e));
  if (unknown.length)
    throw validation(
      `enabled_events: unknown event type ${unknown.join(", ")}; known types: ${EVENT_TYPES.join(", ")}`,
      unknown.map((e) => `body.enabled_events: ${JSON.stringify(e)} is not in the event catalogue`),
    );
  return [...new Set(events.map((e) => canonicalEventType(e)!))];
}

/** A webhook of the caller's account; webhooks are for admin keys only. */
async function webhookFor(sql: Sql, p: Principal, id: string): Promise<WebhookRow> {
  requireRole(p, "admin");
  const w = isUuid(id) ? await getWebhook(sql, p.accountId, id.toLowerCase()) : null;
  if (!w) throw notFound("webhook", id);
  return w;
}

/** A new webhook and its signing secret (shown once), within the account's webhook limit. */
export async function createWebhook(
  deps: { db: Db; config: TargetRules & Pick<Config, "maxWebhooksPerAccount"> },
  p: Principal,
  input: {
    url: string;
    description?: string;
    enabledEvents: string[];
    enabled?: boolean;
    /** The bridge's webhooks also carry the x-agentpack-webhook-* headers. */
    signatureScheme?: SignatureScheme;
  },
): Promise<{ webhook: WebhookRow; secret: string }> {
  requireRole(p, "admin");
  const events = checkEvents(input.enabledEvents);
  const url = await checkWebhookUrl(input.url, deps.config.webhookAllowPrivate);
  const secret = newWebhookSecret(randomBytes(24));
  const max = deps.config.maxWebhooksPerAccount;
  const w = await deps.db.tx((sql) =>
    insertWebhookWithinLimit(
      sql,
      {
        id: randomUUID(),
        accountId: p.accountId,
        url,
        description: input.description ?? null,
        events,
        enabled: input.enabled ?? true,
        secret,
        signatureScheme: input.signatureScheme,
      },
      max,
    ),
  );
  if (!w)
    throw new AppError(
      "conflict",
      "WEBHOOK_LIMIT_REACHED",
      `this account already has ${max} webhooks, the limit per account: delete one it no longer needs ` +
        "(one webhook can subscribe to many event types), or ask the operator to raise POSTBOX_MAX_WEBHOOKS_PER_ACCOUNT",
      { limit: max },
    );
  return { webhook: w, secret };
}

export async function listAccountWebhooks(deps: { db: Sql }, p: Principal): Promise<WebhookRow[]> {
  requireRole(p, "admin");
  return listWebhooks(deps.db, p.accountId);
}

export async function getWebhookOf(deps: { db: Sql }, p: Principal, id: string): Promise<WebhookRow> {
  return webhookFor(deps.db, p, id);
}

/** Changes a webhook; `enabled: true` also clears a disablement, and what waited for it goes out now. */
export async function updateWebhook(
  deps: { db: Sql; config: TargetRules },
  p: Principal,
  id: string,
  patch: { url?: string; description?: string | null; enabledEvents?: string[]; enabled?: boolean },
): Promise<WebhookRow> {
  const w = await webhookFor(deps.db, p, id);
  const events = patch.enabledEvents ? checkEvents(patch.enabledEvents) : undefined;
  const url = patch.url ? await checkWebhookUrl(patch.url, deps.config.webhookAllowPrivate) : undefined;
  const updated = await updateWebhookRow(deps.db, w.account_id, w.id, {
    url,
    description: patch.description,
    events,
    enabled: patch.enabled,
  });
  if (!updated) throw notFound("webhook", id);
  if (patch.enabled) await notify(deps.db, Channel.webhooks);
  return updated;
}

/** Deletes a webhook with its delivery log. */
export async function deleteWebhook(deps: { db: Sql }, p: Principal, id: string): Promise<WebhookRow> {
  const w = await webhookFor(deps.db, p, id);
  await deleteWebhookRow(deps.db, w.account_id, w.id);
  return w;
}

/** A new signing secret; the old one still signs alongside it for `graceSeconds`. */
export async function rotateWebhookSecret(
  deps: { db: Sql },
  p: Principal,
  id: string,
  graceSeconds: number,
): Promise<{ webhook: WebhookRow; secret: string }> {
  const w = await webhookFor(deps.db, p, id);
  const secret = newWebhookSecret(randomBytes(24));
  const updated = await rotateSecret(deps.db, w.account_id, w.id, secret, graceSeconds);
  if (!updated) throw notFound("webhook", id);
  return { webhook: updated, secret };
}

/** Sends a real-shaped test event now; returns the delivery as it stands after the first attempt. */
export async function testWebhook(
  deps: { db: Sql; webhooks: Pick<WebhookDispatcher, "deliverNow">; clock: Clock },
  p: Principal,
  id: string,
  event: string | undefined,
): Promise<DeliveryRow> {
  const w = await webhookFor(deps.db, p, id);
  const type = canonicalEventType(event ?? "webhook.test");
  if (!type) throw validation(`event: unknown event type ${event}; known types: ${EVENT_TYPES.join(", ")}`);
  if (!w.enabled)
    throw new AppError(
      "conflict",
      "WEBHOOK_DISABLED",
      "the webhook is disabled; PATCH it with enabled: true first",
    );
  const data =
    type === "webhook.test"
      ? { webhook_id: w.id, message: "This is a test event from Postbox." }
      : EVENT_CATALOG[type].example;
  const deliveryId = randomUUID();
  await insertTestDelivery(deps.db, {
    id: deliveryId,
    webhookId: w.id,
    accountId: w.account_id,
    eventType: type,
    payload: envelope({
      id: `evt_test_${deliveryId.replace(/-/g, "").slice(0, 16)}`,
      type,
      createdAt: deps.clock.now(),
      data,
    }),
  });
  return (await deps.webhooks.deliverNow(deliveryId, w.id))!;
}

/** A page of a webhook's deliveries, newest first: `limit + 1` rows. */
export async function listWebhookDeliveries(
  deps: { db: Sql },
  p: Principal,
  id: string,
  q: { limit: number; beforeAt?: string; beforeId?: string },
): Promise<DeliveryRow[]> {
  const w = await webhookFor(deps.db, p, id);
  if (Boolean(q.beforeAt) !== Boolean(q.beforeId))
    throw validation("before_at and before_id go together: pass both (from the previous page) or neither");
  return listDeliveries(
    deps.db,
    w.id,
    q.limit + 1,
    q.beforeAt && q.beforeId ? { at: q.beforeAt, id: q.beforeId } : null,
  );
}

/** Re-queues a failed delivery of an enabled webhook. */
export async function retryWebhookDelivery(
  deps: { db: Sql },
  p: Principal,
  id: string,
  deliveryId: string,
): Promise<DeliveryRow> {
  const w = await webhookFor(deps.db, p, id);
  const d = isUuid(deliveryId) ? await getDelivery(deps.db, w.id, deliveryId.toLowerCase()) : null;
  if (!d) throw notFound("delivery", deliveryId);
  if (!w.enabled)
    throw new AppError(
      "conflict",
      "WEBHOOK_DISABLED",
      "the webhook is disabled; PATCH it with enabled: true, then retry",
    );
  if (d.state !== "failed")
    throw new AppError(
      "conflict",
      "DELIVERY_NOT_FAILED",
      `the delivery is ${d.state}; only failed deliveries can be retried`,
    );
  const again = await requeueDelivery(deps.db, d.id);
  if (!again) throw new AppError("conflict", "DELIVERY_NOT_FAILED", "the delivery is no longer failed");
  await notify(deps.db, Channel.webhooks);
  return again;
}
