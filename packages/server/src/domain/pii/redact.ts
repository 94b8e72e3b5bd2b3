import { createHmac } from "node:crypto";
import { PII_TYPES, type PiiSpan, type PiiType } from "./detect.ts";

export type PiiOperator =
  | { kind: "replace_with_type" }
  | { kind: "partial_mask"; keep_last: number; mask_char: string }
  | { kind: "hash_replace" };

export interface DetectorConfig {
  redact: boolean;
  operator: PiiOperator;
}

/** Per detector; a type not named keeps the default: redacted as `<TYPE>`. */
export type RedactionConfig = Partial<Record<PiiType, DetectorConfig>>;

const DEFAULT: DetectorConfig = { redact: true, operator: { kind: "replace_with_type" } };
/** Partial masks of a name or an address read as nonsense or leak the rest; hash them instead. */
const NO_PARTIAL_MASK: PiiType[] = ["PERSON", "EMAIL_ADDRESS"];

/**
 * Validates a `pii_redaction_config` document. Errors name the path and what to fix; `unprocessable` marks the
 * combinations that are well-formed but refused (partial_mask on PERSON or EMAIL_ADDRESS: unprocessable).
 */
export function validateRedactionConfig(input: unknown): {
  config: RedactionConfig | null;
  errors: string[];
  unprocessable: boolean;
} {
  const errors: string[] = [];
  let unprocessable = false;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { config: null, errors: ["pii_redaction_config must be an object"], unprocessable };
  }
  const config: RedactionConfig = {};
  for (const [type, raw] of Object.entries(input)) {
    const path = `pii_redaction_config.${type}`;
    if (!(PII_TYPES as readonly string[]).includes(type)) {
      errors.push(`${path} is not a detector (one of ${PII_TYPES.join(", ")})`);
      continue;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      errors.push(`${path} must be an object`);
      continue;
    }
    const entry = raw as Record<string, unknown>;
    for (const k of Object.keys(entry))
      if (k !== "redact" && k !== "operator") errors.push(`${path}.${k} is not a known field`);
    if (entry.redact !== undefined && typeof entry.redact !== "boolean")
      errors.push(`${path}.redact must be a boolean`);
    let operator: PiiOperator = DEFAULT.operator;
    if (entry.operator !== undefined) {
      const op = entry.operator as Record<string, unknown>;
      if (typeof op !== "object" || op === null || Array.isArray(op)) {
        errors.push(`${path}.operator must be an object`);
      } else if (op.kind === "replace_with_type" || op.kind === "hash_replace") {
        for (const k of Object.keys(op))
          if (k !== "kind") errors.push(`${path}.operator.${k} does not apply to ${op.kind}`);
        operator = { kind: op.kind };
      } else if (op.kind === "partial_mask") {
        for (const k of Object.keys(op))
          if (!["kind", "keep_last", "mask_char"].includes(k))
            errors.push(`${path}.operator.${k} is not a known field`);
        const keep = op.keep_last ?? 4;
        const mask = op.mask_char ?? "*";
        if (!Number.isInteger(keep) || (keep as number) < 1 || (keep as number) > 6)
          errors.push(`${path}.operator.keep_last must be an integer from 1 to 6`);
        if (typeof mask !== "string" || [...mask].length !== 1 || /[\p{L}\p{N}\s]/u.test(mask))
          errors.push(`${path}.operator.mask_char must be one character, not a letter, digit or space`);
        if (NO_PARTIAL_MASK.includes(type as PiiType)) {
          unprocessable = true;
          errors.push(`${path}.operator: partial_mask is not available for ${type}; use hash_replace`);
        }
        operator = { kind: "partial_mask", keep_last: keep as number, mask_char: mask as string };
      } else {
        errors.push(
          `${path}.operator.kind must be one of "replace_with_type", "partial_mask", "hash_replace"`,
        );
      }
    }
    config[type as PiiType] = { redact: entry.redact !== false, operator };
  }
  return errors.length > 0 ? { config: null, errors, unprocessable } : { config, errors, unprocessable };
}

/** Keeps the last `keep` digits and every separator; other digits become the mask character. */
function partialMask(value: string, keep: number, mask: string): string {
  let digitsLeft = [...value].filter((c) => /\d/.test(c)).length;
  return [...value]
    .map((c) => {
      if (!/[\dA-Za-z]/.test(c)) return c;
      const visible = /\d/.test(c) && digitsLeft <= keep;
      if (/\d/.test(c)) digitsLeft--;
      return visible ? c : mask;
    })
    .join("");
}

/** One value written two ways hashes alike: case and punctuation are dropped where they carry no meaning. */
function canonicalOf(type: PiiType, value: string): string {
  if (type === "EMAIL_ADDRESS") return value.toLowerCase();
  // Legacy Bitcoin addresses are case-sensitive; segwit and Ethereum addresses are not (case is only a checksum).
  if (type === "CRYPTO") return /^(?:bc1|0x)/i.test(value) ? value.toLowerCase() : value;
  const bare = value.replace(/[\s().-]/g, "");
  // Licence and passport letters are printed in either case; other types keep the tags they always had.
  return ["US_DRIVER_LICENSE", "US_PASSPORT", "MEDICAL_LICENSE"].includes(type) ? bare.toUpperCase() : bare;
}

/**
 * Replaces detected spans according to the configuration. `hashKey` is the account's secret: hash_replace is
 * then deterministic within an account (the agent can tell two mentions of one value apart from others) and
 * unlinkable across accounts.
 */
export function redact(text: string, spans: PiiSpan[], config: RedactionConfig, hashKey: Buffer): string {
  let out = "";
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue;
    const c = config[s.type] ?? DEFAULT;
    if (!c.redact) continue;
    const value = text.slice(s.start, s.end);
    let replacement: string;
    if (c.operator.kind === "partial_mask") {
      replacement = partialMask(value, c.operator.keep_last, c.operator.mask_char);
    } else if (c.operator.kind === "hash_replace") {
      const canonical = canonicalOf(s.type, value);
      const tag = createHmac("sha256", hashKey).update(`${s.type}\n${canonical}`).digest("hex").slice(0, 8);
      replacement = `<${s.type}:${tag}>`;
    } else replacement = `<${s.type}>`;
    out += text.slice(at, s.start) + replacement;
    at = s.end;
  }
  return out + text.slice(at);
}
