import { isEmailAddress } from "./address.ts";
import { echoSafe } from "./auto-reply.ts";

/**
 * Per-mailbox inbound rules: conditions on the sender, subject, headers and authentication verdict; actions label,
 * forward and auto_reply. Conditions are plain text — a glob with "*" for addresses, "contains" for text — so a rule
 * cannot be a ReDoS pattern.
 */
export interface RuleConditions {
  /** Sender address glob: "boss@acme.com", "*@acme.com", "*". */
  from?: string;
  subject_contains?: string;
  header?: { name: string; contains: string };
  /** The sender_authentication verdict, one of AUTH_VERDICTS. */
  auth?: string;
}

export type RuleAction =
  | { type: "label"; label: string }
  | { type: "forward"; to: string }
  | { type: "auto_reply"; subject?: string; body: string };

export interface InboundRule {
  name?: string;
  when?: RuleConditions;
  action: RuleAction;
  /** Stop at this rule when it matches. */
  stop?: boolean;
}

export interface RuleSet {
  rules: InboundRule[];
  /** At most one auto-reply per envelope sender in this many hours. */
  auto_reply_period_hours: number;
}

export const AUTH_VERDICTS = ["verified_aligned", "authenticated_unaligned", "failed", "none", "error"];
const MAX_RULES = 50;

/** Validates a rule set; every problem names its field. */
export function validateRuleSet(
  input: unknown,
): { ok: true; value: RuleSet } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const doc = input as Record<string, unknown>;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    return { ok: false, errors: ["body must be an object {rules, auto_reply_period_hours?}"] };
  for (const k of Object.keys(doc))
    if (k !== "rules" && k !== "auto_reply_period_hours") errors.push(`${k} is not a known field`);
  const period = doc.auto_reply_period_hours ?? 24;
  if (!Number.isInteger(period) || (period as number) < 1 || (period as number) > 24 * 90)
    errors.push("auto_reply_period_hours must be an integer from 1 to 2160");
  if (!Array.isArray(doc.rules)) errors.push("rules must be an array");
  const rules = Array.isArray(doc.rules) ? doc.rules : [];
  if (rules.length > MAX_RULES) errors.push(`rules may have at most ${MAX_RULES} entries`);
  rules.forEach((r: Record<string, unknown>, i: number) => {
    const at = `rules[${i}]`;
    if (typeof r !== "object" || r === null) {
      errors.push(`${at} must be an object`);
      return;
    }
    for (const k of Object.keys(r))
      if (!["name", "when", "action", "stop"].includes(k)) errors.push(`${at}.${k} is not a known field`);
    if (r.name !== undefined && (typeof r.name !== "string" || r.name.length > 100))
      errors.push(`${at}.name must be a string of at most 100 characters`);
    if (r.stop !== undefined && typeof r.stop !== "boolean") errors.push(`${at}.stop must be true or false`);
    const c = (r.when ?? {}) as Record<string, unknown>;
    if (typeof c !== "object" || c === null) errors.push(`${at}.when must be an object`);
    else {
      for (const k of Object.keys(c))
        if (!["from", "subject_contains", "header", "auth"].includes(k))
          errors.push(`${at}.when.${k} is not a known condition`);
      if (c.from !== undefined && (typeof c.from !== "string" || !c.from || c.from.length > 320))
        errors.push(`${at}.when.from must be an address or a glob like *@example.com`);
      if (
        c.subject_contains !== undefined &&
        (typeof c.subject_contains !== "string" || !c.subject_contains || c.subject_contains.length > 500)
      )
        errors.push(`${at}.when.subject_contains must be a non-empty string of at most 500 characters`);
      if (c.header !== undefined) {
        const h = c.header as Record<string, unknown>;
        if (
          typeof h !== "object" ||
          h === null ||
          typeof h.name !== "string" ||
          !/^[A-Za-z0-9-]{1,100}$/.test(h.name) ||
          typeof h.contains !== "string"
        )
          errors.push(`${at}.when.header must be {name: <header name>, contains: <text>}`);
      }
      if (c.auth !== undefined && !AUTH_VERDICTS.includes(c.auth as string))
        errors.push(`${at}.when.auth must be one of ${AUTH_VERDICTS.join(", ")}`);
    }
    const a = r.action as Record<string, unknown>;
    if (typeof a !== "object" || a === null)
      errors.push(`${at}.action must be an action {type: label | forward | auto_reply, …}`);
    else if (a.type === "label") {
      if (typeof a.label !== "string" || !/^[\w .:/-]{1,64}$/u.test(a.label))
        errors.push(`${at}.action.label must be 1–64 letters, digits, spaces or . _ : / -`);
    } else if (a.type === "forward") {
      if (typeof a.to !== "string" || !isEmailAddress(a.to))
        errors.push(`${at}.action.to must be an email address`);
    } else if (a.type === "auto_reply") {
      if (typeof a.body !== "string" || !a.body || a.body.length > 20_000)
        errors.push(`${at}.action.body must be the reply text (at most 20,000 characters)`);
      if (
        a.subject !== undefined &&
        (typeof a.subject !== "string" || a.subject.length > 500 || /[\r\n]/.test(a.subject))
      )
        errors.push(`${at}.action.subject must be one line of at most 500 characters`);
    } else errors.push(`${at}.action.type must be label, forward or auto_reply`);
  });
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { rules: rules as InboundRule[], auto_reply_period_hours: period as number } };
}

/** A glob with "*" only, matched in linear time (no regular expression built from user input). */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  const parts = p.split("*");
  if (parts.length === 1) return p === t;
  if (!t.startsWith(parts[0]!) || !t.endsWith(parts[parts.length - 1]!)) return false;
  let pos = parts[0]!.length;
  const end = t.length - parts[parts.length - 1]!.length;
  for (const mid of parts.slice(1, -1)) {
    const found = t.indexOf(mid, pos);
    if (found < 0 || found + mid.length > end) return false;
    pos = found + mid.length;
  }
  return pos <= end;
}

export interface RuleInput {
  sender: string | null;
  subject: string | null;
  header: (name: string) => string | null;
  authVerdict: string | null;
}

/** The actions of the rules that match, in order, up to the first matching rule with stop. */
export function matchingRules(set: RuleSet, m: RuleInput): { index: number; rule: InboundRule }[] {
  const out: { index: number; rule: InboundRule }[] = [];
  for (const [index, rule] of set.rules.entries()) {
    const c = rule.when ?? {};
    if (c.from !== undefined && !(m.sender && globMatch(c.from, m.sender))) continue;
    if (
      c.subject_contains !== undefined &&
      !(m.subject ?? "").toLowerCase().includes(c.subject_contains.toLowerCase())
    )
      continue;
    if (
      c.header !== undefined &&
      !(m.header(c.header.name) ?? "").toLowerCase().includes(c.header.contains.toLowerCase())
    )
      continue;
    if (c.auth !== undefined && m.authVerdict !== c.auth) continue;
    out.push({ index, rule });
    if (rule.stop) break;
  }
  return out;
}

/**
 * Fills an auto-reply template: {{sender}} is the address answered (the authenticated envelope sender), {{subject}}
 * the incoming subject as echoSafe leaves it — short, no links — so a sender cannot make our signed reply carry
 * its text.
 */
export function renderTemplate(
  template: string,
  m: { sender: string | null; subject: string | null },
): string {
  return template.replace(/\{\{\s*(sender|subject)\s*\}\}/g, (_, k: string) =>
    k === "sender" ? (m.sender ?? "") : echoSafe(m.subject),
  );
}
