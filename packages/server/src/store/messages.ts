import type { StoredAttachment } from "../domain/attachment-access.ts";
import type { FirewallBlock } from "../domain/inbound-firewall.ts";
import type { MailContent, MailThreading } from "../domain/mail-content.ts";
import type { InboundState, OutboundStart, OutboundState, Sources } from "../domain/message-state.ts";
import { safeJson, safeText } from "../domain/safe-text.ts";
import type { SearchTerm } from "../domain/search-query.ts";
import type { SenderAuthentication } from "../domain/sender-auth.ts";
import { Channel } from "./channels.ts";
import type { Sql } from "./db.ts";
import type { ScannerPolicy } from "./mailboxes.ts";
import { detachFromThread, placeInThreads } from "./threads.ts";
import { agentVisible, LISTED_STATES, threadVisible } from "./visible.ts";

export interface Envelope {
  /** local: delivered by our own delivery worker from one of our mailboxes (never claimed by a peer); simulator: made by POST /v1/simulator/inbound. */
  transport: "smtp" | "http" | "api" | "local" | "simulator";
  client_ip: string | null;
  helo: string | null;
  mail_from: string | null;
  rcpt_to: string[];
  /** Whether the SMTP session was encrypted (STARTTLS). */
  tls?: boolean;
}

export interface MessageRow {
  id: string;
  account_id: string;
  mailbox_id: string;
  direction: "inbound" | "outbound";
  state: string;
  raw_sha256: string;
  raw_size: number;
  envelope: Envelope;
  internet_message_id: string | null;
  sender: string | null;
  sender_name: string | null;
  recipient: string | null;
  to_addrs: string[];
  cc_addrs: string[];
  bcc_addrs: string[];
  reply_to: string[];
  subject: string | null;
  sent_at: Date | null;
  thread_id: string | null;
  in_reply_to: string | null;
  references_ids: string[];
  body_text: string | null;
  body_html: string | null;
  attachments: StoredAttachment[];
  parse_error: string | null;
  process_error: string | null;
  inbound_seq: number | null;
  read_at: Date | null;
  process_attempts: number;
  sender_auth: SenderAuthentication | null;
  policy_decision: StoredDecision | null;
  capabilities: string[];
  injection_score: number | null;
  injection_reasons: { code: string; description: string }[];
  auto_submitted: string | null;
  labels: string[];
  rules_applied: { rule: number; action: string; outcome: string; detail: string | null }[] | null;
  /** Outbound: the scan summary, the hold's context and the reviewer's decision. */
  scan: { verdict: string; findings: unknown[] } | null;
  hold_context: unknown | null;
  review: { decision: "approved" | "denied" | "expired"; note: string | null; decided_at: string } | null;
  starred: boolean;
  deleted_at: Date | null;
  /** Inbound mail the firewall blocked: which rule did. */
  firewall_block: FirewallBlock | null;
  /** When an admin released it from the firewall to be processed again (null: never). */
  firewall_released_at: Date | null;
  /** The sub-address instance a send named, or that an inbound recipient address carried (verified). */
  subaddress_instance_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The policy's verdict on a stored message (rejected messages are not kept, so this is always an acceptance). */
export interface StoredDecision {
  outcome: "accepted";
  rule_index: number | null;
  /** Where it was decided: in the SMTP session before the reply, or afterwards in the pipeline. */
  decided_in: "smtp_session" | "pipeline";
}

export interface AcceptedMessage {
  raw: Buffer;
  rawSha256: string;
  /** Whether the raw bytes go into the spool table; if not, they are in the blob store already. */
  spool: boolean;
  envelope: Envelope;
  /** Keeps the processors away for this long: the SMTP session is deciding the policy itself. */
  holdSeconds: number;
  /** One stored copy per mailbox; `rcptTo` is the envelope's recipients that reached that mailbox. */
  copies: { messageId: string; accountId: string; mailboxId: string; recipient: string; rcptTo: string[] }[];
}

/**
 * Stores accepted messages (one row per mailbox) with their raw bytes in the spool, and wakes the processors,
 * in a single statement: a batch of SMTP transactions commits with one round trip.
 */
export async function insertReceived(sql: Sql, batch: AcceptedMessage[]): Promise<void> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const messageRows: string[] = [];
  const spoolRows: string[] = [];
  for (const m of batch) {
    const raw = m.spool ? p(m.raw) : null;
    const hold = m.holdSeconds > 0 ? `now() + make_interval(secs => ${p(m.holdSeconds)}::int)` : "null";
    const sha = p(m.rawSha256);
    const size = p(m.raw.length);
    for (const c of m.copies) {
      const id = p(c.messageId);
      const envelope = p(safeJson({ ...m.envelope, rcpt_to: c.rcptTo }));
      messageRows.push(
        `(${id}::uuid, ${p(c.accountId)}::uuid, ${p(c.mailboxId)}::uuid, 'inbound', 'received', ${sha}, ${size}::int, ${envelope}::jsonb, ${hold}, ${p(c.recipient)})`,
      );
      if (raw) spoolRows.push(`(${id}::uuid, ${raw}::bytea)`);
    }
  }
  const spool =
    spoolRows.length > 0
      ? `, s as (insert into inbound_spool (message_id, raw) values ${spoolRows.join(", ")})`
      : "";
  await sql.query(
    `with m as (
       insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, envelope, locked_until,
         recipient)
       values ${messageRows.join(", ")})${spool}
     select pg_notify('${Channel.received}', '')`,
    params,
  );
}

