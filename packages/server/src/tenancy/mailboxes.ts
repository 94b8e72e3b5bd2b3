import { randomUUID } from "node:crypto";
import { mailboxAddress, mailboxNameProblem } from "../domain/address.ts";
import { IMAGE_RISK_VERSION, OUTBOUND_IMAGE_DISCLAIMER_VERSION } from "../domain/attachment-access.ts";
import type { Clock } from "../domain/clock.ts";
import { decodeCursor } from "../domain/cursor.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import {
  type AgentAuthoringMode,
  type AgentSendPolicy,
  type ApprovalExpiry,
  type AttachmentExposureMode,
  approvalExpiryHours,
  modeTemplate,
  type PolicyMode,
  parseSendWindow,
  recipientPolicyOf,
  type SendWindow,
} from "../domain/mailbox-policy.ts";
import { normalizeDecision } from "../domain/outbound-scan.ts";
import { type RedactionConfig, validateRedactionConfig } from "../domain/pii/redact.ts";
import { actorOf, type Principal, requireRole } from "../domain/principal.ts";
import { entryOrRefuse, type QuotaWindow, quotaProblems } from "../domain/recipient-controls.ts";
import { reservationOf, reservedNameProblem } from "../domain/reserved-names.ts";
import { refuseIfHeld } from "../governance/legal-holds.ts";
import { applySenderPolicy } from "../inbound/firewall.ts";
import { settleMessage } from "../outbound/delivery/settle.ts";
import { applyRecipientPolicy } from "../outbound/recipient-controls.ts";
import { defaultAccount, getAccount, unbindMailbox } from "../store/accounts.ts";
import type { Db, Sql } from "../store/db.ts";
import { CANCELLED_MAILBOX_DELETED, cancelMailboxDeliveries } from "../store/deliveries.ts";
import { cancelMailboxDrafts } from "../store/drafts.ts";
import { replaceEntries } from "../store/mailbox-lists.ts";
import {
  createMailbox,
  dropMailboxRules,
  listMailboxes,
  lockSenderPolicy,
  type MailboxPatch,
  type MailboxRow,
  markMailboxDeleted,
  type ScannerPolicy,
  updateMailbox,
} from "../store/mailboxes.ts";
import { mailboxFor } from "./access.ts";
import { mailboxDomain } from "./domains.ts";

/**
 * Creates a mailbox on the domain the request names, else on the account's default domain. On the installation's
 * domain, names with authority over the domain are the operator's, and a name a deleted mailbox of another account
 * had is never handed to a new owner; on a custom domain the account that holds it is that domain's operator.
 */
export async function openMailbox(
  deps: { db: Db; domain: string; mailboxLimit?: number },
  p: Principal,
  input: { name: string; displayName: string | null; domain?: string },
): Promise<MailboxRow> {
  requireRole(p, "admin");
  const { name } = input;
  const problem = mailboxNameProblem(name);
  if (problem) throw validation(problem, [`body.${problem}`]);
  const domain = await mailboxDomain({ db: deps.db, config: { domain: deps.domain } }, p, input.domain);
  const address = mailboxAddress({ name, domain }, deps.domain);
  const account = await getAccount(deps.db, p.accountId);
  const operator = domain !== null || (await defaultAccount(deps.db))?.id === p.accountId;
  const reserved = reservedNameProblem(name, operator);
  if (reserved)
    throw new AppError("forbidden", "MAILBOX_NAME_RESERVED", reserved, {
      name,
      reserved_for: reservationOf(name)!.holder,
    });
  const created = await createMailbox(deps.db, {
    accountId: p.accountId,
    name,
    domain,
    displayName: input.displayName,
    // The operator may take back a reserved name a tenant held before it was reserved.
    takeOver: operator && reservationOf(name) !== null,
    limit: deps.mailboxLimit,
    settings: account?.default_policy_mode ? startingPolicy(account.default_policy_mode) : undefined,
  });
  if (!created.ok && created.reason === "limit")
    throw new AppError(
      "forbidden",
      "MAILBOX_LIMIT_REACHED",
      `the account has ${deps.mailboxLimit} mailboxes, its limit (POSTBOX_MAILBOX_LIMIT); delete one first`,
      { limit: deps.mailboxLimit },
    );
  if (!created.ok && created.reason === "retired")
    throw new AppError(
      "conflict",
      "MAILBOX_NAME_RETIRED",
      `the address ${address} belonged to a deleted mailbox of another account; names are ` +
        "never handed to a new owner (mail meant for the old one would reach you). Choose another name",
    );
  if (!created.ok && created.reason === "no_domain") throw notFound("domain", input.domain ?? domain ?? "");
  if (!created.ok)
    throw new AppError("conflict", "MAILBOX_NAME_TAKEN", `the address ${address} is already taken`);
  return created.mailbox;
}

