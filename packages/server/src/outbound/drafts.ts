import { AppError } from "../domain/errors.ts";
import { htmlToScanText } from "../domain/html-text.ts";
import { scanOutbound } from "../domain/outbound-scan.ts";
import { safeJson } from "../domain/safe-text.ts";
import { createWorkLoop, type WorkLoop } from "../events/work-loop.ts";
import type { Logger } from "../platform/logger.ts";
import { Channel } from "../store/channels.ts";
import type { Db } from "../store/db.ts";
import { claimDueDrafts, type DraftContent, type DraftRow, finishDraft } from "../store/drafts.ts";
import type { MailboxRow } from "../store/mailboxes.ts";
import type { SendResult, SendService } from "./send.ts";

/** The scan of a draft's content under the mailbox's current policy. */
export function scanDraft(mailbox: MailboxRow, c: Pick<DraftContent, "subject" | "text" | "html">) {
  const s = scanOutbound(
    [c.subject, c.text, c.html ? htmlToScanText(c.html) : ""].join("\n"),
    mailbox.scanner_policy.outbound_pii_policy,
  );
  return { scan: { verdict: s.verdict, findings: s.findings }, worst: s.worst };
}

/**
 * Sends a claimed draft: an authoritative rescan against the mailbox's policy as it is now (it may have changed
 * since the draft was written), then the ordinary send path — so holds and review apply as to any send. A rescan
 * that would quarantine or block puts the draft back and answers 409 DRAFT_REJECTED_BY_RESCAN with the scan.
 * The idempotency key is the draft's, so a retried send can never go out twice.
 */
export async function sendClaimedDraft(
  deps: { db: Db; send: SendService },
  draft: DraftRow,
  mailbox: MailboxRow,
): Promise<SendResult> {
  const content = { subject: draft.subject, text: draft.body_text, html: draft.body_html };
  const { scan, worst } = scanDraft(mailbox, content);
  if (worst === "block" || worst === "quarantine") {
    await deps.db.query(
      "update drafts set state = 'draft', scan = $2::jsonb, worst_decision = $3, updated_at = now() where id = $1",
      [draft.id, safeJson(scan), worst],
    );
    throw new AppError(
      409,
      "DRAFT_REJECTED_BY_RESCAN",
      `the draft would be ${worst === "block" ? "blocked" : "quarantined"} by the mailbox's current policy; edit it and send again`,
      { scan },
    );
  }
  try {
    const result = await deps.send.send(
      { mailbox, to: draft.to_addrs, cc: draft.cc_addrs, bcc: draft.bcc_addrs, ...content },
      { key: `draft:${draft.id}`, requestHash: `draft:${draft.id}` },
    );
    await finishDraft(deps.db, draft.id, { messageId: result.message_id });
    return result;
  } catch (err) {
    // A draft whose mailbox was deleted meanwhile is cancelled: it can never be sent.
    const gone = err instanceof AppError && err.code === "MAILBOX_DELETED";
    await finishDraft(deps.db, draft.id, gone ? "cancelled" : "back_to_draft");
    throw err;
  }
}

/** Sends scheduled drafts when their `send_at` comes (checked every few seconds; any worker may take them). */
export function createDraftScheduler(deps: { db: Db; send: SendService; logger: Logger }): WorkLoop {
  return createWorkLoop({
    name: "drafts",
    db: deps.db,
    channel: Channel.drafts,
    logger: deps.logger,
    async pass() {
      for (;;) {
        const due = await claimDueDrafts(deps.db, 20);
        if (due.length === 0) return;
        for (const d of due) {
          const [mailbox] = await deps.db.query<MailboxRow>("select * from mailboxes where id = $1", [
            d.mailbox_id,
          ]);
          await sendClaimedDraft(deps, d, mailbox!).catch((err) =>
            deps.logger.warn(
              "scheduled draft not sent (a draft again, or cancelled if its mailbox is gone)",
              {
                draft_id: d.id,
                err: String(err),
              },
            ),
          );
        }
      }
    },
    // Sleep until the next scheduled draft is due (at most 30 s: drafts scheduled elsewhere also notify).
    async nextDelayMs() {
      const [row] = await deps.db.query<{ ms: number | null }>(
        `select (extract(epoch from min(send_at) - now()) * 1000)::float8 as ms from drafts where state = 'scheduled'`,
      );
      return Math.min(30_000, Math.max(50, row?.ms ?? 30_000));
    },
  });
}