const toBuffer = (raw: Uint8Array) => Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);

/** The raw bytes of a message still in the spool (awaiting processing), or null once it is in the blob store. */
export async function spooledRaw(sql: Sql, messageId: string): Promise<Buffer | null> {
  const [row] = await sql.query<{ raw: Uint8Array }>("select raw from inbound_spool where message_id = $1", [
    messageId,
  ]);
  return row ? toBuffer(row.raw) : null;
}

export async function spooledRaws(sql: Sql, messageIds: string[]): Promise<Map<string, Buffer>> {
  const rows = await sql.query<{ message_id: string; raw: Uint8Array }>(
    "select message_id, raw from inbound_spool where message_id = any($1::uuid[])",
    [messageIds],
  );
  return new Map(rows.map((r) => [r.message_id, toBuffer(r.raw)]));
}

export async function unspool(sql: Sql, messageIds: string[]): Promise<void> {
  await sql.query("delete from inbound_spool where message_id = any($1::uuid[])", [messageIds]);
}

/** Removes messages outright (rejected mail is not kept; its audit entry is its record). */
export async function deleteMessages(sql: Sql, ids: string[]): Promise<void> {
  await sql.query("delete from messages where id = any($1::uuid[])", [ids]);
}

export interface PendingInbound {
  id: string;
  account_id: string;
  mailbox_id: string;
  raw_sha256: string;
  raw_size: number;
  process_attempts: number;
  arrival: number;
  envelope: Envelope;
  sender_auth: SenderAuthentication | null;
  policy_decision: StoredDecision | null;
  recipient: string | null;
  /** Set when an admin released it from the firewall: processed again, the firewall excepted. */
  firewall_released_at: Date | null;
  created_at: Date;
}

/**
 * Leases received-but-unprocessed messages: at most `limit`, and at most `maxBytes` of raw message in all (but
 * always at least one), so a burst of large mail is worked through a few at a time. Accounts take turns — the
 * oldest message of each account first, then the second of each — so one tenant's backlog does not hold up
 * another's mail. Within an account, arrival order. An expired lease makes a row claimable again.
 */
export async function claimReceived(
  sql: Sql,
  opts: { limit: number; maxBytes: number; leaseSeconds: number },
): Promise<PendingInbound[]> {
  return sql
    .query<PendingInbound>(
      `with recursive accounts as (
         -- The accounts with pending mail, found by skipping through the index one account at a time.
         (select account_id from messages where state = 'received' order by account_id limit 1)
         union all
         select (select m.account_id from messages m where m.state = 'received' and m.account_id > a.account_id
                 order by m.account_id limit 1)
         from accounts a where a.account_id is not null
       ), candidates as (
         select c.id, c.arrival, c.raw_size, row_number() over (partition by c.account_id order by c.arrival) as turn
         from accounts a cross join lateral (
           select m.id, m.account_id, m.arrival, m.raw_size from messages m
           where m.account_id = a.account_id and m.state = 'received'
             and (m.locked_until is null or m.locked_until < now())
           order by m.arrival limit $1 for update skip locked) c
         where a.account_id is not null
       ), ranked as (
         select id, row_number() over w as n, sum(raw_size) over w as total
         from candidates window w as (order by turn, arrival rows between unbounded preceding and current row)
       )
       update messages set locked_until = now() + make_interval(secs => $3), process_attempts = process_attempts + 1
       where id in (select id from ranked where n <= $1 and (total <= $2 or n = 1))
       returning id, account_id, mailbox_id, raw_sha256, raw_size, process_attempts, arrival, envelope, sender_auth,
         policy_decision, recipient, firewall_released_at, created_at`,
      [opts.limit, opts.maxBytes, opts.leaseSeconds],
    )
    .then((rows) => rows.sort((a, b) => a.arrival - b.arrival));
}

/** Leaves a message for another attempt after `seconds` (its processing failed for a reason that may pass). */
export async function deferReceived(sql: Sql, id: string, seconds: number): Promise<void> {
  await sql.query(
    "update messages set locked_until = now() + make_interval(secs => $2) where id = $1 and state = 'received'",
    [id, seconds],
  );
}

/**
 * Ends a message that cannot be processed: state `failed` with the reason, raw bytes kept (the blob store has
 * them; the spool copy goes). Returns false when it was no longer pending.
 */
export async function failReceived(
  sql: Sql,
  id: string,
  error: string,
  from: Sources<InboundState>,
): Promise<boolean> {
  const rows = await sql.query(
    `update messages set state = 'failed', process_error = $2, locked_until = null, updated_at = clock_timestamp()
     where id = $1 and state = any($3::text[]) returning id`,
    [id, safeText(error.slice(0, 2000)), from],
  );
  if (rows.length === 0) return false;
  await unspool(sql, [id]);
  return true;
}

export interface ParsedFields {
  internetMessageId: string | null;
  sender: string | null;
  senderName: string | null;
  to: string[];
  cc: string[];
  replyTo: string[];
  subject: string | null;
  sentAt: Date | null;
  inReplyTo: string | null;
  references: string[];
  text: string | null;
  html: string | null;
  attachments: MessageRow["attachments"];
  parseError: string | null;
  /** Why the message counts as automated (auto-replies and forwards never answer it), or null. */
  autoSubmitted?: string | null;
}

