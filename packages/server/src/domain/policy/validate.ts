import { isValidGuard } from "./regex.ts";
import { KNOWN_CAPABILITIES, type MailPolicy } from "./types.ts";

export interface PolicyValidation {
  /** Messages in the spec's forms, e.g. "auditLog.retentionDays must be >= 1". Empty when valid. */
  errors: string[];
  /** Accepted but worth a look, e.g. capability strings the platform has not seen before. */
  warnings: string[];
  policy: MailPolicy | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates a MailPolicy document and reports every problem, not just the first. */
export function validatePolicy(input: unknown): PolicyValidation {
  const errors: string[] = [];
  const warnings: string[] = [];

  const known = (o: Obj, at: string, fields: string[]) => {
    for (const k of Object.keys(o))
      if (!fields.includes(k)) errors.push(`${at ? `${at}.` : ""}${k} is not a known field`);
  };
  const positiveInt = (o: Obj, key: string, at: string, required: boolean) => {
    const v = o[key];
    if (v === undefined) {
      if (required) errors.push(`${at}.${key} is required`);
      return;
    }
    if (typeof v !== "number" || !Number.isInteger(v)) errors.push(`${at}.${key} must be an integer`);
    else if (v < 1) errors.push(`${at}.${key} must be >= 1`);
  };
  const bool = (o: Obj, key: string, at: string) => {
    if (o[key] !== undefined && typeof o[key] !== "boolean") errors.push(`${at}.${key} must be a boolean`);
  };
  const str = (o: Obj, key: string, at: string) => {
    const v = o[key];
    if (v !== undefined && typeof v !== "string") errors.push(`${at}.${key} must be a string`);
    return typeof v === "string" ? v : undefined;
  };

  if (!isObj(input)) return { errors: ["policy must be a JSON object"], warnings, policy: null };
  known(input, "", ["defaultAction", "senders", "contentGuards", "auditLog"]);

  if (input.defaultAction === undefined) errors.push("defaultAction is required");
  else if (input.defaultAction !== "bounce" && input.defaultAction !== "drop") {
    errors.push('defaultAction must be one of "bounce", "drop"');
  }

  if (input.senders === undefined) errors.push("senders is required");
  else if (!Array.isArray(input.senders)) errors.push("senders must be an array");
  else {
    input.senders.forEach((rule, i) => {
      const at = `senders[${i}]`;
      if (!isObj(rule)) {
        errors.push(`${at} must be an object`);
        return;
      }
      known(rule, at, ["match", "capabilities", "rateLimit", "tokenBudget"]);
      if (rule.match === undefined) errors.push(`${at}.match is required`);
      else if (!isObj(rule.match)) errors.push(`${at}.match must be an object`);
      else {
        const m = rule.match;
        known(m, `${at}.match`, ["address", "domain", "requireDkim", "requireSpf"]);
        const address = str(m, "address", `${at}.match`);
        const domain = str(m, "domain", `${at}.match`);
        if (address !== undefined && !/^[^\s@]+@[^\s@]+$/.test(address)) {
          errors.push(`${at}.match.address must be a full email address`);
        }
        if (domain !== undefined && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(domain)) {
          errors.push(`${at}.match.domain must be a bare domain such as example.com`);
        }
        bool(m, "requireDkim", `${at}.match`);
        bool(m, "requireSpf", `${at}.match`);
      }
      if (rule.capabilities === undefined) errors.push(`${at}.capabilities is required`);
      else if (!Array.isArray(rule.capabilities)) errors.push(`${at}.capabilities must be an array`);
      else {
        rule.capabilities.forEach((c, j) => {
          if (typeof c !== "string") errors.push(`${at}.capabilities[${j}] must be a string`);
          else if (c.trim() === "") errors.push(`${at}.capabilities[${j}] is empty`);
          else if (!KNOWN_CAPABILITIES.has(c))
            warnings.push(`${at}.capabilities[${j}] "${c}" is not a capability the platform has seen before`);
        });
      }
      for (const [key, fields] of [
        ["rateLimit", ["perHour", "perDay"]],
        ["tokenBudget", ["perThread", "perDay"]],
      ] as const) {
        const v = rule[key];
        if (v === undefined) continue;
        if (!isObj(v)) {
          errors.push(`${at}.${key} must be an object`);
          continue;
        }
        known(v, `${at}.${key}`, [...fields]);
        for (const f of fields) positiveInt(v, f, `${at}.${key}`, false);
      }
    });
  }

  if (input.contentGuards !== undefined) {
    if (!Array.isArray(input.contentGuards)) errors.push("contentGuards must be an array");
    else {
      input.contentGuards.forEach((g, i) => {
        const at = `contentGuards[${i}]`;
        if (!isObj(g)) {
          errors.push(`${at} must be an object`);
          return;
        }
        known(g, at, ["reject", "reason"]);
        if (g.reject === undefined) errors.push(`${at}.reject is required`);
        else if (typeof g.reject !== "string") errors.push(`${at}.reject must be a string`);
        else if (!isValidGuard(g.reject)) errors.push(`${at}.reject is not a valid regex`);
        if (g.reason === undefined) errors.push(`${at}.reason is required`);
        else if (typeof g.reason !== "string") errors.push(`${at}.reason must be a string`);
        else if (g.reason.trim() === "") errors.push(`${at}.reason is empty`);
      });
    }
  }

  if (input.auditLog === undefined) errors.push("auditLog is required");
  else if (!isObj(input.auditLog)) errors.push("auditLog must be an object");
  else {
    known(input.auditLog, "auditLog", ["retentionDays", "includeBodyHash"]);
    positiveInt(input.auditLog, "retentionDays", "auditLog", true);
    bool(input.auditLog, "includeBodyHash", "auditLog");
  }

  return { errors, warnings, policy: errors.length === 0 ? (input as unknown as MailPolicy) : null };
}
