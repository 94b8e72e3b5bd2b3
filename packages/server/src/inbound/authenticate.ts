import { authenticate } from "mailauth";
import {
  type AuthFacts,
  type AuthResult,
  authError,
  type SenderAuthentication,
  summarizeAuth,
} from "../domain/sender-auth.ts";
import type { DnsResolver } from "../platform/dns.ts";
import type { Envelope } from "../store/messages.ts";

export type SenderAuthenticator = (raw: Buffer, envelope: Envelope) => Promise<SenderAuthentication>;

const KNOWN = new Set(["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy"]);
const result = (r: unknown): AuthResult =>
  r === "temperr" ? "temperror" : KNOWN.has(String(r)) ? (r as AuthResult) : "none";

/** The From domain, from the header the verifier parsed (the last address if there are several). */
function fromDomainOf(headerFrom: unknown): string | null {
  const list = Array.isArray(headerFrom) ? headerFrom : [];
  const addr = String(list[list.length - 1] ?? "");
  const at = addr.lastIndexOf("@");
  return at > 0 ? addr.slice(at + 1).toLowerCase() : null;
}

/**
 * SPF, DKIM, DMARC and ARC with mailauth, using the envelope the peer gave us and the configured resolver.
 * Never throws: a check that cannot complete in `timeoutMs` yields the `error` verdict.
 */
export function createSenderAuthenticator(deps: {
  dns: DnsResolver;
  hostname: string;
  timeoutMs: number;
}): SenderAuthenticator {
  const resolver = (name: string, rrtype: string) => deps.dns.resolve(name, rrtype) as Promise<string[]>;
  return async (raw, envelope) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), deps.timeoutMs);
    });
    try {
      const r = await Promise.race([
        authenticate(raw, {
          // Without a client IP (HTTP ingest that did not say) SPF has nothing to check.
          ...(envelope.client_ip ? { ip: envelope.client_ip } : {}),
          helo: envelope.helo ?? undefined,
          sender: envelope.mail_from ?? "",
          mta: deps.hostname,
          resolver,
          disableBimi: true,
        }),
        timeout,
      ]);
      if (!r) return authError(null);
      const facts: AuthFacts = {
        fromDomain: fromDomainOf(r.dkim?.headerFrom),
        spf:
          envelope.client_ip && r.spf
            ? { result: result(r.spf.status?.result), domain: r.spf.domain ?? null }
            : { result: "none", domain: null },
        dkim: (r.dkim?.results ?? [])
          .filter((s) => s.signingDomain)
          .map((s) => ({
            domain: String(s.signingDomain).toLowerCase(),
            selector: s.selector ?? null,
            algorithm: (s as { algo?: string }).algo ?? s.algorithm ?? null,
            result: result(s.status?.result),
            comment: s.status?.comment ?? null,
          })),
        dmarc: r.dmarc
          ? {
              result: result(r.dmarc.status?.result),
              policy: r.dmarc.policy ?? null,
              domain: r.dmarc.domain ?? null,
            }
          : { result: "none", policy: null, domain: null },
        arc: r.arc
          ? { result: result(r.arc.status?.result), instances: Number(r.arc.i ?? 0) }
          : { result: "none", instances: 0 },
      };
      return summarizeAuth(facts);
    } catch {
      return authError(null);
    } finally {
      clearTimeout(timer);
    }
  };
}