/** What a new mailbox starts with under the account's default policy mode (its allowlist starts empty). */
function startingPolicy(mode: PolicyMode): MailboxPatch {
  const t = modeTemplate(mode);
  return {
    agentAuthoringMode: t.agentAuthoringMode,
    recipientPolicy: t.agentSendPolicy ? recipientPolicyOf(t.agentSendPolicy) : undefined,
    hitlMode: t.hitlMode,
    lastAppliedPolicyMode: mode,
    policyRevisionId: randomUUID(),
  };
}

/** The mailboxes the caller may use, oldest first: up to limit + 1 rows, so the caller can tell whether more follow. */
export async function mailboxesOf(
  deps: { db: Db },
  p: Principal,
  q: { limit: number; cursor?: string },
): Promise<MailboxRow[]> {
  requireRole(p, "admin", "agent");
  const after = q.cursor ? decodeCursor(q.cursor, { t: "timestamp", i: "uuid" }) : null;
  return listMailboxes(deps.db, p.accountId, {
    limit: q.limit + 1,
    after: after ? { createdAt: after.t, id: after.i } : undefined,
    onlyIds: p.role === "agent" ? p.mailboxIds : undefined,
  });
}

/** A mailbox by id or name. */
export function mailbox(deps: { db: Db }, p: Principal, ref: string): Promise<MailboxRow> {
  return mailboxFor(deps.db, p, ref);
}

/** Settings as a client sends them; the free-form ones are checked here, with errors that name what is wrong. */
export interface MailboxSettings {
  displayName?: string | null;
  piiMode?: MailboxRow["pii_mode"];
  /** Per-detector redaction settings; null (what rly's `set-redaction --reset` sends) resets them, as {} does. */
  piiRedactionConfig?: unknown;
  injectionThreshold?: number | null;
  hitlMode?: MailboxRow["hitl_mode"];
  /** Replaces the scanner policy; null resets it to the platform defaults. */
  scannerPolicy?: unknown | null;
  approvalExpiryHours?: number | null;
  approvalExpiry?: ApprovalExpiry;
  sendQuotas?: unknown;
  inboundSenderAllowlist?: string[] | null;
  status?: MailboxRow["status"];
  recipientPolicyMode?: MailboxRow["recipient_policy"];
  senderPolicyMode?: MailboxRow["sender_policy"];
  agentSendPolicy?: AgentSendPolicy;
  /** Switching to an allowlist mode with an empty list, on purpose. */
  forceEmpty?: boolean;
  allowThreadReplies?: boolean;
  /** Sends reach confirmed verified recipients only. */
  sandbox?: boolean;
  defaultSubaddressMode?: MailboxRow["default_subaddress_mode"];
  attachmentExposureMode?: AttachmentExposureMode;
  attachmentAllowedFileFamilies?: string[];
  /** Accepts the image-risk text of this version (must be the current one) for raw image downloads by agents. */
  acceptImageRiskVersion?: string;
  outboundAttachmentsEnabled?: boolean;
  /** Accepts the outbound image disclaimer of this version (must be the current one). */
  acceptOutboundImageDisclaimerVersion?: string;
  agentAuthoringMode?: AgentAuthoringMode;
  /** null: always open. */
  sendWindow?: unknown | null;
  applyPolicyMode?: PolicyMode;
  /** Days settled mail is kept; null: the account's retention. */
  retentionDays?: number | null;
}

