import { AppError } from "./errors.ts";
import type { KeyRole } from "./principal.ts";
import type { HitlMode } from "./send-decision.ts";

// The seed's agent policy of a mailbox: what an agent key may author, whom it may send to, when, and what a human
// reviews. The settings are stored on the mailbox; everything here derives from them or checks them, without I/O.

export const POLICY_MODES = ["read_only", "draft_only", "supervised", "trusted"] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

export const AUTHORING_MODES = ["send_and_draft", "draft_only", "read_only"] as const;
export type AgentAuthoringMode = (typeof AUTHORING_MODES)[number];

export type AgentSendPolicy = "restricted" | "open";
export type RecipientPolicy = "blocklist" | "allowlist";

/** The verbs an agent key may use on a mailbox, as the seed names them. */
export const AUTHORING_VERBS = ["send", "reply", "draft_create", "draft_update", "draft_send"] as const;
export type AuthoringVerb = (typeof AUTHORING_VERBS)[number];

/** What applying a mode writes (the seed's templates): only the fields the mode defines. */
export function modeTemplate(mode: PolicyMode): {
  agentAuthoringMode: AgentAuthoringMode;
  agentSendPolicy?: AgentSendPolicy;
  hitlMode?: HitlMode;
} {
  switch (mode) {
    case "read_only":
      return { agentAuthoringMode: "read_only" };
    case "draft_only":
      return { agentAuthoringMode: "draft_only", agentSendPolicy: "restricted" };
    case "supervised":
      return { agentAuthoringMode: "send_and_draft", agentSendPolicy: "restricted", hitlMode: "risky_only" };
    case "trusted":
      return { agentAuthoringMode: "send_and_draft", agentSendPolicy: "restricted", hitlMode: "disabled" };
  }
}

/** The mode a mailbox's settings amount to: the first template they match, or "custom". */
export function policyModeOf(s: {
  agentAuthoringMode: AgentAuthoringMode;
  recipientPolicy: RecipientPolicy;
  hitlMode: HitlMode;
}): PolicyMode | "custom" {
  const sendPolicy = agentSendPolicyOf(s.recipientPolicy);
  for (const mode of POLICY_MODES) {
    const t = modeTemplate(mode);
    if (t.agentAuthoringMode !== s.agentAuthoringMode) continue;
    if (t.agentSendPolicy && t.agentSendPolicy !== sendPolicy) continue;
    if (t.hitlMode && t.hitlMode !== s.hitlMode) continue;
    return mode;
  }
  return "custom";
}

/** Agent sends are restricted when the mailbox's recipient allowlist gates them (Postbox has no other containment). */
export const agentSendPolicyOf = (recipientPolicy: RecipientPolicy): AgentSendPolicy =>
  recipientPolicy === "allowlist" ? "restricted" : "open";

export const restrictedByOf = (recipientPolicy: RecipientPolicy): "mailbox_allowlist" | null =>
  recipientPolicy === "allowlist" ? "mailbox_allowlist" : null;

export const recipientPolicyOf = (sendPolicy: AgentSendPolicy): RecipientPolicy =>
  sendPolicy === "restricted" ? "allowlist" : "blocklist";

/** The verbs an agent key may use under an authoring mode (admin keys may use every one). */
export function permittedVerbs(mode: AgentAuthoringMode): AuthoringVerb[] {
  if (mode === "send_and_draft") return [...AUTHORING_VERBS];
  if (mode === "draft_only") return ["draft_create", "draft_update"];
  return [];
}

/**
 * Why a key may not use a verb on a mailbox under its authoring mode, or null. Admin keys are the mailbox's
 * humans: the mode binds agent keys only.
 */
export function authoringRefusal(
  role: KeyRole,
  mode: AgentAuthoringMode,
  verb: AuthoringVerb,
  mailboxName: string,
): AppError | null {
  if (role !== "agent" || permittedVerbs(mode).includes(verb)) return null;
  const drafting = verb === "draft_create" || verb === "draft_update";
  return new AppError(
    "forbidden",
    drafting ? "AGENT_DRAFTING_DISABLED" : "AGENT_SENDING_DISABLED",
    `agent keys may not ${drafting ? "write drafts" : "send"} from ${mailboxName}: its agent_authoring_mode is ` +
      `${mode}${mode === "draft_only" ? " (write a draft; a human sends it)" : ""}. Do not retry; an admin decides`,
    { agent_authoring_mode: mode, verb },
  );
}