/** What processing adds to a message besides its parsed fields. */
export interface InboundOutcome {
  senderAuth: SenderAuthentication;
  decision: StoredDecision | null;
  capabilities: string[];
  injection: { score: number; reasons: { code: string; description: string }[] };
  /** available, or held back: quarantined (injection score at or over the threshold), blocked (blocklisted). */
  state: "available" | "quarantined" | "blocked";
  /** Which firewall rule blocked it, when the firewall did. */
  firewallBlock?: FirewallBlock | null;
  /** The sub-address instance its recipient address carried, verified. */
  subaddressInstanceId?: string | null;
}

/**
 * Reserves `count` arrival positions under the mailbox row lock; returns the first of them, and the mailbox's
 * quarantine threshold (null: the model's default) and scanner policy, read under the same lock.
 */
export async function reserveInboundSeqs(
  sql: Sql,
  mailboxId: string,
  count: number,
): Promise<{ first: number; injectionThreshold: number | null; scannerPolicy: ScannerPolicy }> {
  const [row] = await sql.query<{
    inbound_seq: number;
    injection_threshold: number | null;
    scanner_policy: ScannerPolicy;
  }>(
    `update mailboxes set inbound_seq = inbound_seq + $2 where id = $1
     returning inbound_seq, injection_threshold, scanner_policy`,
    [mailboxId, count],
  );
  const t = row!.injection_threshold;
  return {
    first: row!.inbound_seq - count + 1,
    injectionThreshold: t === null ? null : Number(t),
    scannerPolicy: row!.scanner_policy ?? {},
  };
}