/** Fields a policy mode writes, and fields that say the same thing twice: never two of a group in one change. */
const EXCLUSIVE: [keyof MailboxSettings, (keyof MailboxSettings)[]][] = [
  ["agentSendPolicy", ["recipientPolicyMode"]],
  ["applyPolicyMode", ["agentAuthoringMode", "agentSendPolicy", "recipientPolicyMode", "hitlMode"]],
  ["approvalExpiry", ["approvalExpiryHours"]],
];

const WIRE_NAME: Partial<Record<keyof MailboxSettings, string>> = {
  agentSendPolicy: "agent_send_policy",
  recipientPolicyMode: "recipient_policy_mode",
  applyPolicyMode: "apply_policy_mode",
  agentAuthoringMode: "agent_authoring_mode",
  hitlMode: "hitl_mode",
  approvalExpiry: "approval_expiry",
  approvalExpiryHours: "approval_expiry_hours",
};

/** Settings that make up the agent policy: changing one starts a new policy revision. */
const POLICY_FIELDS: (keyof MailboxPatch)[] = [
  "hitlMode",
  "approvalExpiryHours",
  "recipientPolicy",
  "allowThreadReplies",
  "sandbox",
  "agentAuthoringMode",
  "sendWindow",
  "lastAppliedPolicyMode",
  "scannerPolicy",
  "sendQuotas",
];

function checkExclusive(s: MailboxSettings): void {
  for (const [field, others] of EXCLUSIVE) {
    if (s[field] === undefined) continue;
    const clash = others.find((o) => s[o] !== undefined);
    if (clash)
      throw new AppError(
        "invalid",
        "CONFLICTING_FIELDS",
        `${WIRE_NAME[field]} and ${WIRE_NAME[clash]} set the same thing; send one of them`,
        { fields: [WIRE_NAME[field], WIRE_NAME[clash]] },
      );
  }
}

/** The send window as stored, or the validation error that names what is wrong with it. */
function sendWindowOf(v: unknown): SendWindow | null {
  if (v === null) return null;
  const w = parseSendWindow(v);
  if (!w.ok) throw validation(w.problems[0]!, w.problems);
  return w.window;
}

/**
 * The attachment settings as stored: families apply to raw_download_selected_types only, which needs some; raw
 * image downloads need the current image-risk text accepted (now, or before); the consents are written with their
 * version.
 */
function attachmentSettingsOf(
  mb: MailboxRow,
  s: MailboxSettings,
  now: Date,
): Pick<
  MailboxPatch,
  | "attachmentExposureMode"
  | "attachmentAllowedFileFamilies"
  | "attachmentImageAcceptedVersion"
  | "attachmentImageAcceptedAt"
  | "outboundAttachmentsEnabled"
  | "outboundImageDisclaimerVersion"
> {
  const consents: ReturnType<typeof attachmentSettingsOf> = {};
  if (s.acceptImageRiskVersion !== undefined) {
    if (s.acceptImageRiskVersion !== IMAGE_RISK_VERSION)
      throw validation(`accept_image_risk_version must be the current version, ${IMAGE_RISK_VERSION}`);
    consents.attachmentImageAcceptedVersion = IMAGE_RISK_VERSION;
    consents.attachmentImageAcceptedAt = now;
  }
  if (s.acceptOutboundImageDisclaimerVersion !== undefined) {
    if (s.acceptOutboundImageDisclaimerVersion !== OUTBOUND_IMAGE_DISCLAIMER_VERSION)
      throw validation(
        `accept_outbound_image_disclaimer_version must be the current version, ${OUTBOUND_IMAGE_DISCLAIMER_VERSION}`,
      );
    consents.outboundImageDisclaimerVersion = OUTBOUND_IMAGE_DISCLAIMER_VERSION;
  }
  if (s.outboundAttachmentsEnabled !== undefined)
    consents.outboundAttachmentsEnabled = s.outboundAttachmentsEnabled;
  if (s.attachmentExposureMode === undefined && s.attachmentAllowedFileFamilies === undefined)
    return consents;
  const mode = s.attachmentExposureMode ?? mb.attachment_exposure_mode;
  const families = [...new Set(s.attachmentAllowedFileFamilies ?? mb.attachment_allowed_file_families)];
  if (mode !== "raw_download_selected_types") {
    if (s.attachmentAllowedFileFamilies?.length)
      throw validation(
        "attachment_allowed_file_families apply to attachment_exposure_mode raw_download_selected_types only",
      );
    return { ...consents, attachmentExposureMode: mode, attachmentAllowedFileFamilies: [] };
  }
  if (families.length === 0)
    throw validation(
      "raw_download_selected_types needs attachment_allowed_file_families (pdf, text, csv, image or *)",
    );
  const imageAccepted =
    consents.attachmentImageAcceptedVersion === IMAGE_RISK_VERSION ||
    mb.attachment_image_accepted_version === IMAGE_RISK_VERSION;
  if (families.includes("image") && !imageAccepted)
    throw new AppError(
      "invalid",
      "IMAGE_RISK_ACCEPTANCE_REQUIRED",
      `raw image downloads need the image-risk text accepted: pass accept_image_risk_version ${IMAGE_RISK_VERSION} ` +
        "to POST /v1/mailboxes/:id/attachment-access",
      { current_image_risk_version: IMAGE_RISK_VERSION },
    );
  return { ...consents, attachmentExposureMode: mode, attachmentAllowedFileFamilies: families };
}

