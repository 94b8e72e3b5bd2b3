import { createHash } from "node:crypto";
import { autoReplySenderAuthenticated, autoReplyTarget } from "../domain/auto-reply.ts";
import { AppError } from "../domain/errors.ts";
import { type InboundRule, matchingRules, type RuleSet, renderTemplate } from "../domain/inbound-rules.ts";
import { createWorkLoop, type WorkLoop } from "../jobs/runner.ts";
import type { SendService } from "../outbound/send.ts";
import type { Logger } from "../platform/logger.ts";
import type { BlobStore } from "../store/blobs.ts";
import { Channel } from "../store/channels.ts";
import type { Db } from "../store/db.ts";
import {
  deleteRuleJob,
  getRuleSet,
  leaseRuleJobs,
  type RuleJob,
  secondsUntilNextRuleJob,
  setRulesApplied,
} from "../store/inbound-rules.ts";
import { liveMailboxById, type MailboxRow } from "../store/mailboxes.ts";
import { addLabels, getMessage, type MessageRow, messageAccountId } from "../store/messages.ts";
import { claimAutoReply, takeRuleSend } from "../store/rule-sends.ts";
import { headerValue } from "./parse.ts";

const LEASE_SECONDS = 60;
const BATCH = 20;
const MAX_ATTEMPTS = 5;

// The rule set's repository; routes read and write rule sets through these.
export { getRuleSet, putRuleSet } from "../store/inbound-rules.ts";

type Outcome = { rule: number; action: string; outcome: string; detail: string | null };

class HourlyLimitReached extends Error {}

export interface RuleLimits {
  /** Auto-replies only to senders whose envelope domain passed SPF or DKIM (POSTBOX_AUTO_REPLY_REQUIRE_AUTH). */
  requireAuth: boolean;
  /** Auto-replies per mailbox per hour (POSTBOX_AUTO_REPLIES_PER_HOUR). */
  autoRepliesPerHour: number;
  /** Rule forwards per mailbox per hour (POSTBOX_RULE_FORWARDS_PER_HOUR). */
  forwardsPerHour: number;
}

/**
 * Runs each mailbox's inbound rules on its newly available mail, from a queue written with the message (so a crash
 * delays rules, never skips them). Forwards and auto-replies go through the ordinary send path — suppressions,
 * allowlist, quotas, scanning — with an idempotency key per message and rule, so a retry never sends twice. Neither
 * ever answers automated mail; both are capped per mailbox per hour; an auto-reply goes only to an authenticated
 * envelope sender, at most once per period.
 */
