import { type Clock, systemClock } from "../domain/clock.ts";
import { AppError } from "../domain/errors.ts";
import type { EventType } from "../domain/event-catalog.ts";
import { sourcesOf } from "../domain/message-state.ts";
import { actorOf, type Principal, requireRole } from "../domain/principal.ts";
import { type BulkAdd, entryOrRefuse, splitEntries } from "../domain/recipient-controls.ts";
import { inboundEventIsAdminOnly } from "../domain/visibility.ts";
import { addToBlocklist, type BlocklistRow, listBlocklist, removeFromBlocklist } from "../store/blocklist.ts";
import { Channel, notify } from "../store/channels.ts";
import type { Db, Sql } from "../store/db.ts";
import { appendEvent } from "../store/events.ts";
import { type MessageRow, moveInbound, queueRuleJobs, requeueFirewallBlocked } from "../store/messages.ts";
import { messageFor } from "../tenancy/access.ts";

// What a human does with held inbound mail: release it to the agent, block it, or report it (block and stop its
// sender). Admin keys only: an agent cannot release mail that was kept from it.

/** Releases a quarantined or blocked inbound message to the agent, as a new arrival. */
export function releaseMessage(
  deps: { db: Db; clock?: Clock },
  p: Principal,
  id: string,
  note?: string,
): Promise<MessageRow> {
  return move(deps, p, id, note, "available", "message.released");
}

/** Blocks an inbound message: the agent never sees it. */
export function blockMessage(
  deps: { db: Db; clock?: Clock },
  p: Principal,
  id: string,
  note?: string,
): Promise<MessageRow> {
  return move(deps, p, id, note, "blocked", "message.blocked");
}

/** Blocks an inbound message and adds its sender to the account's inbound blocklist. */
export function reportMessage(
  deps: { db: Db },
  p: Principal,
  id: string,
  note?: string,
): Promise<MessageRow> {
  return move(deps, p, id, note, "blocked", "message.reported", async (sql, row) => {
    const sender = row.sender ?? row.envelope.mail_from;
    if (!sender) return { blocked_sender: null };
    await addToBlocklist(sql, row.account_id, [sender], {
      reason: note ?? `reported message ${row.id}`,
      source: "report",
      actor: actorOf(p),
    });
    return { blocked_sender: sender.toLowerCase() };
  });
}

async function move(
  deps: { db: Db; clock?: Clock },
  p: Principal,
  id: string,
  note: string | undefined,
  to: "available" | "blocked",
  event: EventType,
  then?: (sql: Sql, msg: MessageRow) => Promise<Record<string, unknown>>,
): Promise<MessageRow> {
  requireRole(p, "admin");
  const { db } = deps;
  const msg = await messageFor(db, p, id);
  // Who may move it from where is the state machine's: released from quarantined or blocked, blocked from
  // quarantined or available.
  const from = sourcesOf("inbound", to, "admin");
  const moved = await db.tx(async (sql) => {
    const row = await moveInbound(sql, msg.id, from, to, (deps.clock ?? systemClock).now());
    if (!row) return null;
    const extra = then ? await then(sql, row) : {};
    // Released mail is new to the agent, so the mailbox's inbound rules run on it now.
    if (to === "available") await queueRuleJobs(sql, row.mailbox_id, [row.id]);
    await appendEvent(sql, {
      accountId: row.account_id,
      mailboxId: row.mailbox_id,
      type: event,
      data: { message_id: row.id, note: note ?? null, ...extra },
      adminOnly: inboundEventIsAdminOnly(row.state),
    });
    if (to === "available") await notify(sql, Channel.inbound, row.mailbox_id);
    return row;
  });
  if (!moved) {
    throw new AppError(
      "conflict",
      "MESSAGE_NOT_HELD",
      `the message is ${msg.state}; only ${from.join(" or ")} inbound messages can be ${event.split(".")[1]}`,
    );
  }
  return moved;
}

/**
 * Releases a message the inbound firewall blocked (a blocked sender, or one off the mailbox's sender allowlist)
 * back into processing: it is processed again as on arrival — MailPolicy, injection scan, threading, events — with
 * the firewall alone excepted, so it ends available, quarantined, or whatever the rest decides. The answer comes
 * before that (state `received`); the outcome arrives as the usual events. Admin keys only. Anything else — mail
 * an admin blocked, mail never blocked — is refused with MESSAGE_NOT_FIREWALL_BLOCKED.
 */
export async function firewallRelease(
  deps: { db: Db },
  p: Principal,
  id: string,
  note?: string,
): Promise<MessageRow> {
  requireRole(p, "admin");
  const msg = await messageFor(deps.db, p, id);
  const from = sourcesOf("inbound", "received", "admin");
  const row = await deps.db.tx(async (sql) => {
    const requeued = await requeueFirewallBlocked(sql, msg.id, from);
    if (!requeued) return null;
    await appendEvent(sql, {
      accountId: requeued.account_id,
      mailboxId: requeued.mailbox_id,
      type: "message.firewall_released",
      data: { message_id: requeued.id, note: note ?? null, firewall_block: msg.firewall_block },
      adminOnly: true,
    });
    return requeued;
  });
  if (!row)
    throw new AppError(
      "conflict",
      "MESSAGE_NOT_FIREWALL_BLOCKED",
      msg.direction === "inbound" && msg.state === "blocked"
        ? "the message was blocked by an admin, not by the inbound firewall; release it with POST /v1/messages/:id/release"
        : `the message is ${msg.state}; only inbound mail the inbound firewall blocked can be released from it`,
      { state: msg.state },
    );
  return row;
}

/** A page of the account's inbound blocklist by address: up to limit + 1 rows (more follow when there are). */
export async function blocklistOf(
  deps: { db: Db },
  p: Principal,
  q: { limit: number; cursor?: string } = { limit: 100_000 },
): Promise<BlocklistRow[]> {
  requireRole(p, "admin");
  return listBlocklist(deps.db, p.accountId, { limit: q.limit + 1, after: q.cursor ?? null });
}

/** Blocks a sender address or a bare domain for every mailbox of the account; `created` false when it was. */
export async function blockSender(
  deps: { db: Db },
  p: Principal,
  address: string,
  reason: string | null,
): Promise<{ row: BlocklistRow; created: boolean }> {
  requireRole(p, "admin");
  const entry = entryOrRefuse(address);
  const [row] = await addToBlocklist(deps.db, p.accountId, [entry], {
    reason: reason ?? "manual",
    source: "customer",
    actor: actorOf(p),
  });
  return { row: row!, created: row!.inserted };
}

/** Blocks many senders; invalid entries are skipped and listed. */
export async function blockSenders(
  deps: { db: Db },
  p: Principal,
  texts: string[],
): Promise<BulkAdd<BlocklistRow>> {
  requireRole(p, "admin");
  const { valid, invalid } = splitEntries(texts);
  const rows = await addToBlocklist(deps.db, p.accountId, valid, {
    reason: null,
    source: "customer",
    actor: actorOf(p),
  });
  return {
    added: rows.filter((r) => r.inserted),
    already_existed: rows.filter((r) => !r.inserted).map((r) => r.address),
    invalid,
  };
}

export async function unblockSender(deps: { db: Db }, p: Principal, address: string): Promise<BlocklistRow> {
  requireRole(p, "admin");
  const removed = await removeFromBlocklist(deps.db, p.accountId, entryOrRefuse(address));
  if (!removed) throw new AppError("not_found", "NOT_FOUND", `${address} is not on the blocklist`);
  return removed;
}
