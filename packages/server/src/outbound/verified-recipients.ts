import { isUuid } from "../domain/address.ts";
import type { Clock } from "../domain/clock.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, notFound } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import {
  checkConfirmationToken,
  confirmationToken,
  LINK_TTL_SECONDS,
  type LinkCheck,
  parseConfirmationToken,
  recipientAddress,
  resendRefusal,
} from "../domain/recipient-verification.ts";
import { getAccount, lockAccount } from "../store/accounts.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db, Sql } from "../store/db.ts";
import { serviceMailSince } from "../store/messages.ts";
import { serviceSecret } from "../store/service-secrets.ts";
import {
  confirmVerifiedRecipient,
  deleteVerifiedRecipient,
  insertVerifiedRecipient,
  listVerifiedRecipients,
  recordLinkSent,
  type VerifiedRecipientRow,
  verifiedRecipient,
  verifiedRecipientByEmail,
  verifiedRecipientById,
} from "../store/verified-recipients.ts";
import { queueConfirmationMail } from "./confirmation-mail.ts";
import type { DkimKey } from "./dkim/sign.ts";

// Verified recipients (decision 0019): an admin adds an address, its owner confirms it through the link mailed to
// them, and sandboxed mailboxes may then send to it (outbound/send/gates.ts).

export interface VerificationDeps {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  domain: string;
  dkim: () => Promise<DkimKey | null>;
}

const SECRET_PURPOSE = "recipient-confirmation";
/** Where links point: the public URL's /v1/recipients/confirm. */
const confirmPath = "/v1/recipients/confirm";
const linkOf = (base: string, token: string) =>
  `${base.replace(/\/+$/, "")}${confirmPath}?token=${encodeURIComponent(token)}`;

/** Mails a new link to the row's address, inside the caller's transaction (the account row locked). */
async function mailLink(
  sql: Sql,
  deps: VerificationDeps,
  key: DkimKey | null,
  row: VerifiedRecipientRow,
  linkBase: string,
): Promise<void> {
  const account = await getAccount(sql, row.account_id);
  const token = confirmationToken(await serviceSecret(sql, SECRET_PURPOSE), row);
  await queueConfirmationMail(
    sql,
    { blobs: deps.blobs, domain: deps.domain, key },
    {
      accountId: row.account_id,
      accountName: account!.name,
      email: row.email,
      link: linkOf(linkBase, token),
      expiresAt: row.link_expires_at,
      date: row.link_sent_at,
    },
  );
}

/** Refuses when another confirmation mail may not go now (per address, and per account over 24 hours). */
async function checkRate(sql: Sql, accountId: string, row: VerifiedRecipientRow | null, now: Date) {
  const sentToday = await serviceMailSince(sql, accountId, new Date(now.getTime() - 86_400_000));
  const refusal = resendRefusal(row, sentToday, now);
  if (refusal) throw refusal;
}

/**
 * Adds an address and mails it a confirmation link (admin). An address the account has already is answered as it
 * is, and nothing is mailed (resend does that).
 */
export async function addVerifiedRecipient(
  deps: VerificationDeps,
  p: Principal,
  email: string,
  linkBase: string,
): Promise<{ row: VerifiedRecipientRow; created: boolean }> {
  requireRole(p, "admin");
  const address = recipientAddress(email);
  const existing = await verifiedRecipientByEmail(deps.db, p.accountId, address);
  if (existing) return { row: existing, created: false };
  // Loaded before the transaction: a first start generates and stores the key through the database.
  const key = await deps.dkim();
  return deps.db.tx(async (sql) => {
    // One writer per account at a time, so the daily count of confirmation mails holds under concurrency.
    await lockAccount(sql, p.accountId);
    const again = await verifiedRecipientByEmail(sql, p.accountId, address);
    if (again) return { row: again, created: false };
    const now = deps.clock.now();
    await checkRate(sql, p.accountId, null, now);
    const row = await insertVerifiedRecipient(sql, {
      accountId: p.accountId,
      email: address,
      sentAt: now,
      expiresAt: new Date(now.getTime() + LINK_TTL_SECONDS * 1000),
    });
    await mailLink(sql, deps, key, row!, linkBase);
    return { row: row!, created: true };
  });
}

