import { AppError } from "../../domain/errors.ts";
import { validatePolicy } from "../../domain/policy/validate.ts";
import { getPolicy, putPolicy } from "../../store/policies.ts";
import { mailboxFor } from "../access.ts";
import { requireRole } from "../auth.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { MailboxParam } from "./mailboxes.ts";

/** The per-mailbox MailPolicy, camelCase on the wire exactly as in the spec. */
export function policyRoutes(app: Api, ctx: RouteContext) {
  const tags = ["policy"];

  app.get(
    "/v1/mailboxes/:id/policy",
    {
      schema: {
        tags,
        summary: "The mailbox's MailPolicy (null: the mailbox accepts everything)",
        params: MailboxParam,
      },
    },
    async (req) => {
      const mb = await mailboxFor(ctx.db, principalOf(req), req.params.id);
      const row = await getPolicy(ctx.db, mb.id);
      return {
        mailbox_id: mb.id,
        policy: row?.document ?? null,
        updated_at: row?.updated_at.toISOString() ?? null,
      };
    },
  );

  app.put(
    "/v1/mailboxes/:id/policy",
    {
      schema: {
        tags,
        summary: "Set the mailbox's MailPolicy",
        description:
          "Body: a MailPolicy document (defaultAction, senders, contentGuards, auditLog). Invalid documents get 400 with " +
          '`errors`, e.g. "auditLog.retentionDays must be >= 1". Unknown capability strings are accepted with `warnings`.',
        params: MailboxParam,
      },
    },
    async (req) => {
      const p = principalOf(req);
      requireRole(p, "admin");
      const mb = await mailboxFor(ctx.db, p, req.params.id);
      const { errors, warnings, policy } = validatePolicy(req.body);
      if (!policy) {
        throw new AppError(400, "VALIDATION_ERROR", `the policy is not valid: ${errors[0]}`, { errors });
      }
      const row = await putPolicy(ctx.db, mb.account_id, mb.id, policy);
      return { mailbox_id: mb.id, policy: row.document, updated_at: row.updated_at.toISOString(), warnings };
    },
  );
}
