import type { Clock } from "../../domain/clock.ts";
import type { FirewallBlock } from "../../domain/inbound-firewall.ts";
import type { InjectionScore } from "../../domain/injection/score.ts";
import type { ScannerSwitches } from "../../domain/mailbox-policy.ts";
import type { MailPolicy } from "../../domain/policy/types.ts";
import type { SenderAuthentication } from "../../domain/sender-auth.ts";
import type { Decided } from "../../domain/verdict.ts";
import type { Logger } from "../../platform/logger.ts";
import type { BlobStore } from "../../store/blobs.ts";
import type { Db, Sql } from "../../store/db.ts";
import type { ParsedFields, PendingInbound } from "../../store/messages.ts";
import type { SenderAuthenticator } from "../authenticate.ts";
import type { ParsedMessage } from "../parse.ts";
import type { ParsedCache } from "../parsed-cache.ts";
import type { MailboxPolicyDecision } from "../policy-decisions.ts";

/** Everything the inbound steps may use; each step takes only the part it needs. */
export interface PipelineDeps {
  db: Db;
  blobs: BlobStore;
  logger: Logger;
  authenticate: SenderAuthenticator;
  domain: string;
  parsed?: ParsedCache;
  /** Prompt-injection scoring of subject and text, and of the HTML part when there is one (deterministic). */
  scoreInjection: (text: string, html?: string) => InjectionScore | Promise<InjectionScore>;
  /** Attempts before a message that keeps failing ends `failed`. */
  maxAttempts: number;
  /** The quarantine threshold of mailboxes that have not set one: the injection model's. */
  defaultInjectionThreshold: number;
  clock: Clock;
}

/** One claimed message made ready outside any transaction: its bytes stored, its sender checked, parsed, scored. */
export interface Prepared {
  p: PendingInbound;
  raw: Buffer;
  fields: ParsedFields;
  auth: SenderAuthentication;
  injection: InjectionScore;
}

/** A message being prepared: each preparing step fills in its part. */
export interface Preparing {
  p: PendingInbound;
  /** The spooled copy, when the message was small enough to be spooled on acceptance. */
  spooled: Buffer | undefined;
  raw?: Buffer;
  auth?: SenderAuthentication;
  /** Null when it could not be parsed and goes on raw (its attempts are spent). */
  parsed?: ParsedMessage | null;
  fields?: ParsedFields;
  injection?: InjectionScore;
}

/** A preparing step; "later" means not now: the message is claimed again when its lease runs out. */
export type PrepareStep = (deps: PipelineDeps, m: Preparing) => Promise<undefined | "later">;

/** The state a message is kept in once processed; null: not kept (the MailPolicy refused it). */
export type KeptState = "available" | "quarantined" | "blocked";

/** How a guard ended a message's processing: the verdict, the guard's reason code, and what is kept. */
export interface Ruling extends Decided {
  state: KeptState | null;
  /** The words shown to admins (the audit entry's reason), when the guard has more to say than its code. */
  detail?: string;
  /** The firewall's record of the rule that stopped it, kept on the message. */
  firewallBlock?: FirewallBlock;
}

export interface Stop extends Ruling {
  /** The guard that stopped it. */
  step: string;
}

/** One message inside the lane's transaction. */
export interface LaneMessage {
  readonly x: Prepared;
  /** Its parsed fields, as stored (a step may mark it automated). */
  fields: ParsedFields;
  /** Set by the guard that ended its processing; later guards do not see it. */
  stop: Stop | null;
  /** The MailPolicy's verdict, when this pass evaluated the policy for it. */
  policy?: MailboxPolicyDecision;
  inboundSeq?: number;
  threadId: string | null;
}

/** One mailbox's messages, committed together in one transaction, in arrival order. */
export interface Lane {
  sql: Sql;
  accountId: string;
  mailboxId: string;
  messages: LaneMessage[];
  /** The mailbox's policy and its decisions, when this pass evaluated it. */
  gate: { policy: MailPolicy; decisions: MailboxPolicyDecision[] } | null;
  /** The mailbox's quarantine threshold, read when its kept messages are numbered. */
  injectionThreshold: number;
  /** The mailbox's scanner switches (language mode, scanners turned off), read with the threshold. */
  scannerPolicy: ScannerSwitches;
}

/** Decides some of the messages no earlier guard stopped; the runner records the stops. */
export type Guard = (
  deps: PipelineDeps,
  lane: Lane,
  open: LaneMessage[],
) => Promise<{ m: LaneMessage; ruling: Ruling }[]>;

/** Acts on the lane's messages as the guards left them (numbering, storage, settlement, events). */
export type LaneStep = (deps: PipelineDeps, lane: Lane) => Promise<void>;

/** Messages kept after the guards (all but those the MailPolicy refused), in arrival order. */
export const keptOf = (lane: Lane) => lane.messages.filter((m) => m.stop?.state !== null);