export async function changeMailbox(
  deps: { db: Db },
  p: Principal,
  ref: string,
  s: MailboxSettings,
): Promise<MailboxRow> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, ref);
  checkExclusive(s);
  let piiRedactionConfig: RedactionConfig | undefined;
  if (s.piiRedactionConfig !== undefined) {
    // null resets to the defaults, as `{}` does (the seed's clients send null for a reset).
    const v = validateRedactionConfig(s.piiRedactionConfig ?? {});
    if (!v.config) {
      if (v.unprocessable)
        throw new AppError("unprocessable", "PII_OPERATOR_NOT_ALLOWED", v.errors[0]!, { errors: v.errors });
      throw validation(v.errors[0]!, v.errors);
    }
    piiRedactionConfig = v.config;
  }
  // The sender allowlist's rows, replaced whole (the same list as /v1/mailboxes/:id/inbound-allowlist).
  const senderAllowlist =
    s.inboundSenderAllowlist === undefined
      ? undefined
      : [
          ...new Set(
            (s.inboundSenderAllowlist ?? []).map((e) => entryOrRefuse(e, "inbound_sender_allowlist entry")),
          ),
        ];
  if (s.sendQuotas !== undefined) {
    const problems = quotaProblems(s.sendQuotas);
    if (problems.length) throw validation(problems[0]!, problems);
  }
  const sendWindow = s.sendWindow === undefined ? undefined : sendWindowOf(s.sendWindow);
  const attachments = attachmentSettingsOf(mb, s, new Date());
  const template = s.applyPolicyMode ? modeTemplate(s.applyPolicyMode) : null;
  const sendPolicy = template?.agentSendPolicy ?? s.agentSendPolicy;
  const recipientPolicy = s.recipientPolicyMode ?? (sendPolicy ? recipientPolicyOf(sendPolicy) : undefined);
  // The older inbound_sender_allowlist field replaces the list and, unless the mode is given too, sets the mode with
  // it: a list turns the allowlist on, null or [] turns it off.
  const senderPolicy =
    s.senderPolicyMode ??
    (senderAllowlist !== undefined ? (senderAllowlist.length ? "allowlist" : "blocklist") : undefined);

  const patch: MailboxPatch = {
    displayName: s.displayName,
    piiMode: s.piiMode,
    piiRedactionConfig,
    injectionThreshold: s.injectionThreshold,
    hitlMode: template?.hitlMode ?? s.hitlMode,
    scannerPolicy:
      s.scannerPolicy === undefined
        ? undefined
        : s.scannerPolicy === null
          ? {}
          : withSpecNames(s.scannerPolicy as ScannerPolicy),
    approvalExpiryHours: s.approvalExpiry ? approvalExpiryHours(s.approvalExpiry) : s.approvalExpiryHours,
    sendQuotas: s.sendQuotas as QuotaWindow[] | undefined,
    status: s.status,
    allowThreadReplies: s.allowThreadReplies,
    sandbox: s.sandbox,
    defaultSubaddressMode: s.defaultSubaddressMode,
    ...attachments,
    agentAuthoringMode: template?.agentAuthoringMode ?? s.agentAuthoringMode,
    sendWindow,
    lastAppliedPolicyMode: s.applyPolicyMode,
    retentionDays: s.retentionDays,
  };
  if (POLICY_FIELDS.some((f) => patch[f] !== undefined)) patch.policyRevisionId = randomUUID();
  return deps.db.tx(async (sql) => {
    // The mailbox row first, then its lists: the order every change of the mailbox's policy takes its locks in.
    await lockSenderPolicy(sql, mb.id);
    if (senderAllowlist) await replaceEntries(sql, "senders", mb.id, senderAllowlist, actorOf(p));
    // Modes before the settings: they may refuse (an empty allowlist) before anything is written.
    if (recipientPolicy) await applyRecipientPolicy(sql, mb, recipientPolicy, s.forceEmpty);
    if (senderPolicy) await applySenderPolicy(sql, mb, senderPolicy, { forceEmpty: s.forceEmpty });
    return updateMailbox(sql, mb.id, patch);
  });
}

