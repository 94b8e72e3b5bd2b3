import { AppError } from "../../domain/errors.ts";
import { describeWindow, windowOpen } from "../../domain/mailbox-policy.ts";
import { coveringEntry, lookupKeys, MAX_RECIPIENTS } from "../../domain/recipient-controls.ts";
import { accountSandboxed } from "../../store/accounts.ts";
import type { Db, Sql } from "../../store/db.ts";
import { appendEvent } from "../../store/events.ts";
import { listedAmong } from "../../store/mailbox-lists.ts";
import type { MailboxRow } from "../../store/mailboxes.ts";
import { recentSendsTo, threadCorrespondents } from "../../store/messages.ts";
import { activeSuppressions, recordBlockedAttempt } from "../../store/recipient-controls.ts";
import { confirmedAmong } from "../../store/verified-recipients.ts";

/** The reply loop guard: this many replies to one automated sender within the window, then rate_limited. */
export const LOOP_MAX_REPLIES = 3;
export const LOOP_WINDOW_SECONDS = 600;

/** Here, not in a route: API sends, replies, reply-all, drafts and rules all pass through this one check. */
export function checkRecipientCount(count: number, isReply: boolean): void {
  if (count > MAX_RECIPIENTS)
    throw new AppError(
      "invalid",
      "TOO_MANY_RECIPIENTS",
      `a message may have at most ${MAX_RECIPIENTS} recipients (to, cc and bcc together); this one has ` +
        `${count}${isReply ? ": reply without reply_all, or send to fewer people" : ""}`,
      { recipients: count, limit: MAX_RECIPIENTS },
    );
}

/** A paused mailbox sends nothing (its status says so; an admin resumes it with PATCH status: active). */
export const mailboxPaused = (mailbox: Pick<MailboxRow, "name">) =>
  new AppError(
    "conflict",
    "MAILBOX_PAUSED",
    `the mailbox ${mailbox.name} is paused: it sends and receives nothing until an admin resumes it ` +
      "(PATCH /v1/mailboxes/:id {status: active})",
  );

/**
 * The send window's verdict on an agent's send at `at`: null inside it (or without one); outside, the reason to
 * hold it for review, or a refusal when the window says block.
 */
export function sendWindowHold(mailbox: MailboxRow, at: Date): string | null {
  const w = mailbox.send_window;
  if (!w || windowOpen(w, at)) return null;
  if (w.outside_action === "block")
    throw new AppError(
      "forbidden",
      "OUTSIDE_SEND_WINDOW",
      `agents may send from ${mailbox.name} only within its send window (${describeWindow(w)}); send again ` +
        "inside it, or ask an admin",
      { send_window: w },
    );
  return `sent outside the mailbox's send window (${describeWindow(w)})`;
}

/** Why the recipient gates would refuse a send: the refusal and, for the allowlist, the addresses off it. */
export type RecipientRefusal =
  | { gate: "suppression"; error: AppError }
  | { gate: "sandbox"; error: AppError }
  | { gate: "allowlist"; error: AppError; off: string[] };

/**
 * The recipient gates' verdict, with no side effect: suppressions first (a bounced or complaining address is never
 * mailed, whatever the allowlist says), then sandbox mode (only confirmed recipients), then the mailbox's allowlist — in allowlist mode, a message in a thread
 * also reaches those who wrote to the mailbox in it when the mailbox allows thread replies. Null: every recipient
 * passes.
 */
export async function recipientRefusal(
  deps: { db: Sql },
  mailbox: MailboxRow,
  recipients: string[],
  threadId: string | null = null,
): Promise<RecipientRefusal | null> {
  const { db } = deps;
  const suppressed = await activeSuppressions(db, mailbox.account_id, lookupKeys(recipients));
  if (suppressed.length) {
    const byEntry = new Map(suppressed.map((r) => [r.email, r]));
    for (const r of recipients) {
      const entry = coveringEntry(r, new Set(byEntry.keys()));
      if (!entry) continue;
      const row = byEntry.get(entry)!;
      return {
        gate: "suppression",
        error: new AppError(
          "forbidden",
          "RECIPIENT_SUPPRESSED",
          `${r} is on the suppression list (${row.reason}${entry !== r.toLowerCase() ? `, via ${entry}` : ""}); ` +
            "remove it from the list (DELETE /v1/suppressions/:email) only if you know it receives mail again",
          { email: r.toLowerCase(), entry, reason: "suppressed", suppression_reason: row.reason },
        ),
      };
    }
  }
  const sandbox = await sandboxRefusal(db, mailbox, recipients);
  if (sandbox) return sandbox;
  if (mailbox.recipient_policy !== "allowlist") return null;
  const allowed = await listedAmong(db, "recipients", mailbox.id, lookupKeys(recipients));
  let off = recipients.filter((r) => !coveringEntry(r, allowed)).map((r) => r.toLowerCase());
  if (off.length && threadId && mailbox.allow_thread_replies) {
    const correspondents = await threadCorrespondents(db, mailbox.id, threadId);
    off = off.filter((r) => !correspondents.has(r));
  }
  if (off.length === 0) return null;
  return {
    gate: "allowlist",
    off,
    error: new AppError(
      "forbidden",
      "RECIPIENT_NOT_ON_ALLOWLIST",
      `this mailbox may only send to its allowlist; not on it: ${off.join(", ")}. An admin can add them ` +
        `(POST /v1/mailboxes/${mailbox.name}/allowlist); retrying will not help`,
      { emails: off, reason: "not_on_allowlist" },
    ),
  };
}

