import { Type } from "typebox";
import { POLICY_MODES, type PolicyMode } from "../../domain/mailbox-policy.ts";
import { deleteAccount } from "../../tenancy/account-deletion.ts";
import { type AccountRow, allAccounts, openAccount, ownAccount } from "../../tenancy/accounts.ts";
import { accountPolicyOf, changeAccountPolicy } from "../../tenancy/agent-policy.ts";
import { describeKey } from "../../tenancy/api-keys.ts";
import { accountUsage } from "../../tenancy/usage.ts";
import { list } from "../pagination.ts";
import {
  AccountList,
  AccountPolicyRef,
  CreatedAccount,
  DeletedAccount,
  errors,
  KeyIdentity,
  OwnAccount,
  Usage,
  withExamples,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { accountPolicyToWire } from "../wire.ts";

const CreateAccount = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

const toWire = (a: AccountRow) => ({
  id: a.id,
  name: a.name,
  is_default: a.is_default,
  created_at: a.created_at.toISOString(),
});

const usageDay = (d: Date) => d.toISOString().slice(0, 10);
/** The seed's tier: a self-hosted account has none, except sandbox mode (the seed's sandbox tier). */
const tierOf = (a: { sandbox: boolean }) => (a.sandbox ? "sandbox" : "self_hosted");

/**
 * The calling key's account, its identity and usage (the seed's `/v1/accounts`, `/v1/auth/me`,
 * `/v1/accounts/usage`), and the operator's tenants: the default account (created at first start) belongs to the
 * operator, and only its admin keys may create or list accounts.
 */
export function accountRoutes(app: Api, ctx: RouteContext) {
  const tags = ["accounts"];
  const usageDeps = { db: ctx.db, clock: ctx.clock, defaultDailyCap: ctx.config.accountDailySendCap };
  const defaultCap = ctx.config.accountDailySendCap;
  const retentionDays = ctx.config.retentionDays;

  app.get(
    "/v1/accounts",
    {
      schema: {
        tags,
        operationId: "getAccount",
        summary: "The calling key's account",
        response: { 200: OwnAccount },
      },
    },
    async (req) => {
      const a = await ownAccount(ctx, principalOf(req));
      // A self-hosted account has no sign-up e-mail or billing tier.
      return { account_id: a.id, ...toWire(a), email: null, status: "active", tier: tierOf(a) };
    },
  );

  app.delete(
    "/v1/accounts",
    {
      schema: {
        tags,
        operationId: "deleteAccount",
        summary: "Delete the calling key's account and all its data (admin)",
        description:
          "The body names the account: `confirm` with its id or name (`GET /v1/accounts` answers both). The seed's " +
          "`confirm_email` is accepted as its CLI sends it: echoing the `email` of `GET /v1/accounts`, which is " +
          "null for a self-hosted account (the id or name is accepted there too). Refused with `409 " +
          "LEGAL_HOLD_ACTIVE` while any legal hold of the account (account or mailbox scope) is active, and with " +
          "`403 OPERATOR_ACCOUNT_PROTECTED` for the default (operator) account. At once: every mailbox is deleted " +
          "(unsent sends cancelled), every key of the account is revoked (the calling key too: it answers 401 from " +
          "now on), its custom domains are released (another account may add them), its webhooks and verified " +
          "recipients are deleted. Then the worker purges the stored mail, threads, events, drafts, audit chains, " +
          "lists and keys within about a minute; the raw message bytes go with the next blob sweep. The account's " +
          "mailbox names stay reserved (never handed to another tenant) and its legal holds stay on record.",
        body: withExamples(
          Type.Object(
            {
              confirm: Type.Optional(
                Type.String({ maxLength: 200, description: "The account's id or name." }),
              ),
              confirm_email: Type.Optional(
                Type.Union([Type.String({ maxLength: 320 }), Type.Null()], {
                  description:
                    "The seed's field: the `email` of `GET /v1/accounts` (null here), or the id or name.",
                }),
              ),
            },
            { additionalProperties: false },
          ),
          { confirm: "Acme Corp" },
        ),
        response: {
          200: DeletedAccount,
          ...errors(
            "CONFIRMATION_REQUIRED",
            "CONFIRMATION_MISMATCH",
            "INSUFFICIENT_SCOPE",
            "OPERATOR_ACCOUNT_PROTECTED",
            "LEGAL_HOLD_ACTIVE",
          ),
        },
      },
    },
    async (req) => {
      const d = await deleteAccount(ctx, principalOf(req), {
        confirm: req.body.confirm,
        confirmEmail: req.body.confirm_email,
      });
      return {
        status: "deleted",
        message:
          `Account ${d.account.name} (${d.account.id}) deleted: ${d.keysRevoked} keys revoked, ` +
          `${d.mailboxesDeleted} mailboxes deleted; its stored mail is being purged.`,
        account_id: d.account.id,
        deleted_at: d.deletedAt.toISOString(),
        keys_revoked: d.keysRevoked,
        mailboxes_deleted: d.mailboxesDeleted,
        domains_released: d.domainsReleased,
        webhooks_deleted: d.webhooksDeleted,
        verified_recipients_deleted: d.verifiedRecipientsDeleted,
        purge: "pending",
      };
    },
  );

  app.get(
    "/v1/auth/me",
    {
      schema: {
        tags,
        operationId: "getCurrentKey",
        summary: "Who the calling key is",
        response: { 200: KeyIdentity },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const key = await describeKey(ctx, p);
      return {
        account_id: p.accountId,
        api_key_id: p.apiKeyId,
        role: p.role,
        label: key.name,
        mailbox_ids: p.role === "agent" ? p.mailboxIds : [],
        // No URL-reputation service is wired in a self-hosted Postbox.
        url_reputation: { active: false, accepted_version: null, current_version: "none", privacy_ok: true },
      };
    },
  );

  app.get(
    "/v1/accounts/usage",
    {
      schema: {
        tags,
        operationId: "getAccountUsage",
        summary: "Sends today and over 30 days, mailboxes, held sends, storage (admin)",
        description:
          "`today.limit` is the daily send cap in force (the account's, or POSTBOX_ACCOUNT_DAILY_SEND_CAP); `history` " +
          "the sends of each of the last 30 days that had any; `mailbox_limit` is POSTBOX_MAILBOX_LIMIT (live " +
          "mailboxes per account); `pending_review_count` the sends held for a human. Storage, counted per stored " +
          "message: `breakdown.raw_mime_bytes` the raw messages; `breakdown.attachment_bytes` the decoded " +
          "attachments, which are kept inside the raw messages (part of raw_mime_bytes, not added again); " +
          "`breakdown.derivative_bytes` the text and HTML bodies parsed out of them and kept for reading and search; " +
          "`used_bytes` = raw_mime_bytes + derivative_bytes. There is no per-account storage limit (`limit_bytes` " +
          "and `percent_used` null, `state` normal). `tier`: sandbox when the account is in sandbox mode, else " +
          "self_hosted.",
        response: { 200: Usage, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) => {
      const u = await accountUsage(usageDeps, principalOf(req));
      return {
        today: { count: u.daily.used, limit: u.daily.limit, day: usageDay(u.daily.window_start) },
        history: u.history,
        mailbox_count: u.mailboxes,
        mailbox_limit: ctx.config.mailboxLimit,
        pending_review_count: u.pendingReview,
        storage: {
          used_bytes: u.rawBytes + u.derivedBytes,
          limit_bytes: null,
          percent_used: null,
          state: "normal",
          breakdown: {
            raw_mime_bytes: u.rawBytes,
            attachment_bytes: u.attachmentBytes,
            derivative_bytes: u.derivedBytes,
          },
        },
        tier: tierOf(u),
      };
    },
  );

  app.get(
    "/v1/account/policy",
    {
      schema: {
        tags,
        operationId: "getAccountPolicy",
        summary: "The account's policy: its daily send cap and the mode new mailboxes start in (admin)",
        description:
          "`custom_daily_send_limit`: the account's own daily cap in recipients (null: the operator's default, " +
          "POSTBOX_ACCOUNT_DAILY_SEND_CAP); `daily_send_limit`: the cap in force, which sends count against " +
          "(`daily_limit` and `sends_remaining` in send answers). `default_policy_mode`: read_only | draft_only | " +
          "supervised | trusted applied to every mailbox created from now on (null: none). `retention_days`: the " +
          "account's own retention of settled mail (null: POSTBOX_RETENTION_DAYS); `effective_retention_days`: the " +
          "one in force where a mailbox sets none.",
        response: { 200: AccountPolicyRef, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) =>
      accountPolicyToWire(await accountPolicyOf(ctx, principalOf(req)), defaultCap, retentionDays),
  );

  app.patch(
    "/v1/account/policy",
    {
      schema: {
        tags,
        operationId: "updateAccountPolicy",
        summary: "Set the account's daily send cap, default policy mode, sandbox mode or retention (admin)",
        description:
          "`custom_daily_send_limit`: a positive integer, or null to go back to the operator's default. " +
          "`default_policy_mode`: a mode, or null. `sandbox`: true puts every mailbox of the account in sandbox mode " +
          "(sends reach confirmed verified recipients only, `/v1/recipients`). `retention_days`: days settled mail " +
          "is kept in mailboxes that set none (1–36500), or null for the operator's POSTBOX_RETENTION_DAYS. " +
          "Absent fields stay. Admin keys are " +
          "the account's humans: they may raise or clear the cap as well as lower it.",
        body: withExamples(
          Type.Object(
            {
              custom_daily_send_limit: Type.Optional(
                Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()]),
              ),
              default_policy_mode: Type.Optional(
                Type.Union([...POLICY_MODES.map((m) => Type.Literal(m)), Type.Null()]),
              ),
              sandbox: Type.Optional(Type.Boolean()),
              retention_days: Type.Optional(
                Type.Union([Type.Integer({ minimum: 1, maximum: 36_500 }), Type.Null()]),
              ),
            },
            { additionalProperties: false },
          ),
          { custom_daily_send_limit: 500, default_policy_mode: "supervised" },
        ),
        response: { 200: AccountPolicyRef, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) =>
      accountPolicyToWire(
        await changeAccountPolicy(ctx, principalOf(req), {
          customDailySendLimit: req.body.custom_daily_send_limit,
          defaultPolicyMode: req.body.default_policy_mode as PolicyMode | null | undefined,
          sandbox: req.body.sandbox,
          retentionDays: req.body.retention_days,
        }),
        defaultCap,
        retentionDays,
      ),
  );

  app.post(
    "/v1/operator/accounts",
    {
      schema: {
        tags,
        operationId: "createAccount",
        summary: "Create an account (tenant) with its first admin key (operator only)",
        body: withExamples(CreateAccount, { name: "Acme Corp" }),
        response: { 201: CreatedAccount, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req, reply) => {
      const { account, adminKey } = await openAccount(ctx, principalOf(req), req.body.name);
      return reply
        .status(201)
        .send({ ...toWire(account), admin_key: adminKey.key, admin_key_id: adminKey.id });
    },
  );

  app.get(
    "/v1/operator/accounts",
    {
      schema: {
        tags,
        operationId: "listAccounts",
        summary: "List accounts (operator only)",
        response: { 200: AccountList, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req) => {
      const rows = await allAccounts(ctx, principalOf(req));
      return list("accounts", rows.map(toWire));
    },
  );
}