export function createRuleRunner(deps: {
  db: Db;
  blobs: BlobStore;
  send: SendService;
  logger: Logger;
  limits: RuleLimits;
}): WorkLoop {
  const { db, logger } = deps;

  async function act(
    msg: MessageRow,
    mailbox: MailboxRow,
    set: RuleSet,
    index: number,
    rule: InboundRule,
  ): Promise<Outcome> {
    const a = rule.action;
    const base = { rule: index, action: a.type };
    if (a.type === "label") {
      await addLabels(db, msg.id, [a.label]);
      return { ...base, outcome: "labelled", detail: a.label };
    }
    // Machines are never answered or forwarded to: that is how auto-reply loops start.
    if (msg.auto_submitted)
      return { ...base, outcome: "skipped", detail: `automated mail (${msg.auto_submitted})` };
    const idem = (kind: string) => ({
      key: `rule:${msg.id}:${index}`,
      requestHash: createHash("sha256").update(`${kind}:${msg.id}:${index}`).digest("hex"),
    });
    try {
      if (a.type === "forward") {
        // Bounded per mailbox: a flood of matching mail must not become a flood of forwards.
        if (!(await db.tx((sql) => takeRuleSend(sql, mailbox.id, "forward", deps.limits.forwardsPerHour))))
          return {
            ...base,
            outcome: "skipped",
            detail: `this mailbox's limit of ${deps.limits.forwardsPerHour} forwards per hour is reached`,
          };
        const r = await deps.send.send(
          {
            mailbox,
            to: [a.to],
            cc: [],
            bcc: [],
            subject: `Fwd: ${msg.subject ?? ""}`.trim(),
            text: [
              "---------- Forwarded message ----------",
              `From: ${msg.sender ?? "(unknown)"}`,
              `Date: ${msg.sent_at ? new Date(msg.sent_at).toUTCString() : ""}`,
              `Subject: ${msg.subject ?? ""}`,
              "",
              msg.body_text ?? "",
            ].join("\n"),
            html: null,
            autoSubmitted: "auto-generated",
          },
          idem("forward"),
        );
        return { ...base, outcome: r.status === "sent" ? "forwarded" : r.status, detail: a.to };
      }
      // auto_reply: to the envelope sender only (never From or Reply-To, which the sender writes at will), and only
      // when that sender proved it is who it says — else anyone could aim our replies at a third party.
      const target = autoReplyTarget(msg.envelope);
      if (!target)
        return { ...base, outcome: "skipped", detail: "no envelope sender to answer (null return path)" };
      if (deps.limits.requireAuth && !autoReplySenderAuthenticated(msg.envelope, msg.sender_auth))
        return {
          ...base,
          outcome: "skipped",
          detail: `the envelope sender ${target} is not authenticated (no SPF or DKIM pass for its domain)`,
        };
      // Once per envelope sender per period, and a ceiling per mailbox per hour; claimed together before sending
      // (so two workers cannot both reply), and not at all when the ceiling is reached.
      const claim = await db
        .tx(async (sql) => {
          if (!(await claimAutoReply(sql, mailbox.id, target, set.auto_reply_period_hours)))
            return "period" as const;
          if (!(await takeRuleSend(sql, mailbox.id, "auto_reply", deps.limits.autoRepliesPerHour)))
            throw new HourlyLimitReached();
          return "claimed" as const;
        })
        .catch((err) => {
          if (err instanceof HourlyLimitReached) return "limit" as const;
          throw err;
        });
      if (claim === "period")
        return {
          ...base,
          outcome: "skipped",
          detail: `already auto-replied to ${target} within ${set.auto_reply_period_hours} h`,
        };
      if (claim === "limit")
        return {
          ...base,
          outcome: "skipped",
          detail: `this mailbox's limit of ${deps.limits.autoRepliesPerHour} auto-replies per hour is reached`,
        };
      const r = await deps.send.reply(
        msg,
        mailbox,
        {
          text: renderTemplate(a.body, { sender: target, subject: msg.subject }),
          html: null,
          replyAll: false,
          automatic: true,
          subject: a.subject,
        },
        idem("auto_reply"),
      );
      return { ...base, outcome: r.status === "sent" ? "replied" : r.status, detail: target };
    } catch (err) {
      // A gate said no (suppressed, not on the allowlist, over quota…): recorded, not retried.
      if (err instanceof AppError)
        return { ...base, outcome: "refused", detail: `${err.code}: ${err.message}` };
      throw err;
    }
  }

  async function runOne(job: RuleJob): Promise<void> {
    const mailbox = await liveMailboxById(db, job.mailbox_id);
    const ownerId = await messageAccountId(db, job.message_id);
    const msg = ownerId && mailbox ? await getMessage(db, ownerId, job.message_id) : null;
    const set = mailbox ? await getRuleSet(db, mailbox.id) : null;
    if (!msg || !mailbox || !set || msg.state !== "available") {
      await deleteRuleJob(db, job.message_id);
      return;
    }
    const raw = await deps.blobs.get(msg.raw_sha256).catch(() => null);
    const matches = matchingRules(set, {
      sender: msg.sender,
      subject: msg.subject,
      header: (name) => (raw ? headerValue(raw, name) : null),
      authVerdict: msg.sender_auth?.verdict ?? null,
    });
    const outcomes: Outcome[] = [];
    for (const { index, rule } of matches) outcomes.push(await act(msg, mailbox, set, index, rule));
    await db.tx(async (sql) => {
      await setRulesApplied(sql, msg.id, outcomes);
      await deleteRuleJob(sql, msg.id);
    });
  }

  async function pass(): Promise<void> {
    for (;;) {
      const jobs = await leaseRuleJobs(db, LEASE_SECONDS, BATCH);
      if (jobs.length === 0) return;
      for (const job of jobs) {
        await runOne(job).catch(async (err) => {
          logger.error("inbound rules failed; will retry", { message_id: job.message_id, err: String(err) });
          if (job.attempts >= MAX_ATTEMPTS) await deleteRuleJob(db, job.message_id);
        });
      }
      if (jobs.length < BATCH) return;
    }
  }

  return createWorkLoop({
    name: "rules",
    db,
    channel: Channel.rules,
    logger,
    pass,
    nextDelayMs: async () => {
      const s = await secondsUntilNextRuleJob(db);
      return s === null ? 30_000 : Math.min(30_000, Math.max(0, Math.ceil(s * 1000)));
    },
  });
}
