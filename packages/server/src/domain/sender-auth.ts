// One definition of the wire shape, shared with the SDK (types only).
import type { AuthResult, SenderAuthentication } from "@postbox/sdk";
import { getDomain } from "tldts";

export type { AuthResult, SenderAuthentication };
export type AuthVerdict = SenderAuthentication["verdict"];

/** The raw facts a verifier produced; the verdict and alignment are derived from them here. */
export interface AuthFacts {
  fromDomain: string | null;
  spf: { result: AuthResult; domain: string | null };
  dkim: {
    domain: string;
    selector: string | null;
    algorithm: string | null;
    result: AuthResult;
    comment: string | null;
  }[];
  dmarc: { result: AuthResult; policy: string | null; domain: string | null };
  arc: { result: AuthResult; instances: number };
}

const opts = { allowIcannDomains: true, allowPrivateDomains: true };
/** The organizational domain (RFC 7489 §3.2), by the public suffix list. */
export function organizationalDomain(domain: string): string {
  const d = domain.toLowerCase().replace(/\.$/, "");
  return getDomain(d, opts) ?? d;
}

/** Relaxed alignment: both domains share an organizational domain. */
export function aligned(a: string | null, b: string | null): boolean {
  if (!a || !b) return false;
  return organizationalDomain(a) === organizationalDomain(b);
}

const TEMP: AuthResult[] = ["temperror"];
const BAD: AuthResult[] = ["fail", "softfail", "neutral", "permerror", "policy"];

/**
 * Summarises the checks into one verdict:
 * - verified_aligned: DMARC passed, or (without a DMARC record) DKIM or SPF passed for the From domain;
 * - authenticated_unaligned: something passed, but for another domain than the From domain;
 * - failed: DMARC failed, or nothing passed and some check failed;
 * - error: nothing passed and a check could not be completed (DNS trouble);
 * - none: there was nothing to check (unsigned, no SPF record).
 * Only "pass" counts as passing: a body-hash mismatch comes back as "neutral".
 */
export function summarizeAuth(f: AuthFacts): SenderAuthentication {
  const signatures = f.dkim.map((s) => ({ ...s, aligned: aligned(s.domain, f.fromDomain) }));
  const passing = signatures.filter((s) => s.result === "pass");
  const dkimAligned = passing.some((s) => s.aligned);
  const spfAligned = f.spf.result === "pass" && aligned(f.spf.domain, f.fromDomain);
  const dkimResult: AuthResult =
    passing.length > 0 ? "pass" : (signatures.find((s) => s.result !== "none")?.result ?? "none");
  const all = [f.spf.result, dkimResult, f.dmarc.result];
  let verdict: AuthVerdict;
  if (f.dmarc.result === "pass" || (f.dmarc.result !== "fail" && (dkimAligned || spfAligned)))
    verdict = "verified_aligned";
  else if (f.dmarc.result === "fail") verdict = "failed";
  else if (passing.length > 0 || f.spf.result === "pass") verdict = "authenticated_unaligned";
  else if (all.some((r) => TEMP.includes(r))) verdict = "error";
  else if (all.some((r) => BAD.includes(r))) verdict = "failed";
  else verdict = "none";
  return {
    spf: { ...f.spf, aligned: spfAligned },
    dkim: { result: dkimResult, aligned: dkimAligned, signatures },
    dmarc: f.dmarc,
    arc: f.arc,
    from_domain: f.fromDomain,
    signing_domains: [...new Set(passing.map((s) => s.domain))],
    verdict,
  };
}

/** When the checks could not run at all (timeout, crash): every result is a temporary error. */
export function authError(fromDomain: string | null): SenderAuthentication {
  return summarizeAuth({
    fromDomain,
    spf: { result: "temperror", domain: null },
    dkim: [],
    dmarc: { result: "temperror", policy: null, domain: null },
    arc: { result: "temperror", instances: 0 },
  });
}

/**
 * Whether the sender's domain authenticated, for deciding if a notification may be sent to it (anti-backscatter):
 * SPF passed for the envelope sender's domain, or a passing DKIM signature aligns with it.
 */
export function envelopeSenderAuthenticated(auth: SenderAuthentication, mailFrom: string | null): boolean {
  if (!mailFrom?.includes("@")) return false;
  const domain = mailFrom.slice(mailFrom.lastIndexOf("@") + 1);
  if (auth.spf.result === "pass" && aligned(auth.spf.domain, domain)) return true;
  return auth.dkim.signatures.some((s) => s.result === "pass" && aligned(s.domain, domain));
}