/** A sandboxed mailbox (or any mailbox of a sandboxed account) mails confirmed recipients only (decision 0019). */
async function sandboxRefusal(
  db: Sql,
  mailbox: MailboxRow,
  recipients: string[],
): Promise<RecipientRefusal | null> {
  const scope = mailbox.sandbox
    ? "mailbox"
    : (await accountSandboxed(db, mailbox.account_id))
      ? "account"
      : null;
  if (!scope) return null;
  const wanted = recipients.map((r) => r.toLowerCase());
  const confirmed = await confirmedAmong(db, mailbox.account_id, wanted);
  const unverified = wanted.filter((r) => !confirmed.has(r));
  if (unverified.length === 0) return null;
  return {
    gate: "sandbox",
    error: new AppError(
      "forbidden",
      "RECIPIENT_NOT_VERIFIED",
      `${scope === "mailbox" ? "this mailbox" : "this account"} is in sandbox mode and may only send to verified ` +
        `recipients; not verified: ${unverified.join(", ")}. An admin can add them (POST /v1/recipients ` +
        "{email}); each must confirm the link mailed to them. Retrying will not help",
      { emails: unverified, reason: "not_verified", sandbox: scope },
    ),
  };
}

/**
 * The recipient gates, before anything is composed: refusals are errors the caller sees; an attempt the allowlist
 * refused is recorded (and announced at most once a minute per recipient).
 */
export async function checkRecipients(
  deps: { db: Db },
  mailbox: MailboxRow,
  recipients: string[],
  apiKeyId: string | null,
  /** Where the send came from, for the record of refused attempts: "send", "reply" or "rule". */
  origin: "send" | "reply" | "rule" = "send",
  /** The thread the message joins (null: a new one): its correspondents may pass the allowlist. */
  threadId: string | null = null,
): Promise<void> {
  const refusal = await recipientRefusal(deps, mailbox, recipients, threadId);
  if (!refusal) return;
  if (refusal.gate === "allowlist")
    await deps.db.tx(async (sql) => {
      for (const email of refusal.off) {
        const first = await recordBlockedAttempt(sql, {
          accountId: mailbox.account_id,
          mailboxId: mailbox.id,
          email,
          apiKeyId,
          origin,
        });
        // At most one event a minute per mailbox and recipient: a looping agent makes one, not hundreds.
        if (first)
          await appendEvent(sql, {
            accountId: mailbox.account_id,
            mailboxId: mailbox.id,
            type: "recipient_allowlist.blocked_attempt",
            data: { recipient: email, api_key_id: apiKeyId },
          });
      }
    });
  throw refusal.error;
}

/**
 * An agent answering an automated sender again and again is in a loop (two bots talking): past
 * LOOP_MAX_REPLIES replies to it within LOOP_WINDOW_SECONDS, further replies are refused.
 */
export async function guardReplyLoop(
  deps: { db: Sql },
  mailbox: MailboxRow,
  sender: string,
  why: string,
): Promise<void> {
  const n = await recentSendsTo(deps.db, mailbox.id, sender.toLowerCase(), LOOP_WINDOW_SECONDS);
  if (n >= LOOP_MAX_REPLIES)
    throw new AppError(
      "rate_limited",
      "REPLY_LOOP_DETECTED",
      `this mailbox already replied ${n} times in ${LOOP_WINDOW_SECONDS / 60} minutes to ${sender}, which is ` +
        `automated (${why}); replying again would continue a loop between machines. Do not retry this reply`,
      { sender, replies_in_window: n, window_seconds: LOOP_WINDOW_SECONDS, automated_because: why },
    );
}
