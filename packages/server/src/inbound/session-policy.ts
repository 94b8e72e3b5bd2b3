import type { AuditAction } from "../domain/audit-chain.ts";
import type { SenderAuthentication } from "../domain/sender-auth.ts";
import { Channel } from "../events/log.ts";
import type { Logger } from "../platform/logger.ts";
import type { BlobStore } from "../store/blobs.ts";
import type { Db, Sql } from "../store/db.ts";
import type { Envelope, StoredDecision } from "../store/messages.ts";
import type { AcceptedCopy } from "./accept.ts";
import type { SenderAuthenticator } from "./authenticate.ts";
import { parseMessage } from "./parse.ts";
import {
  actionAfterAcceptance,
  evaluateForMailbox,
  type GateInput,
  settleVerdicts,
  type Verdict,
} from "./policy-gate.ts";

/** The SMTP session's final reply to a DATA whose copies were committed. */
export type SessionReply = { kind: "accept" } | { kind: "reject"; reason: string };

export type SessionPolicy = (
  raw: Buffer,
  envelope: Envelope,
  copies: (AcceptedCopy & { accountId: string })[],
) => Promise<SessionReply>;

/** Thrown inside the decision transaction when the reply already went out: roll back, the pipeline decides. */
class TooLate extends Error {}

const printable = (s: string) => s.replace(/[^\x20-\x7e]+/g, " ").slice(0, 200);

/**
 * Runs sender authentication and the MailPolicy while the SMTP client waits for the final reply to DATA.
 *
 * The copies are already committed (held away from the processors for a while), so nothing is lost whatever
 * happens here: past the time budget, or on any failure, the answer is 250 and the pipeline decides afterwards.
 * A decision made in time commits in one transaction with its counters, audit entries and deletions, and only
 * then is the reply chosen: 550 when every copy is refused under a "bounce" policy (the sending MTA tells its
 * user; we send nothing), otherwise 250 — refused copies under "drop" are discarded, and refused copies under
 * "bounce" beside accepted ones are bounced by notification like mail refused after acceptance.
 */
export function createSessionPolicy(deps: {
  db: Db;
  blobs: BlobStore;
  domain: string;
  authenticate: SenderAuthenticator;
  timeoutMs: number;
  logger: Logger;
}): SessionPolicy {
  const { db, logger } = deps;

  return async (raw, envelope, copies) => {
    let answered = false;
    let committing = false;
    const work = async (): Promise<SessionReply> => {
      const auth = await deps.authenticate(raw, envelope);
      const m = await parseMessage(raw);
      return db.tx(async (sql) => {
        const ids = copies.map((c) => c.messageId);
        const open = new Set(
          (
            await sql.query<{ id: string }>(
              `select id from messages where id = any($1::uuid[]) and state = 'received' and policy_decision is null
               order by id for update`,
              [ids],
            )
          ).map((r) => r.id),
        );
        const mine = copies.filter((c) => open.has(c.messageId));
        // Mailboxes in id order: the audit appends lock their rows, and every session locks them the same way.
        const mailboxIds = [...new Set(mine.map((c) => c.mailboxId))].sort();
        const decided: {
          mailboxId: string;
          policy: Parameters<typeof settleVerdicts>[3];
          verdicts: Verdict[];
        }[] = [];
        const undecided: string[] = [];
        for (const mailboxId of mailboxIds) {
          const inputs: GateInput[] = mine
            .filter((c) => c.mailboxId === mailboxId)
            .map((c) => ({
              id: c.messageId,
              accountId: c.accountId,
              mailboxId,
              recipient: c.recipient,
              envelope,
              raw,
              headerSender: m.from?.address ?? null,
              text: m.text,
              inReplyTo: m.inReplyTo,
              references: m.references,
              auth,
              arrivedAt: new Date(),
            }));
          const gate = await evaluateForMailbox(sql, mailboxId, inputs);
          if (gate) decided.push({ mailboxId, policy: gate.policy, verdicts: gate.verdicts });
          else undecided.push(...inputs.map((i) => i.id));
        }
        if (answered) throw new TooLate();
        committing = true;

        const verdicts = decided.flatMap((d) => d.verdicts);
        const refuseAll =
          mine.length > 0 &&
          undecided.length === 0 &&
          verdicts.every((v) => v.decision.outcome !== "accepted" && v.decision.disposition === "bounce");
        const actionOf = (v: Verdict): AuditAction =>
          refuseAll ? "rejected_in_session" : actionAfterAcceptance(v);
        for (const d of decided) {
          await settleVerdicts(
            sql,
            { blobs: deps.blobs, domain: deps.domain },
            d.mailboxId,
            d.policy,
            d.verdicts.map((verdict) => ({ verdict, action: actionOf(verdict) })),
          );
        }
        const accepted = verdicts.filter((v) => v.decision.outcome === "accepted");
        await release(
          sql,
          auth,
          undecided.map((id) => ({ id, decision: null, capabilities: [] })),
        );
        await release(
          sql,
          auth,
          accepted.map((v) => ({
            id: v.input.id,
            decision: { outcome: "accepted", rule_index: v.decision.ruleIndex, decided_in: "smtp_session" },
            capabilities: v.decision.capabilities,
          })),
        );
        if (refuseAll)
          return { kind: "reject", reason: printable(verdicts[0]?.decision.reason ?? "refused by policy") };
        return { kind: "accept" };
      });
    };

    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<SessionReply>((resolve) => {
      timer = setTimeout(() => {
        if (committing) return; // a decision is being written: its reply follows in moments
        answered = true;
        logger.warn("policy did not finish within the SMTP session's budget; deciding after acceptance", {
          message_ids: copies.map((c) => c.messageId),
        });
        resolve({ kind: "accept" });
      }, deps.timeoutMs);
    });
    const decided = work().catch((err) => {
      if (!(err instanceof TooLate)) {
        logger.error("in-session policy failed; deciding after acceptance", { err: String(err) });
      }
      answered = true;
      return { kind: "accept" } as SessionReply;
    });
    try {
      return await Promise.race([decided, budget]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Stores what the session learnt and hands the copies to the processors right away (ends the hold). */
async function release(
  sql: Sql,
  auth: SenderAuthentication,
  rows: { id: string; decision: StoredDecision | null; capabilities: string[] }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `update messages m set sender_auth = $2::jsonb, policy_decision = v.decision, locked_until = null,
       capabilities = array(select jsonb_array_elements_text(v.capabilities))
     from jsonb_to_recordset($1::jsonb) as v (id uuid, decision jsonb, capabilities jsonb)
     where m.id = v.id`,
    [JSON.stringify(rows), JSON.stringify(auth)],
  );
  await sql.query(`select pg_notify('${Channel.received}', '')`);
}