/** Locks the given messages that are still unprocessed; others were finished by a worker whose lease outlived ours. */
export async function lockReceived(sql: Sql, ids: string[]): Promise<Set<string>> {
  const rows = await sql.query<{ id: string }>(
    "select id from messages where id = any($1::uuid[]) and state = 'received' for update",
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** Locks the given messages still waiting for a policy decision (in id order, as every session batch locks them). */
export async function lockUndecided(sql: Sql, ids: string[]): Promise<Set<string>> {
  const rows = await sql.query<{ id: string }>(
    `select id from messages where id = any($1::uuid[]) and state = 'received' and policy_decision is null
     order by id for update`,
    [ids],
  );
  return new Set(rows.map((r) => r.id));
}

/** What an SMTP session learnt about a held copy before its reply. */
export interface SessionFindings {
  id: string;
  auth: SenderAuthentication;
  decision: StoredDecision | null;
  capabilities: string[];
}

/** Stores what the session learnt and hands the copies to the processors right away (ends the hold). */
export async function releaseHeld(sql: Sql, rows: SessionFindings[]): Promise<void> {
  if (rows.length === 0) return;
  await sql.query(
    `update messages m set sender_auth = v.auth, policy_decision = v.decision, locked_until = null,
       capabilities = array(select jsonb_array_elements_text(v.capabilities))
     from jsonb_to_recordset($1::jsonb) as v (id uuid, auth jsonb, decision jsonb, capabilities jsonb)
     where m.id = v.id`,
    [safeJson(rows)],
  );
  await sql.query(`select pg_notify('${Channel.received}', '')`);
}

/** Makes processed messages available in one statement: parsed fields, thread and arrival position. */
export async function completeInbound(
  sql: Sql,
  rows: {
    id: string;
    fields: ParsedFields;
    threadId: string | null;
    inboundSeq: number;
    outcome: InboundOutcome;
  }[],
): Promise<void> {
  const doc = rows.map(({ id, fields: f, threadId, inboundSeq, outcome }) => ({
    id,
    internet_message_id: f.internetMessageId,
    sender: f.sender,
    sender_name: f.senderName,
    to_addrs: f.to,
    cc_addrs: f.cc,
    reply_to: f.replyTo,
    subject: f.subject,
    sent_at: f.sentAt?.toISOString() ?? null,
    in_reply_to: f.inReplyTo,
    references_ids: f.references,
    body_text: f.text,
    body_html: f.html,
    attachments: f.attachments,
    parse_error: f.parseError,
    thread_id: threadId,
    inbound_seq: inboundSeq,
    sender_auth: outcome.senderAuth,
    policy_decision: outcome.decision,
    capabilities: outcome.capabilities,
    injection_score: outcome.injection.score,
    injection_reasons: outcome.injection.reasons,
    state: outcome.state,
    auto_submitted: f.autoSubmitted ?? null,
    firewall_block: outcome.firewallBlock ?? null,
    subaddress_instance_id: outcome.subaddressInstanceId ?? null,
  }));
  await sql.query(
    `update messages m set
       internet_message_id = v.internet_message_id, sender = v.sender, sender_name = v.sender_name,
       to_addrs = v.to_addrs, cc_addrs = v.cc_addrs, reply_to = v.reply_to, subject = v.subject, sent_at = v.sent_at,
       in_reply_to = v.in_reply_to, references_ids = array(select jsonb_array_elements_text(v.references_ids)),
       body_text = v.body_text, body_html = v.body_html, attachments = v.attachments, parse_error = v.parse_error,
       thread_id = v.thread_id, inbound_seq = v.inbound_seq, sender_auth = v.sender_auth,
       policy_decision = coalesce(m.policy_decision, v.policy_decision),
       capabilities = case when m.policy_decision is null then array(select jsonb_array_elements_text(v.capabilities))
                      else m.capabilities end,
       injection_score = v.injection_score, injection_reasons = v.injection_reasons, state = v.state,
       auto_submitted = v.auto_submitted, firewall_block = v.firewall_block,
       subaddress_instance_id = v.subaddress_instance_id, locked_until = null,
       updated_at = clock_timestamp() -- when it became available, not when the transaction began
     from jsonb_to_recordset($1::jsonb) as v (
       id uuid, internet_message_id text, sender text, sender_name text, to_addrs jsonb, cc_addrs jsonb,
       reply_to jsonb, subject text, sent_at timestamptz, in_reply_to text, references_ids jsonb, body_text text,
       body_html text, attachments jsonb, parse_error text, thread_id uuid, inbound_seq bigint, sender_auth jsonb,
       policy_decision jsonb, capabilities jsonb, injection_score real, injection_reasons jsonb, state text,
       auto_submitted text, firewall_block jsonb, subaddress_instance_id text)
     where m.id = v.id`,
    [safeJson(doc)],
  );
  await indexForSearch(
    sql,
    rows.map((r) => r.id),
  );
}

/** (Re)writes the search documents of these messages from what they now say (migration 0024). */
async function indexForSearch(sql: Sql, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql.query(
    `insert into message_search (message_id, document)
     select id, message_search_document(subject, sender, sender_name, body_text, body_html)
     from messages where id = any($1::uuid[])
     on conflict (message_id) do update set document = excluded.document`,
    [ids],
  );
}

/** An outbound message to store: its content, threaded, and the record of the composed bytes around it. */
export type NewOutboundMessage = MailContent &
  MailThreading & {
    id: string;
    accountId: string;
    /** Null: service mail (a recipient confirmation), which belongs to the account and to no mailbox. */
    mailboxId: string | null;
    rawSha256: string;
    rawSize: number;
    internetMessageId: string;
    sender: string;
    senderName: string | null;
    /** The envelope sender when it differs from `sender`: "" is the null reverse path of notifications. */
    mailFrom?: string;
    sentAt: Date;
    threadId: string | null;
    /** dispatching, or held: pending_review, quarantined, blocked. */
    state?: OutboundStart;
    scan?: unknown;
    holdContext?: unknown;
    /** The sub-address instance the send named. */
    subaddressInstanceId?: string | null;
    /** The files it carries, as described on the message. */
    attachments?: StoredAttachment[];
  };

export async function insertOutbound(sql: Sql, input: NewOutboundMessage): Promise<MessageRow> {
  const [row] = await sql.query<MessageRow>(
    `insert into messages (id, account_id, mailbox_id, direction, state, raw_sha256, raw_size, envelope,
       internet_message_id, sender, sender_name, recipient, to_addrs, cc_addrs, bcc_addrs, subject, sent_at,
       thread_id, in_reply_to, references_ids, body_text, body_html, scan, hold_context, subaddress_instance_id,
       attachments)
     values ($1, $2, $3, 'outbound', $21, $4, $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12::jsonb,
       $13::jsonb, $14, $15, $16, $17, $18::text[], $19, $20, $22::jsonb, $23::jsonb, $24, $25::jsonb)
     returning *`,
    [
      input.id,
      input.accountId,
      input.mailboxId,
      input.rawSha256,
      input.rawSize,
      safeJson({
        transport: "api",
        client_ip: null,
        helo: null,
        mail_from: input.mailFrom ?? input.sender,
        rcpt_to: [...input.to, ...input.cc, ...input.bcc],
      }),
      input.internetMessageId,
      input.sender,
      input.senderName,
      input.to[0] ?? input.cc[0] ?? input.bcc[0] ?? null,
      safeJson(input.to),
      safeJson(input.cc),
      safeJson(input.bcc),
      input.subject,
      input.sentAt,
      input.threadId,
      input.inReplyTo,
      input.references,
      input.text,
      input.html,
      input.state ?? "dispatching",
      input.scan === undefined ? null : safeJson(input.scan),
      input.holdContext === undefined || input.holdContext === null ? null : safeJson(input.holdContext),
      input.subaddressInstanceId ?? null,
      safeJson(input.attachments ?? []),
    ],
  );
  await indexForSearch(sql, [row!.id]);
  return row!;
}

export async function getMessage(sql: Sql, accountId: string, id: string): Promise<MessageRow | null> {
  const [row] = await sql.query<MessageRow>(
    // Service mail (no mailbox) is nobody's to read.
    "select * from messages where account_id = $1 and id = $2 and mailbox_id is not null",
    [accountId, id],
  );
  return row ?? null;
}

/** Outbound sends waiting for a human, oldest first; `after` is the keyset position of the previous page. */
export async function listPendingReview(
  sql: Sql,
  accountId: string,
  opts: { mailboxId: string | null; after: { t: string; i: string } | null; limit: number },
): Promise<MessageRow[]> {
  return sql.query<MessageRow>(
    `select * from messages where account_id = $1 and direction = 'outbound' and state = 'pending_review'
       and ($2::uuid is null or mailbox_id = $2)
       and ($3::timestamptz is null or (created_at, id) > ($3::timestamptz, $4::uuid))
     order by created_at, id limit $5`,
    [accountId, opts.mailboxId, opts.after?.t ?? null, opts.after?.i ?? null, opts.limit],
  );
}

/** Records a human's decision on a held send; null when it is no longer in one of `from`. */
export async function decideHeldSend(
  sql: Sql,
  id: string,
  from: Sources<OutboundState>,
  to: "dispatching" | "blocked",
  review: Record<string, unknown>,
): Promise<MessageRow | null> {
  const [row] = await sql.query<MessageRow>(
    `update messages set state = $3, review = $4::jsonb, updated_at = now()
     where id = $1 and direction = 'outbound' and state = any($2::text[]) returning *`,
    [id, from, to, JSON.stringify(review)],
  );
  return row ?? null;
}

/** A held send's new content (a reviewer's revision): its bytes, their scan and its hold. */
export interface HeldRevision {
  subject: string;
  text: string;
  html: string | null;
  rawSha256: string;
  rawSize: number;
  scan: unknown;
  holdContext: unknown;
}

/**
 * Replaces a held send's content and its search document; null when it is no longer in one of `from` (a reviewer
 * decided it meanwhile).
 */
export async function reviseHeldSend(
  sql: Sql,
  id: string,
  from: Sources<OutboundState>,
  r: HeldRevision,
): Promise<MessageRow | null> {
  const [row] = await sql.query<MessageRow>(
    `update messages set subject = $3, body_text = $4, body_html = $5, raw_sha256 = $6, raw_size = $7,
       scan = $8::jsonb, hold_context = $9::jsonb, updated_at = now()
     where id = $1 and direction = 'outbound' and state = any($2::text[]) returning *`,
    [id, from, r.subject, r.text, r.html, r.rawSha256, r.rawSize, safeJson(r.scan), safeJson(r.holdContext)],
  );
  if (row) await indexForSearch(sql, [row.id]);
  return row ?? null;
}

/** Moves a message to `to` when it is in one of `from`; returns its new row, or null when it was in none of them. */
export async function moveMessage(
  sql: Sql,
  m: { id: string; direction: "outbound"; from: Sources<OutboundState>; to: OutboundState },
): Promise<MessageRow | null> {
  const [row] = await sql.query<MessageRow>(
    `update messages set state = $4, updated_at = now()
     where id = $1 and direction = $2 and state = any($3::text[]) returning *`,
    [m.id, m.direction, m.from, m.to],
  );
  return row ?? null;
}

/** Locks a message row until the transaction ends (serialises changes to its state). */
export async function lockMessage(sql: Sql, id: string): Promise<void> {
  await sql.query("select id from messages where id = $1 for update", [id]);
}

/** How many messages the mailbox sent to this address within the last `windowSeconds`. */
export async function recentSendsTo(
  sql: Sql,
  mailboxId: string,
  address: string,
  windowSeconds: number,
): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    `select count(*)::int as n from messages where mailbox_id = $1 and direction = 'outbound'
       and created_at > now() - make_interval(secs => $3) and to_addrs ? $2`,
    [mailboxId, address, windowSeconds],
  );
  return row?.n ?? 0;
}