// Approval expiry ---------------------------------------------------------------------------------------------

export const APPROVAL_EXPIRIES = ["24h", "72h", "7d", "never"] as const;
export type ApprovalExpiry = (typeof APPROVAL_EXPIRIES)[number];

const EXPIRY_HOURS: Record<ApprovalExpiry, number | null> = { "24h": 24, "72h": 72, "7d": 168, never: null };

export const approvalExpiryHours = (e: ApprovalExpiry): number | null => EXPIRY_HOURS[e];

/** The seed's label for a mailbox's expiry; hours the seed has no label for are written as "<n>h". */
export function approvalExpiryLabel(hours: number | null): string {
  if (hours === null) return "never";
  const label = APPROVAL_EXPIRIES.find((e) => EXPIRY_HOURS[e] === hours);
  return label ?? `${hours}h`;
}

// Send window -------------------------------------------------------------------------------------------------

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** When an agent may send: local days and times in an IANA zone; outside, its sends are held or refused. */
export interface SendWindow {
  timezone: string;
  days: Weekday[];
  /** "HH:MM", 24-hour. An end before the start spans midnight (22:00–06:00). */
  start: string;
  end: string;
  outside_action: "require_approval" | "block";
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks a send window as a client sends it; the window (days deduplicated, lower-cased) or the problems. */
export function parseSendWindow(
  v: unknown,
): { ok: true; window: SendWindow } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return {
      ok: false,
      problems: ["send_window must be an object {timezone, days, start, end, outside_action}"],
    };
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!["timezone", "days", "start", "end", "outside_action"].includes(k))
      problems.push(`send_window.${k} is not a known field`);
  if (typeof o.timezone !== "string" || !isTimeZone(o.timezone))
    problems.push("send_window.timezone must be an IANA time zone such as Europe/London");
  const days: Weekday[] = [];
  if (!Array.isArray(o.days) || o.days.length === 0)
    problems.push("send_window.days must name at least one day");
  else
    for (const d of o.days) {
      const day = typeof d === "string" ? d.trim().toLowerCase().slice(0, 3) : "";
      if (!(WEEKDAYS as readonly string[]).includes(day) || (typeof d === "string" && d.length > 9))
        problems.push(`send_window.days: ${JSON.stringify(d)} is not a day (mon, tue, … sun)`);
      else if (!days.includes(day as Weekday)) days.push(day as Weekday);
    }
  for (const k of ["start", "end"] as const)
    if (typeof o[k] !== "string" || !HHMM.test(o[k] as string))
      problems.push(`send_window.${k} must be a 24-hour time HH:MM`);
  if (typeof o.start === "string" && o.start === o.end)
    problems.push("send_window.start and end must differ (for a whole day, use 00:00 to 23:59)");
  if (o.outside_action !== "require_approval" && o.outside_action !== "block")
    problems.push("send_window.outside_action must be require_approval or block");
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    window: {
      timezone: o.timezone as string,
      days: WEEKDAYS.filter((d) => days.includes(d)),
      start: o.start as string,
      end: o.end as string,
      outside_action: o.outside_action as SendWindow["outside_action"],
    },
  };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The weekday and minute of the day at `at` in the window's zone. */