/** Switches the inbound sender policy (the seed's PATCH …/sender-policy); the mode before and after. */
export async function switchSenderPolicy(
  deps: { db: Db; clock: Clock },
  p: Principal,
  ref: string,
  mode: MailboxRow["sender_policy"],
  forceEmpty = false,
): Promise<{ mailbox: MailboxRow; previous: MailboxRow["sender_policy"]; changedAt: Date }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, ref);
  const { previous } = await deps.db.tx((sql) => applySenderPolicy(sql, mb, mode, { forceEmpty }));
  return { mailbox: mb, previous, changedAt: deps.clock.now() };
}

/** Stores outbound PII decisions under the spec's names ("review" was require_human_approval's old name). */
function withSpecNames(policy: ScannerPolicy): ScannerPolicy {
  const pii = policy.outbound_pii_policy;
  if (!pii) return policy;
  const named = Object.fromEntries(Object.entries(pii).map(([k, d]) => [k, normalizeDecision(d)]));
  return { ...policy, outbound_pii_policy: named };
}

export interface MailboxDeletion {
  drafts_cancelled: number;
  deliveries_cancelled: number;
  rule_jobs_dropped: number;
}

/**
 * Deletes a mailbox and everything still to be done in its name, in one transaction: its scheduled and unsent
 * drafts and its queued deliveries are cancelled (a delivery a worker holds right now finishes its attempt; a
 * retry is cancelled when claimed), its rules and queued rule runs are dropped, and agent keys lose it. The name
 * stays with the account (mailbox_names). Sends racing the deletion are refused by the send path's row lock.
 * Says what it cancelled. A legal hold on the mailbox or its account refuses the deletion.
 */
export async function removeMailbox(
  deps: { db: Db },
  p: Principal,
  ref: string,
): Promise<{ mailbox: MailboxRow; done: MailboxDeletion }> {
  requireRole(p, "admin");
  const mb = await mailboxFor(deps.db, p, ref);
  const done = await deps.db.tx(async (sql) => {
    await refuseIfHeld(sql, mb.account_id, mb.id, `mailbox ${mb.name}`);
    return retireMailbox(sql, mb);
  });
  return { mailbox: mb, done };
}

/**
 * The deletion of one mailbox inside the caller's transaction, after its holds were checked: marks it deleted,
 * unbinds it from agent keys, cancels its unsent drafts and queued deliveries, drops its rules.
 */
export async function retireMailbox(
  sql: Sql,
  mb: Pick<MailboxRow, "id" | "account_id">,
): Promise<MailboxDeletion> {
  await markMailboxDeleted(sql, mb.id);
  await unbindMailbox(sql, mb.account_id, mb.id);
  const drafts = await cancelMailboxDrafts(sql, mb.id);
  const deliveries = await cancelMailboxDeliveries(sql, mb.id, CANCELLED_MAILBOX_DELETED);
  // Their messages follow the deliveries, as the deletion (the state machine says from where).
  for (const id of deliveries.messageIds) await settleMessage(sql, id, "deletion");
  const jobs = await dropMailboxRules(sql, mb.id);
  return { drafts_cancelled: drafts, deliveries_cancelled: deliveries.cancelled, rule_jobs_dropped: jobs };
}