/**
 * Who wrote to the mailbox in a thread: the From and Reply-To addresses (lower-cased) of its inbound messages an
 * agent may see (held, blocked or deleted mail gives its sender nothing).
 */
export async function threadCorrespondents(
  sql: Sql,
  mailboxId: string,
  threadId: string,
): Promise<Set<string>> {
  const rows = await sql.query<{ address: string }>(
    `select distinct lower(a.address) as address
     from messages m, lateral (select m.sender as address union all select jsonb_array_elements_text(m.reply_to)) a
     where m.mailbox_id = $1 and m.thread_id = $2 and m.direction = 'inbound' and m.state = 'available'
       and m.deleted_at is null and a.address is not null`,
    [mailboxId, threadId],
  );
  return new Set(rows.map((r) => r.address));
}

/** The account a message belongs to, or null when there is no such message. */
export async function messageAccountId(sql: Sql, id: string): Promise<string | null> {
  const [row] = await sql.query<{ account_id: string }>("select account_id from messages where id = $1", [
    id,
  ]);
  return row?.account_id ?? null;
}

/** What a search asks of a message's text: the free text and subject phrases, and the sender (`from:`). */
export interface MessageSearch {
  /** Every group must match; a group when any of its terms does (domain/search-query.ts). */
  text: SearchTerm[][];
  subject: string[];
  from: string[];
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The conditions a search document (`doc`, a tsvector expression) must meet, parameters appended. `subject:`
 * matches the document's weight-A part, which is the subject (migration 0024); its plain match lets the index help.
 */
function documentConditions(
  params: unknown[],
  doc: string,
  s: Pick<MessageSearch, "text" | "subject">,
): string[] {
  const out: string[] = [];
  // Each word or phrase is its own parameter, read by the database's own parser (so an address or a URL is the
  // same token in the query as in the document); the tsquery operators between them come from here alone.
  const term = (t: SearchTerm) => {
    params.push(t.text);
    const q = `${t.phrase ? "phraseto_tsquery" : "plainto_tsquery"}('simple', $${params.length})`;
    return t.exclude ? `!!${q}` : q;
  };
  if (s.text.length > 0) {
    const groups = s.text.map((g) => (g.length === 1 ? term(g[0]!) : `(${g.map(term).join(" || ")})`));
    out.push(`${doc} @@ (${groups.join(" && ")})`);
  }
  for (const phrase of s.subject) {
    params.push(phrase);
    const q = `phraseto_tsquery('simple', $${params.length})`;
    out.push(`${doc} @@ ${q}`, `ts_filter(${doc}, '{a}') @@ ${q}`);
  }
  return out;
}

/**
 * Which of these documents — the text as a caller sees it (a redacting mailbox shows redacted subjects and
 * bodies) — match the search; returns their indexes. Used to keep a search from finding mail by text the caller
 * cannot see.
 */
export async function searchMatches(
  sql: Sql,
  docs: { subject: string | null; sender: string | null; senderName: string | null; text: string | null }[],
  s: Pick<MessageSearch, "text" | "subject">,
): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  const params: unknown[] = [
    docs.map((d) => d.subject),
    docs.map((d) => d.sender),
    docs.map((d) => d.senderName),
    docs.map((d) => d.text),
  ];
  const conditions = documentConditions(params, "m.document", s);
  if (conditions.length === 0) return new Set(docs.map((_, i) => i));
  const rows = await sql.query<{ i: string | number }>(
    `select d.i from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality
       as d (subject, sender, sender_name, body_text, i)
     cross join lateral (select message_search_document(d.subject, d.sender, d.sender_name, d.body_text, null)
       as document) m
     where ${conditions.join(" and ")}`,
    params,
  );
  return new Set(rows.map((r) => Number(r.i) - 1));
}