function localTime(tz: string, at: Date): { day: Weekday; minute: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return {
    day: get("weekday").toLowerCase().slice(0, 3) as Weekday,
    minute: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

/** Whether `at` falls inside the window. A window spanning midnight belongs to the day it starts on. */
export function windowOpen(w: SendWindow, at: Date): boolean {
  const { day, minute } = localTime(w.timezone, at);
  const start = minutes(w.start);
  const end = minutes(w.end);
  if (start < end) return w.days.includes(day) && minute >= start && minute < end;
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
  return (w.days.includes(day) && minute >= start) || (w.days.includes(yesterday) && minute < end);
}

/** Words for the window, for refusals and traces: "mon,tue 09:00–17:00 Europe/London". */
export const describeWindow = (w: SendWindow) => `${w.days.join(",")} ${w.start}–${w.end} ${w.timezone}`;

// Scanner policy ----------------------------------------------------------------------------------------------

export const LANGUAGE_MODES = ["english_only", "allow_all_languages", "disabled"] as const;
export type LanguageMode = (typeof LANGUAGE_MODES)[number];

/**
 * Scanners a mailbox may turn off, by the seed's names. Postbox runs prompt-injection (inbound), pii and secrets
 * (outbound); it has no attachment-policy, mime-mismatch or url-reputation scanner, so turning those off changes
 * nothing here.
 */
export const SCANNERS = [
  "prompt-injection",
  "attachment-policy",
  "mime-mismatch",
  "pii",
  "secrets",
  "url-reputation",
] as const;
export type Scanner = (typeof SCANNERS)[number];

/**
 * The seed's proxy criteria. In Postbox, `prompt_injection` turns off the inbound injection guard as the
 * `prompt-injection` scanner does; the others name checks of a language-model proxy Postbox does not run, and are
 * recorded only.
 */
export const PROXY_CRITERIA = [
  "prompt_injection",
  "jailbreak",
  "function_call_risk",
  "profanity",
  "confidentiality_leak",
  "unauthorized_liability",
] as const;

export interface ScannerSwitches {
  language_mode?: LanguageMode;
  disabled_scanners?: string[];
  disabled_proxy_criteria?: string[];
}

/** Whether the inbound injection guard runs for a mailbox. */
export const injectionGuardOn = (s: ScannerSwitches) =>
  !(s.disabled_scanners ?? []).includes("prompt-injection") &&
  !(s.disabled_proxy_criteria ?? []).includes("prompt_injection");

/** Which outbound checks a mailbox turned off. */
export const outboundScanOff = (s: ScannerSwitches) => ({
  pii: (s.disabled_scanners ?? []).includes("pii"),
  secrets: (s.disabled_scanners ?? []).includes("secrets"),
});

// Attachments -------------------------------------------------------------------------------------------------

export const ATTACHMENT_EXPOSURE_MODES = [
  "metadata_only",
  "derived_content",
  "raw_download_selected_types",
] as const;
export type AttachmentExposureMode = (typeof ATTACHMENT_EXPOSURE_MODES)[number];
export const FILE_FAMILIES = ["pdf", "text", "csv", "image", "*"] as const;

/** The family of an attachment by its content type: pdf, csv, text, image, or null (none of them). */
export function fileFamilyOf(contentType: string): "pdf" | "text" | "csv" | "image" | null {
  const t = contentType.toLowerCase().split(";")[0]!.trim();
  if (t === "application/pdf") return "pdf";
  if (t === "text/csv") return "csv";
  if (t.startsWith("text/")) return "text";
  if (t.startsWith("image/")) return "image";
  return null;
}

/**
 * Whether an agent key may read a message's raw bytes, which carry its attachments: always without attachments;
 * with some, only in raw_download_selected_types mode when every one is of an allowed family ("*": any). Attachments
 * described from their bytes must also be delivered (not blocked, held or unknown), and images need the mailbox's
 * current image-risk acceptance (`imageConfirmed`), which "*" does not stand for.
 */
export function agentMayReadRaw(
  mode: AttachmentExposureMode,
  families: readonly string[],
  attachments: { content_type: string; policy_action?: string; family?: string | null }[],
  imageConfirmed = false,
): boolean {
  if (attachments.length === 0) return true;
  if (mode !== "raw_download_selected_types") return false;
  const familyAllowed = (f: string | null) => f !== null && families.includes(f);
  return attachments.every((a) => {
    if (a.policy_action === undefined)
      return families.includes("*") || familyAllowed(fileFamilyOf(a.content_type));
    if (a.policy_action !== "deliver") return false;
    const f = a.family ?? null;
    if (f === "image") return families.includes("image") && imageConfirmed;
    return families.includes("*") || familyAllowed(f);
  });
}