/** Mails a pending (or expired) recipient a new link; the older links stop working (admin). */
export async function resendConfirmation(
  deps: VerificationDeps,
  p: Principal,
  id: string,
  linkBase: string,
): Promise<{ status: "sent" | "already_confirmed"; row: VerifiedRecipientRow }> {
  requireRole(p, "admin");
  const key = await deps.dkim();
  return deps.db.tx(async (sql) => {
    await lockAccount(sql, p.accountId);
    const row = await recipientOf(sql, p, id, true);
    if (row.status === "confirmed") return { status: "already_confirmed", row };
    const now = deps.clock.now();
    await checkRate(sql, p.accountId, row, now);
    const sent = await recordLinkSent(sql, row.id, now, new Date(now.getTime() + LINK_TTL_SECONDS * 1000));
    await mailLink(sql, deps, key, sent, linkBase);
    return { status: "sent", row: sent };
  });
}

/** The account's recipients, newest first. Agent keys may read them: they say whom a sandboxed mailbox may mail. */
export async function verifiedRecipientsOf(
  deps: { db: Db },
  p: Principal,
  q: { limit: number; cursor?: string },
): Promise<VerifiedRecipientRow[]> {
  requireRole(p, "admin", "agent");
  const before = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listVerifiedRecipients(deps.db, p.accountId, {
    limit: q.limit + 1,
    ...(before ? { before: { createdAt: new Date(before.t), id: before.i } } : {}),
  });
}

/** Removes a recipient (admin): sandboxed mailboxes may no longer mail it. */
export async function removeVerifiedRecipient(
  deps: { db: Db },
  p: Principal,
  id: string,
): Promise<VerifiedRecipientRow> {
  requireRole(p, "admin");
  const row = isUuid(id) ? await deleteVerifiedRecipient(deps.db, p.accountId, id.toLowerCase()) : null;
  if (!row) throw notFound("recipient", id);
  return row;
}

async function recipientOf(sql: Sql, p: Principal, id: string, lock: boolean) {
  const row = isUuid(id) ? await verifiedRecipient(sql, p.accountId, id.toLowerCase(), lock) : null;
  if (!row) throw notFound("recipient", id);
  return row;
}

/** What a confirmation link leads to, for the page that shows it: whose, for which address, and whether it works. */
export type LinkState =
  | { check: "invalid" }
  | { check: Exclude<LinkCheck, "invalid">; row: VerifiedRecipientRow; accountName: string };

/** Reads a link without acting on it (the page a browser or a mail scanner opens). */
export async function confirmationLink(deps: { db: Db; clock: Clock }, token: string): Promise<LinkState> {
  const parts = parseConfirmationToken(token);
  const row = parts ? await verifiedRecipientById(deps.db, parts.id) : null;
  if (!parts || !row) return { check: "invalid" };
  const secret = await serviceSecret(deps.db, SECRET_PURPOSE);
  const check = checkConfirmationToken(secret, parts, row, deps.clock.now());
  if (check === "invalid") return { check };
  const account = await getAccount(deps.db, row.account_id);
  return { check, row, accountName: account!.name };
}

/** The owner of the address pressed confirm: the recipient is confirmed (a second press changes nothing). */
export async function confirmRecipient(deps: { db: Db; clock: Clock }, token: string): Promise<LinkState> {
  const link = await confirmationLink(deps, token);
  if (link.check !== "good" || link.row.status === "confirmed") return link;
  const row = await confirmVerifiedRecipient(deps.db, link.row.id, deps.clock.now());
  // Confirmed meanwhile by another press: the row as it is now.
  return { ...link, row: row ?? (await verifiedRecipientById(deps.db, link.row.id)) ?? link.row };
}

/** For machine callers of a link: the state of a link that works, or the refusal of one that does not. */
export function requireWorkingLink(link: LinkState): { row: VerifiedRecipientRow; accountName: string } {
  if (link.check === "good") return link;
  if (link.check === "expired")
    throw new AppError(
      "gone",
      "CONFIRMATION_LINK_EXPIRED",
      "this confirmation link has expired; ask whoever wants to mail you to send a new one",
    );
  throw new AppError(
    "invalid",
    "CONFIRMATION_LINK_INVALID",
    "this confirmation link is not valid: mistyped, replaced by a newer one, or withdrawn",
  );
}
