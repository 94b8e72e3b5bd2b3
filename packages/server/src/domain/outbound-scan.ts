import { detectPii, type PiiType } from "./pii/detect.ts";
import { SCAN_DECISIONS, type ScanDecision, scanVerdictOf, verdictOfScanDecision } from "./verdict.ts";

/** What may happen to an outgoing message (the spec's names), mildest first. */
export type Decision = ScanDecision;

/** Mailbox settings written before the spec's name was used: "review" means require_human_approval. */
export function normalizeDecision(d: string): Decision {
  return d === "review" ? "require_human_approval" : (d as Decision);
}

export const OUTBOUND_PII_TYPES = ["ssn", "credit_card", "phone_number"] as const;
export type OutboundPiiType = (typeof OUTBOUND_PII_TYPES)[number];

/** Platform defaults: identity and payment numbers are held, phone numbers go out with a warning. */
export const DEFAULT_OUTBOUND_PII_POLICY: Record<OutboundPiiType, Decision> = {
  ssn: "quarantine",
  credit_card: "quarantine",
  phone_number: "allow_with_warning",
};

const PII_OF: Partial<Record<PiiType, OutboundPiiType>> = {
  US_SSN: "ssn",
  CREDIT_CARD: "credit_card",
  PHONE_NUMBER: "phone_number",
};

export interface Finding {
  category: "pii" | "secret_detected" | "attachment_policy" | "mime_mismatch" | "scan_incomplete";
  decision: Decision;
  reason: string;
  pii_type?: OutboundPiiType;
  secret_type?: string;
  /** Findings about an attachment name it (its position in the message once sent, and its upload handle). */
  attachment_filename?: string;
  attachment_index?: number;
  upload_id?: string;
}

/** The scan of a message with more findings (its attachments') joined: worst decision and verdict recomputed. */
export function withFindings(
  scan: ScanSummary & { worst: Decision },
  more: Finding[],
): ScanSummary & { worst: Decision } {
  if (more.length === 0) return scan;
  const findings = [...scan.findings, ...more];
  const w = worst(findings.map((f) => f.decision));
  return {
    verdict: scanVerdictOf(verdictOfScanDecision(w), w !== "allow"),
    categories: categoriesOf(findings),
    findings,
    worst: w,
  };
}

export interface ScanSummary {
  verdict: "clean" | "warning" | "review_required" | "quarantined" | "blocked";
  /** Each category that fired once, with its worst decision (the seed's per-category view of the findings). */
  categories: { category: string; decision: Decision }[];
  findings: Finding[];
}

// --- Secrets: well-known token formats, private keys, and high-entropy values right after a credential word.
const SECRET_FORMATS: { type: string; pattern: RegExp }[] = [
  {
    type: "private_key",
    pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----/,
  },
  { type: "aws_access_key_id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { type: "github_token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/ },
  { type: "gitlab_token", pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { type: "slack_token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/ },
  { type: "stripe_secret_key", pattern: /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}\b/ },
  { type: "google_api_key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { type: "openai_api_key", pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}\b/ },
  { type: "anthropic_api_key", pattern: /\bsk-ant-[A-Za-z0-9_-]{32,}\b/ },
  { type: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/ },
  { type: "postbox_api_key", pattern: /\bpbx_live_[a-z0-9]{16}\.[A-Za-z0-9_-]{20,}\b/ },
];
const CREDENTIAL_VALUE =
  /\b(?:password|passwd|pwd|secret|token|api[_ -]?key|access[_ -]?key|client[_ -]?secret|auth)\b["']?\s*(?:[:=]|is)\s*["']?([^\s"'<>,;]{12,200})/gi;

/** Bits per character: random keys score high, words and ordinary identifiers low. */
export function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

export function findSecrets(text: string): string[] {
  const found = new Set<string>();
  for (const f of SECRET_FORMATS) if (f.pattern.test(text)) found.add(f.type);
  for (const m of text.matchAll(CREDENTIAL_VALUE)) {
    const value = m[1]!;
    // A mix of character classes and high entropy: "hunter2hunter2" is not flagged, "q7G!x9Lm2Vz#p4" is.
    const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length;
    if (classes >= 3 && shannonEntropy(value) >= 3.5) found.add("credential");
  }
  return [...found];
}

const worst = (ds: Decision[]): Decision =>
  ds.reduce<Decision>((w, d) => (SCAN_DECISIONS.indexOf(d) > SCAN_DECISIONS.indexOf(w) ? d : w), "allow");

/** The findings per category, in order of first appearance, each with its worst decision. */
export function categoriesOf(
  findings: { category: string; decision: Decision }[],
): ScanSummary["categories"] {
  const byCategory = new Map<string, Decision>();
  for (const f of findings)
    byCategory.set(f.category, worst([byCategory.get(f.category) ?? "allow", f.decision]));
  return [...byCategory].map(([category, decision]) => ({ category, decision }));
}

/**
 * Scans what an agent is about to send: PII of the three outbound types, decided by the mailbox's policy, and
 * secrets (always blocked: a credential that leaves cannot be called back).
 */
export function scanOutbound(
  text: string,
  policy: Partial<Record<OutboundPiiType, Decision | "review">> = {},
  /** Checks the mailbox turned off (its scanner_policy.disabled_scanners). */
  off: { pii?: boolean; secrets?: boolean } = {},
): ScanSummary & { worst: Decision } {
  const findings: Finding[] = [];
  const seen = new Set<OutboundPiiType>();
  const spans = off.pii ? [] : detectPii(text, ["US_SSN", "CREDIT_CARD", "PHONE_NUMBER"]);
  for (const span of spans) {
    const type = PII_OF[span.type];
    if (!type || seen.has(type)) continue;
    seen.add(type);
    const decision = normalizeDecision(policy[type] ?? DEFAULT_OUTBOUND_PII_POLICY[type]);
    if (decision === "allow") continue;
    findings.push({
      category: "pii",
      decision,
      pii_type: type,
      reason: `contains a ${type.replace("_", " ")} (${decision.replace(/_/g, " ")} by the mailbox's outbound PII policy)`,
    });
  }
  for (const secret of off.secrets ? [] : findSecrets(text)) {
    findings.push({
      category: "secret_detected",
      decision: "block",
      secret_type: secret,
      reason: `contains what looks like a ${secret.replace(/_/g, " ")}`,
    });
  }
  const w = worst(findings.map((f) => f.decision));
  return {
    verdict: scanVerdictOf(verdictOfScanDecision(w), w !== "allow"),
    categories: categoriesOf(findings),
    findings,
    worst: w,
  };
}