export { LISTED_STATES };

export async function listMessages(
  sql: Sql,
  mailboxId: string,
  opts: {
    limit: number;
    direction?: "inbound" | "outbound";
    since?: Date;
    unread?: boolean;
    states: string[];
    before?: { createdAt: string; id: string };
    threadId?: string;
    label?: string;
    starred?: boolean;
    hasAttachment?: boolean;
    /** An address (any case), or a domain as `@example.com`. */
    sender?: string;
    until?: Date;
    beforeTime?: Date;
    /** Only what an agent may see (domain/visibility.ts). */
    agentView?: boolean;
    /** Only blocked mail the inbound firewall stopped (true), or none of it (false). */
    firewallBlocked?: boolean;
    /** Full-text search (domain/search-query.ts) and `from:` (text of the sender's address or name). */
    search?: MessageSearch;
  },
): Promise<MessageRow[]> {
  // One state as an equality, so the (mailbox, state, time) index walks it in order (migration 0040).
  const oneState = opts.states.length === 1;
  const params: unknown[] = [mailboxId, opts.limit, oneState ? opts.states[0] : opts.states];
  let where = oneState
    ? "mailbox_id = $1 and state = $3::text"
    : "mailbox_id = $1 and state = any($3::text[])";
  if (opts.agentView) where += ` and ${agentVisible(params)}`;
  if (opts.direction) {
    params.push(opts.direction);
    where += ` and direction = $${params.length}`;
  }
  if (opts.since) {
    params.push(opts.since);
    where += ` and created_at >= $${params.length}`;
  }
  if (opts.unread === true) where += " and read_at is null and direction = 'inbound'";
  if (opts.unread === false) where += " and read_at is not null";
  if (opts.threadId) {
    params.push(opts.threadId);
    where += ` and thread_id = $${params.length}`;
  }
  if (opts.label) {
    params.push(opts.label);
    // The implied "labelled at all" lets the index of labelled mail (migration 0040) serve it.
    where += ` and $${params.length} = any(labels) and cardinality(labels) > 0`;
  }
  if (opts.starred !== undefined) {
    params.push(opts.starred);
    where += ` and starred = $${params.length}`;
  }
  if (opts.hasAttachment !== undefined)
    where += opts.hasAttachment
      ? " and jsonb_array_length(attachments) > 0"
      : " and jsonb_array_length(attachments) = 0";
  if (opts.sender) {
    // "@domain": the domain; a whole address: that sender; anything else matches part of the address or name.
    const s = opts.sender.toLowerCase();
    if (s.startsWith("@")) {
      params.push(`%${likeEscape(s)}`);
      where += ` and lower(sender) like $${params.length}`;
      // The same condition as the part after the last '@', which the domain index (migration 0040) holds.
      if (!s.slice(1).includes("@")) {
        params.push(s.slice(1));
        where += ` and substring(lower(sender) from '@([^@]*)$') = $${params.length}`;
      }
    } else if (s.includes("@")) {
      params.push(s);
      where += ` and lower(sender) = $${params.length}`;
    } else {
      params.push(`%${likeEscape(s)}%`);
      const n = params.length;
      where += ` and (lower(coalesce(sender, '')) like $${n} or lower(coalesce(sender_name, '')) like $${n})`;
    }
  }
  if (opts.until) {
    params.push(opts.until);
    where += ` and created_at <= $${params.length}`;
  }
  if (opts.beforeTime) {
    params.push(opts.beforeTime);
    where += ` and created_at < $${params.length}`;
  }
  if (opts.before) {
    params.push(opts.before.createdAt, opts.before.id);
    where += ` and (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  if (opts.firewallBlocked !== undefined)
    where += opts.firewallBlocked ? " and firewall_block is not null" : " and firewall_block is null";
  if (opts.search) {
    for (const f of opts.search.from) {
      params.push(`%${likeEscape(f.toLowerCase())}%`);
      const n = params.length;
      where += ` and (lower(coalesce(sender, '')) like $${n} or lower(coalesce(sender_name, '')) like $${n})`;
    }
    const doc = documentConditions(params, "ms.document", opts.search);
    if (doc.length > 0)
      where += ` and exists (select 1 from message_search ms where ms.message_id = messages.id and ${doc.join(" and ")})`;
  }
  return sql.query<MessageRow>(
    `select * from messages where ${where} order by created_at desc, id desc limit $2`,
    params,
  );
}

export async function threadMessages(sql: Sql, threadId: string, agentView: boolean): Promise<MessageRow[]> {
  const params: unknown[] = [threadId, LISTED_STATES];
  const extra = agentView ? ` and ${agentVisible(params)}` : "";
  return sql.query<MessageRow>(
    `select * from messages where thread_id = $1 and state = any($2::text[])${extra} order by created_at, id`,
    params,
  );
}

/**
 * Where a wait "since" a moment starts: just before the first inbound arrival after it (the mailbox's current
 * position when nothing arrived since).
 */
export async function inboundSeqBefore(sql: Sql, mailboxId: string, at: Date): Promise<number | null> {
  const [row] = await sql.query<{ seq: number | null }>(
    `select min(inbound_seq) - 1 as seq from messages
     where mailbox_id = $1 and inbound_seq is not null and created_at > $2`,
    [mailboxId, at.toISOString()],
  );
  return row?.seq ?? null;
}

/** What a filtered wait asks of the next arrival (events/wait.ts): all given conditions hold. */
export interface InboundFilter {
  /** An address (any case), or a domain as `@example.com`. */
  from?: string;
  threadId?: string;
  /** A case-insensitive part of the stored subject. */
  subjectContains?: string;
  /** Only messages nobody marked read. */
  unread?: boolean;
}

/** The first available inbound messages after `afterSeq` (null: from the start) in arrival order that pass `filter`. */
export async function nextInbound(
  sql: Sql,
  mailboxId: string,
  afterSeq: number | null,
  filter: InboundFilter = {},
  limit = 1,
): Promise<MessageRow[]> {
  const params: unknown[] = [mailboxId, limit];
  let where = "mailbox_id = $1 and inbound_seq is not null and state = 'available'";
  if (filter.unread) where += " and read_at is null";
  if (afterSeq !== null) {
    params.push(afterSeq);
    where += ` and inbound_seq > $${params.length}`;
  }
  if (filter.from) {
    const f = filter.from.toLowerCase();
    params.push(f.startsWith("@") ? `%${likeEscape(f)}` : f);
    where += f.startsWith("@")
      ? ` and lower(sender) like $${params.length}`
      : ` and lower(sender) = $${params.length}`;
  }
  if (filter.threadId) {
    params.push(filter.threadId);
    where += ` and thread_id = $${params.length}`;
  }
  if (filter.subjectContains) {
    params.push(filter.subjectContains);
    where += ` and strpos(lower(coalesce(subject, '')), lower($${params.length})) > 0`;
  }
  return sql.query<MessageRow>(`select * from messages where ${where} order by inbound_seq limit $2`, params);
}

export async function markRead(sql: Sql, id: string): Promise<MessageRow> {
  const [row] = await sql.query<MessageRow>(
    "update messages set read_at = coalesce(read_at, now()), updated_at = now() where id = $1 returning *",
    [id],
  );
  return row!;
}

/** Sets or clears a message's star; returns the row. */
export async function setStarred(sql: Sql, id: string, starred: boolean): Promise<MessageRow> {
  const [row] = await sql.query<MessageRow>(
    `update messages set starred = $2, updated_at = case when starred = $2 then updated_at else now() end
     where id = $1 returning *`,
    [id, starred],
  );
  return row!;
}

/**
 * Moves a message to `deleted` if it is in one of `from`, and takes it out of its thread. The row and its raw
 * bytes stay (for admins). Returns the updated row, or null when the message was not in `from`.
 */
export async function markDeleted(sql: Sql, id: string, from: Sources): Promise<MessageRow | null> {
  const [row] = await sql.query<MessageRow>(
    `update messages set state = 'deleted', deleted_at = now(), updated_at = now()
     where id = $1 and state = any($2::text[]) returning *`,
    [id, from],
  );
  if (!row) return null;
  if (row.thread_id !== null) {
    await detachFromThread(sql, id, row.thread_id);
    row.thread_id = null;
  }
  return row;
}

/** What a thread's summary says of the messages in it the caller sees. */
export interface ThreadStats {
  first_message_at: Date | null;
  unread_count: number;
  starred: boolean;
}

/** The stats of these threads, over the messages the caller sees (threads without any are absent). */
export async function threadStats(
  sql: Sql,
  threadIds: string[],
  agentView: boolean,
): Promise<Map<string, ThreadStats>> {
  if (threadIds.length === 0) return new Map();
  const params: unknown[] = [threadIds];
  const visible = threadVisible(params, agentView);
  const rows = await sql.query<ThreadStats & { thread_id: string }>(
    `select thread_id, min(created_at) as first_message_at, bool_or(starred) as starred,
       (count(*) filter (where direction = 'inbound' and read_at is null))::int as unread_count
     from messages where thread_id = any($1::uuid[]) and ${visible} group by thread_id`,
    params,
  );
  return new Map(rows.map(({ thread_id, ...st }) => [thread_id, st]));
}

/** Marks every unread inbound message of a thread the caller sees read; returns how many it marked. */
export async function markThreadRead(sql: Sql, threadId: string, agentView: boolean): Promise<number> {
  const params: unknown[] = [threadId];
  const visible = threadVisible(params, agentView);
  const rows = await sql.query<{ id: string }>(
    `update messages set read_at = now(), updated_at = now()
     where thread_id = $1 and direction = 'inbound' and read_at is null and ${visible} returning id`,
    params,
  );
  return rows.length;
}

/** Stars or unstars every message of a thread the caller sees; returns how many changed. */
export async function setThreadStarred(
  sql: Sql,
  threadId: string,
  starred: boolean,
  agentView: boolean,
): Promise<number> {
  const params: unknown[] = [threadId, starred];
  const visible = threadVisible(params, agentView);
  const rows = await sql.query<{ id: string }>(
    `update messages set starred = $2, updated_at = now()
     where thread_id = $1 and starred <> $2 and ${visible} returning id`,
    params,
  );
  return rows.length;
}

/** Adds labels to a message (each once). */
export async function addLabels(sql: Sql, id: string, labels: string[]): Promise<void> {
  await sql.query(
    "update messages set labels = array(select distinct unnest(labels || $2::text[])) where id = $1",
    [id, labels],
  );
}

/**
 * Blocks held sends (in one of `from`) older than their mailbox's approval_expiry_hours at `now`, recording the
 * expiry as the review decision; returns them.
 */
export async function expireHeldSends(
  sql: Sql,
  now: Date,
  from: Sources<OutboundState>,
  to: "blocked",
): Promise<{ id: string; account_id: string; mailbox_id: string }[]> {
  return sql.query<{ id: string; account_id: string; mailbox_id: string }>(
    `update messages m set state = $3, updated_at = now(),
       review = jsonb_build_object('decision', 'expired', 'note', null, 'decided_at', $1::timestamptz)
     from mailboxes mb
     where mb.id = m.mailbox_id and m.direction = 'outbound' and m.state = any($2::text[])
       and m.created_at < $1::timestamptz - make_interval(hours => mb.approval_expiry_hours)
     returning m.id, m.account_id, m.mailbox_id`,
    [now, from, to],
  );
}

/**
 * Hands a message the inbound firewall blocked (in one of `from`, with its FirewallBlock) back to the processors,
 * marked released so the firewall lets it through this time. Returns the row, or null when it was not so blocked.
 */
export async function requeueFirewallBlocked(
  sql: Sql,
  id: string,
  from: Sources<InboundState>,
): Promise<MessageRow | null> {
  const [row] = await sql.query<MessageRow>(
    `update messages set state = 'received', firewall_released_at = clock_timestamp(), process_attempts = 0,
       locked_until = null, updated_at = clock_timestamp()
     where id = $1 and direction = 'inbound' and state = any($2::text[]) and firewall_block is not null
     returning *`,
    [id, from],
  );
  if (!row) return null;
  await sql.query(`select pg_notify('${Channel.received}', '')`);
  return row;
}

/**
 * Moves an inbound message out of or into the held states. Releasing makes it available with a new arrival
 * position, so `wait` hands it out as a new arrival even to a waiter whose cursor is past its first one.
 * Returns the updated row, or null when the message is not in one of `from`.
 */
export async function moveInbound(
  sql: Sql,
  id: string,
  from: Sources<InboundState>,
  to: "available" | "blocked",
  /** When it is released: the time its thread placement goes by. */
  at: Date,
): Promise<MessageRow | null> {
  const [current] = await sql.query<{ mailbox_id: string }>(
    "select mailbox_id from messages where id = $1 and direction = 'inbound' and state = any($2::text[]) for update",
    [id, from],
  );
  if (!current) return null;
  const seq = to === "available" ? (await reserveInboundSeqs(sql, current.mailbox_id, 1)).first : null;
  const [row] = await sql.query<MessageRow>(
    `update messages set state = $2, inbound_seq = coalesce($3, inbound_seq), updated_at = clock_timestamp()
     where id = $1 returning *`,
    [id, to, seq],
  );
  // Held mail was never threaded (see inbound/pipeline/settle.ts): released, it joins its conversation now.
  if (to === "available" && row!.thread_id === null) {
    const [threadId] = await placeInThreads(
      sql,
      { accountId: row!.account_id, mailboxId: row!.mailbox_id, at },
      [
        {
          internetMessageId: row!.internet_message_id,
          subject: row!.subject,
          inReplyTo: row!.in_reply_to,
          references: row!.references_ids,
          sender: row!.sender,
          participants: [row!.sender, ...row!.to_addrs, ...row!.cc_addrs].filter((a): a is string =>
            Boolean(a),
          ),
        },
      ],
    );
    await sql.query("update messages set thread_id = $2 where id = $1", [id, threadId]);
    row!.thread_id = threadId!;
  }
  // Blocked after the agent had it: it leaves its thread, and a thread it alone made goes with it.
  if (to === "blocked" && row!.thread_id !== null) {
    await detachFromThread(sql, id, row!.thread_id);
    row!.thread_id = null;
  }
  return row!;
}

/**
 * Which of these Message-IDs the mailbox itself sent: its own mail coming back to it (through a forwarder, a list,
 * an auto-reply that quotes it). Mail between two of our mailboxes is not an echo.
 */
export async function ownMessageIds(sql: Sql, mailboxId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await sql.query<{ internet_message_id: string }>(
    `select internet_message_id from messages where mailbox_id = $1 and direction = 'outbound'
       and internet_message_id = any ($2::text[])`,
    [mailboxId, ids],
  );
  return new Set(rows.map((r) => r.internet_message_id));
}

/** Queues the mailbox's inbound rules for newly available messages, if it has any rules. */
export async function queueRuleJobs(sql: Sql, mailboxId: string, messageIds: string[]): Promise<void> {
  if (messageIds.length === 0) return;
  await sql.query(
    `with queued as (
       insert into rule_jobs (message_id, mailbox_id)
       select unnest($2::uuid[]), $1
       where exists (select 1 from mailbox_rules r where r.mailbox_id = $1 and jsonb_array_length(r.rules) > 0)
       on conflict do nothing returning 1)
     select pg_notify('postbox_rules', '') from queued limit 1`,
    [mailboxId, messageIds],
  );
}

/** Confirmation mails the account had sent since `since` (deleted recipients' included: they were sent). */
export async function serviceMailSince(sql: Sql, accountId: string, since: Date): Promise<number> {
  const [row] = await sql.query<{ n: number }>(
    "select count(*)::int as n from messages where account_id = $1 and mailbox_id is null and created_at >= $2",
    [accountId, since],
  );
  return row!.n;
}
