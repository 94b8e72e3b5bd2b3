import { Type } from "typebox";
import { encodeCursor } from "../../domain/cursor.ts";
import { type AuditRow, listMailboxAudit, verifyMailboxAudit } from "../../governance/audit-log.ts";
import { PageQuery, page } from "../pagination.ts";
import { AuditList, AuditVerification, errors, MAILBOX_ACCESS } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

const AuditQuery = Type.Object(
  {
    ...PageQuery,
    outcome: Type.Optional(Type.String({ maxLength: 40 })),
    sender: Type.Optional(Type.String({ maxLength: 320 })),
    since: Type.Optional(Type.String({ format: "date-time", maxLength: 40 })),
    until: Type.Optional(Type.String({ format: "date-time", maxLength: 40 })),
  },
  { additionalProperties: false },
);

export function auditToWire(r: AuditRow) {
  return {
    seq: r.seq,
    created_at: new Date(r.created_at).toISOString(),
    mailbox_id: r.mailbox_id,
    transport: r.transport,
    envelope_sender: r.envelope_sender,
    header_sender: r.header_sender,
    rule_index: r.rule_index,
    outcome: r.outcome,
    action: r.action,
    reason: r.reason,
    message_id: r.message_id,
    body_sha256: r.body_sha256,
    capabilities: r.capabilities,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

/** The per-mailbox policy audit log and its hash-chain check. */
export function auditRoutes(app: Api, ctx: RouteContext) {
  const tags = ["audit"];

  app.get(
    "/v1/mailboxes/:id/audit",
    {
      schema: {
        tags,
        operationId: "listAuditEntries",
        summary: "Policy audit entries of a mailbox, newest first",
        description:
          "One entry per inbound policy evaluation: time, envelope and header sender, matched rule, outcome, action " +
          "taken (delivered, rejected_in_session, dropped, bounced, bounce_suppressed), reason, the stored message id " +
          "when accepted, and the body's SHA-256 when the policy sets includeBodyHash. Filters: outcome, sender " +
          "(envelope or header, case-insensitive), since/until (ISO 8601, until exclusive).",
        params: MailboxParam,
        querystring: AuditQuery,
        response: { 200: AuditList, ...errors(...MAILBOX_ACCESS, "VALIDATION_ERROR", "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 50;
      const rows = await listMailboxAudit(ctx, principalOf(req), req.params.id, { ...q, limit });
      return page("entries", rows, limit, auditToWire, (r) => encodeCursor({ s: r.seq }));
    },
  );

  app.get(
    "/v1/mailboxes/:id/audit/verify",
    {
      schema: {
        tags,
        operationId: "verifyAuditChain",
        summary: "Check the mailbox's audit hash chain",
        description:
          "Recomputes every entry's hash from the anchor (the last entry retention removed) to the recorded head. " +
          "Returns `{ok, checked, anchor, head, first_broken: {seq, problem, detail} | null}`; problem is one of " +
          "entry_modified, link_broken, entry_missing, head_mismatch.",
        params: MailboxParam,
        response: { 200: AuditVerification, ...errors(...MAILBOX_ACCESS) },
      },
    },
    async (req) => verifyMailboxAudit(ctx, principalOf(req), req.params.id),
  );
}
