import { randomUUID } from "node:crypto";
import { isUuid } from "../domain/address.ts";
import type {
  AgentAuthoringMode,
  AttachmentExposureMode,
  PolicyMode,
  ScannerSwitches,
  SendWindow,
} from "../domain/mailbox-policy.ts";
import type { Decision, OutboundPiiType } from "../domain/outbound-scan.ts";
import type { RedactionConfig } from "../domain/pii/redact.ts";
import type { QuotaWindow } from "../domain/recipient-controls.ts";
import { safeJson } from "../domain/safe-text.ts";
import type { HitlMode } from "../domain/send-decision.ts";

export interface ScannerPolicy extends ScannerSwitches {
  outbound_pii_policy?: Partial<Record<OutboundPiiType, Decision>>;
  outbound_review_policy?: { approval_note?: "optional" | "required_for_sensitive_pii" };
}

import type { Db, Sql } from "./db.ts";
import { isLiveAlias } from "./mailbox-aliases.ts";

export interface MailboxRow {
  id: string;
  account_id: string;
  name: string;
  /** The custom domain the mailbox lives on; null: the installation's (POSTBOX_DOMAIN). */
  domain: string | null;
  display_name: string | null;
  inbound_seq: number;
  pii_mode: "passthrough" | "redacted";
  pii_redaction_config: RedactionConfig;
  /** Null: the injection model's default. */
  injection_threshold: number | null;
  hitl_mode: HitlMode;
  scanner_policy: ScannerPolicy;
  /** Null: held sends never expire. */
  approval_expiry_hours: number | null;
  recipient_policy: "blocklist" | "allowlist";
  send_quotas: QuotaWindow[];
  /** Deletion is deleted_at; a paused mailbox defers inbound mail and sends nothing. */
  status: "active" | "paused";
  /** allowlist: only the sender allowlist's senders get through (none when it is empty); blocklist: it is inert. */
  sender_policy: "blocklist" | "allowlist";
  allow_thread_replies: boolean;
  /** Sends reach confirmed recipients only (so do the sends of a sandboxed account's every mailbox). */
  sandbox: boolean;
  default_subaddress_mode: "reply_to" | "from" | "none";
  attachment_exposure_mode: AttachmentExposureMode;
  attachment_allowed_file_families: string[];
  /** The image-risk version accepted for raw image downloads by agents (null: none). */
  attachment_image_accepted_version: string | null;
  attachment_image_accepted_at: Date | null;
  outbound_attachments_enabled: boolean;
  /** The outbound image disclaimer version accepted (null: images may not be sent). */
  outbound_image_disclaimer_version: string | null;
  agent_authoring_mode: AgentAuthoringMode;
  send_window: SendWindow | null;
  last_applied_policy_mode: PolicyMode | null;
  policy_revision_id: string | null;
  /** Days settled mail is kept; null: the account's retention. */
  retention_days: number | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export type CreateMailboxResult =
  | { ok: true; mailbox: MailboxRow }
  /**
   * taken: a live mailbox has the name; retired: another account used it and deleted it; limit: the account has
   * as many live mailboxes as it may; no_domain: the custom domain is not the account's (any more).
   */
  | { ok: false; reason: "taken" | "retired" | "limit" | "no_domain" };

/**
 * Creates a mailbox when its name is free: no live mailbox has it, and no other account has used it (mailbox_names
 * keeps every name with the account that used it, through deletion). `takeOver` lets the name move to this account
 * when no live mailbox holds it: the operator claiming a reserved name a tenant once held.
 */
export async function createMailbox(
  db: Db,
  input: {
    accountId: string;
    name: string;
    /** A custom domain of the account (null or absent: the installation's). */
    domain?: string | null;
    displayName: string | null;
    takeOver?: boolean;
    /** Settings the mailbox starts with (the account's default policy mode), written in the same transaction. */
    settings?: MailboxPatch;
    /** Live mailboxes the account may have (none: no limit). */
    limit?: number;
  },
): Promise<CreateMailboxResult> {
  return db.tx(async (sql) => {
    if (input.limit !== undefined) {
      // The account row lock serialises creations in the account: two at once cannot both take the last place.
      await sql.query("select id from accounts where id = $1 for update", [input.accountId]);
      const [n] = await sql.query<{ n: number }>(
        "select count(*)::int as n from mailboxes where account_id = $1 and deleted_at is null",
        [input.accountId],
      );
      if (n!.n >= input.limit) return { ok: false, reason: "limit" };
    }
    if (input.domain) return createOnDomain(sql, { ...input, domain: input.domain });
    await sql.query(
      "insert into mailbox_names (name, account_id) values ($1, $2) on conflict (name) do nothing",
      [input.name, input.accountId],
    );
    // The row lock serialises every creation of this name, so the checks below cannot race.
    const [owner] = await sql.query<{ account_id: string }>(
      "select account_id from mailbox_names where name = $1 for update",
      [input.name],
    );
    // An alias of a live mailbox holds the address as firmly as a mailbox does.
    if (await isLiveAlias(sql, input.name)) return { ok: false, reason: "taken" };
    if (owner!.account_id !== input.accountId) {
      if (await findMailboxByName(sql, input.name)) return { ok: false, reason: "taken" };
      if (!input.takeOver) return { ok: false, reason: "retired" };
      await sql.query("update mailbox_names set account_id = $2 where name = $1", [
        input.name,
        input.accountId,
      ]);
    }
    const [row] = await sql.query<MailboxRow>(
      `insert into mailboxes (id, account_id, name, display_name) values ($1, $2, $3, $4)
       on conflict (domain, name) where deleted_at is null do nothing returning *`,
      [randomUUID(), input.accountId, input.name, input.displayName],
    );
    if (!row) return { ok: false, reason: "taken" };
    const mailbox = input.settings ? await updateMailbox(sql, row.id, input.settings) : row;
    return { ok: true, mailbox };
  });
}

/**
 * A mailbox on a custom domain. The domain is one account's, so its names need no keeping from other tenants
 * (mailbox_names is the installation domain's); the domain row's share lock keeps it from being deleted meanwhile.
 */
async function createOnDomain(
  sql: Sql,
  input: {
    accountId: string;
    name: string;
    domain: string;
    displayName: string | null;
    settings?: MailboxPatch;
  },
): Promise<CreateMailboxResult> {
  const [domain] = await sql.query("select id from domains where name = $1 and account_id = $2 for share", [
    input.domain,
    input.accountId,
  ]);
  if (!domain) return { ok: false, reason: "no_domain" };
  const [row] = await sql.query<MailboxRow>(
    `insert into mailboxes (id, account_id, name, domain, display_name) values ($1, $2, $3, $4, $5)
     on conflict (domain, name) where deleted_at is null do nothing returning *`,
    [randomUUID(), input.accountId, input.name, input.domain, input.displayName],
  );
  if (!row) return { ok: false, reason: "taken" };
  const mailbox = input.settings ? await updateMailbox(sql, row.id, input.settings) : row;
  return { ok: true, mailbox };
}

/**
 * A live mailbox of the account by UUID, name or address. A bare name the account has on several domains is its
 * oldest mailbox of that name, so creating a mailbox never changes what a name already meant; `name@domain` is
 * exact for a custom domain and means the installation's domain otherwise.
 */
export async function findMailbox(sql: Sql, accountId: string, ref: string): Promise<MailboxRow | null> {
  const r = ref.toLowerCase();
  if (isUuid(r)) {
    const [row] = await sql.query<MailboxRow>(
      "select * from mailboxes where account_id = $1 and id = $2 and deleted_at is null",
      [accountId, r],
    );
    return row ?? null;
  }
  const at = r.lastIndexOf("@");
  if (at > 0) {
    const [row] = await sql.query<MailboxRow>(
      `select * from mailboxes where account_id = $1 and name = $2 and deleted_at is null
         and (domain = $3 or (domain is null and not exists (select 1 from domains where name = $3)))`,
      [accountId, r.slice(0, at), r.slice(at + 1)],
    );
    return row ?? null;
  }
  const [row] = await sql.query<MailboxRow>(
    "select * from mailboxes where account_id = $1 and name = $2 and deleted_at is null order by created_at, id limit 1",
    [accountId, r],
  );
  return row ?? null;
}

/** Names and domains of mailboxes by id (deleted ones included: a draft or message still names its mailbox). */
export async function mailboxIdentities(
  sql: Sql,
  ids: string[],
): Promise<Map<string, { name: string; domain: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.query<{ id: string; name: string; domain: string | null }>(
    "select id, name, domain from mailboxes where id = any($1::uuid[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, { name: r.name, domain: r.domain }]));
}

/** The live mailbox with this id, in any account (workers that hold only the id). */
export async function liveMailboxById(sql: Sql, id: string): Promise<MailboxRow | null> {
  const [row] = await sql.query<MailboxRow>("select * from mailboxes where id = $1 and deleted_at is null", [
    id,
  ]);
  return row ?? null;
}

/** The mailbox's latest arrival position (0 before its first arrival): where a fresh `wait` starts. */
export async function mailboxInboundSeq(sql: Sql, id: string): Promise<number> {
  const [row] = await sql.query<{ inbound_seq: number }>("select inbound_seq from mailboxes where id = $1", [
    id,
  ]);
  return row?.inbound_seq ?? 0;
}

/**
 * Locks the mailbox row until the transaction ends; its status, or null when it is gone or deleted. Orders a send
 * against the mailbox's deletion and pausing.
 */
export async function lockLiveMailbox(sql: Sql, id: string): Promise<MailboxRow["status"] | null> {
  const [row] = await sql.query<{ deleted: boolean; status: MailboxRow["status"] }>(
    "select deleted_at is not null as deleted, status from mailboxes where id = $1 for update",
    [id],
  );
  return row && !row.deleted ? row.status : null;
}

/** A mailbox by id, live or deleted (workers that already hold its id). */
export async function getMailboxById(sql: Sql, id: string): Promise<MailboxRow | null> {
  const [row] = await sql.query<MailboxRow>("select * from mailboxes where id = $1", [id]);
  return row ?? null;
}

/** What presenting a mailbox's messages needs: its account and PII settings. */
export async function mailboxPiiSettings(
  sql: Sql,
  id: string,
): Promise<Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config" | "name"> | null> {
  const [row] = await sql.query<
    Pick<MailboxRow, "account_id" | "pii_mode" | "pii_redaction_config" | "name">
  >("select account_id, pii_mode, pii_redaction_config, name from mailboxes where id = $1", [id]);
  return row ?? null;
}

/**
 * The live mailbox with this name on a domain (null: the installation's, whose address space all accounts share;
 * a custom domain's is its account's).
 */
export async function findMailboxByName(
  sql: Sql,
  name: string,
  domain: string | null = null,
): Promise<MailboxRow | null> {
  const [row] = await sql.query<MailboxRow>(
    "select * from mailboxes where name = $1 and domain is not distinct from $2::text and deleted_at is null",
    [name, domain],
  );
  return row ?? null;
}

/** Locks the mailbox row until commit and reads its sender policy. */
export async function lockSenderPolicy(sql: Sql, mailboxId: string): Promise<MailboxRow["sender_policy"]> {
  const [row] = await sql.query<{ sender_policy: MailboxRow["sender_policy"] }>(
    "select sender_policy from mailboxes where id = $1 for update",
    [mailboxId],
  );
  return row?.sender_policy ?? "blocklist";
}

/** Sets the sender policy (a new policy revision when the mode changes). */
export async function setSenderPolicy(
  sql: Sql,
  mailboxId: string,
  mode: MailboxRow["sender_policy"],
): Promise<void> {
  await sql.query(
    `update mailboxes set sender_policy = $2, updated_at = now(),
       policy_revision_id = case when sender_policy = $2 then policy_revision_id else gen_random_uuid() end
     where id = $1`,
    [mailboxId, mode],
  );
}

/** Whether the mailbox's sender policy is allowlist (its sender allowlist gates inbound mail). */
export async function senderPolicyIsAllowlist(sql: Sql, mailboxId: string): Promise<boolean> {
  const [row] = await sql.query<{ sender_policy: string }>(
    "select sender_policy from mailboxes where id = $1",
    [mailboxId],
  );
  return row?.sender_policy === "allowlist";
}

/** Live mailboxes with one of these names held by an account other than the default one: name and account. */
export async function namesHeldByTenants(
  sql: Sql,
  names: string[],
): Promise<{ name: string; account_id: string }[]> {
  return sql.query(
    `select m.name, m.account_id from mailboxes m join accounts a on a.id = m.account_id
     where m.deleted_at is null and m.domain is null and not a.is_default and m.name = any($1::text[])
     order by m.name`,
    [names],
  );
}

export async function listMailboxes(
  sql: Sql,
  accountId: string,
  opts: { limit: number; after?: { createdAt: string; id: string }; onlyIds?: string[] },
): Promise<MailboxRow[]> {
  const params: unknown[] = [accountId, opts.limit];
  let where = "account_id = $1 and deleted_at is null";
  if (opts.after) {
    params.push(opts.after.createdAt, opts.after.id);
    where += ` and (created_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  if (opts.onlyIds) {
    params.push(opts.onlyIds);
    where += ` and id = any($${params.length}::uuid[])`;
  }
  return sql.query<MailboxRow>(
    `select * from mailboxes where ${where} order by created_at, id limit $2`,
    params,
  );
}

/** A change of mailbox settings: an absent field stays as it is. */
export interface MailboxPatch {
  displayName?: string | null;
  piiMode?: MailboxRow["pii_mode"];
  piiRedactionConfig?: RedactionConfig;
  /** null goes back to the injection model's default. */
  injectionThreshold?: number | null;
  hitlMode?: HitlMode;
  scannerPolicy?: ScannerPolicy;
  /** null: held sends never expire. */
  approvalExpiryHours?: number | null;
  sendQuotas?: QuotaWindow[];
  status?: MailboxRow["status"];
  senderPolicy?: MailboxRow["sender_policy"];
  recipientPolicy?: MailboxRow["recipient_policy"];
  allowThreadReplies?: boolean;
  sandbox?: boolean;
  defaultSubaddressMode?: MailboxRow["default_subaddress_mode"];
  attachmentExposureMode?: AttachmentExposureMode;
  attachmentAllowedFileFamilies?: string[];
  attachmentImageAcceptedVersion?: string | null;
  attachmentImageAcceptedAt?: Date | null;
  outboundAttachmentsEnabled?: boolean;
  outboundImageDisclaimerVersion?: string | null;
  agentAuthoringMode?: AgentAuthoringMode;
  sendWindow?: SendWindow | null;
  lastAppliedPolicyMode?: PolicyMode | null;
  policyRevisionId?: string | null;
  /** null: the account's retention. */
  retentionDays?: number | null;
}

/** Each patch field: its column and how its value is written. */
const PATCH_COLUMNS: { [K in keyof Required<MailboxPatch>]: [column: string, cast: string, json?: boolean] } =
  {
    displayName: ["display_name", "text"],
    piiMode: ["pii_mode", "text"],
    piiRedactionConfig: ["pii_redaction_config", "jsonb", true],
    injectionThreshold: ["injection_threshold", "real"],
    hitlMode: ["hitl_mode", "text"],
    scannerPolicy: ["scanner_policy", "jsonb", true],
    approvalExpiryHours: ["approval_expiry_hours", "int"],
    sendQuotas: ["send_quotas", "jsonb", true],
    status: ["status", "text"],
    senderPolicy: ["sender_policy", "text"],
    recipientPolicy: ["recipient_policy", "text"],
    allowThreadReplies: ["allow_thread_replies", "boolean"],
    sandbox: ["sandbox", "boolean"],
    defaultSubaddressMode: ["default_subaddress_mode", "text"],
    attachmentExposureMode: ["attachment_exposure_mode", "text"],
    attachmentAllowedFileFamilies: ["attachment_allowed_file_families", "text[]"],
    attachmentImageAcceptedVersion: ["attachment_image_accepted_version", "text"],
    attachmentImageAcceptedAt: ["attachment_image_accepted_at", "timestamptz"],
    outboundAttachmentsEnabled: ["outbound_attachments_enabled", "boolean"],
    outboundImageDisclaimerVersion: ["outbound_image_disclaimer_version", "text"],
    agentAuthoringMode: ["agent_authoring_mode", "text"],
    sendWindow: ["send_window", "jsonb", true],
    lastAppliedPolicyMode: ["last_applied_policy_mode", "text"],
    policyRevisionId: ["policy_revision_id", "uuid"],
    retentionDays: ["retention_days", "int"],
  };

/** Writes the given settings (absent fields stay); the row as it is after. */
export async function updateMailbox(sql: Sql, id: string, patch: MailboxPatch): Promise<MailboxRow> {
  const params: unknown[] = [id];
  const sets: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const [column, cast, json] = PATCH_COLUMNS[field as keyof MailboxPatch];
    params.push(json && value !== null ? safeJson(value) : value);
    sets.push(`${column} = $${params.length}::${cast}`);
  }
  const [row] = await sql.query<MailboxRow>(
    `update mailboxes set ${[...sets, "updated_at = now()"].join(", ")} where id = $1 returning *`,
    params,
  );
  return row!;
}

/** Marks a mailbox deleted (the row stays: its mail and its name are kept). */
export async function markMailboxDeleted(sql: Sql, mailboxId: string): Promise<void> {
  await sql.query("update mailboxes set deleted_at = now(), updated_at = now() where id = $1", [mailboxId]);
}

/** Drops a mailbox's rules and its queued rule runs; returns how many runs were dropped. */
export async function dropMailboxRules(sql: Sql, mailboxId: string): Promise<number> {
  const jobs = await sql.query("delete from rule_jobs where mailbox_id = $1 returning message_id", [
    mailboxId,
  ]);
  await sql.query("delete from mailbox_rules where mailbox_id = $1", [mailboxId]);
  return jobs.length;
}

/** Every mailbox of the account, deleted ones included (their mail is still stored), in id order. */
export async function accountMailboxes(sql: Sql, accountId: string): Promise<MailboxRow[]> {
  return sql.query<MailboxRow>("select * from mailboxes where account_id = $1 order by id", [accountId]);
}
