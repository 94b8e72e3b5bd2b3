import { Resolver } from "node:dns/promises";

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** Every DNS lookup goes through this interface so tests can point it at a local answerer. */
export interface DnsResolver {
  resolveMx(domain: string): Promise<MxRecord[]>;
  resolve4(domain: string): Promise<string[]>;
  /** Any record type, answered like node's `dns.promises.resolve` (the shape mailauth expects). */
  resolve(name: string, rrtype: string): Promise<unknown>;
}

const CACHE_MS = 60_000;
const CACHE_MAX = 5_000;
/** Answers that mean "no such record": as cacheable as an answer. Timeouts and SERVFAIL are not cached. */
const NEGATIVE = new Set(["ENOTFOUND", "ENODATA"]);

/**
 * A resolver on the given servers (host or host:port), or the system's when none are given. Answers are kept for
 * a minute: authentication of a burst from one domain, and the copies of one message for several mailboxes,
 * ask the same questions. `cache: false` asks every time (checking records someone has just published).
 */
export function createDnsResolver(servers: string[], opts: { cache?: boolean } = {}): DnsResolver {
  const r = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length > 0) r.setServers(servers);
  const cache = new Map<string, { until: number; value?: unknown; error?: unknown }>();

  async function cached<T>(key: string, lookup: () => Promise<T>): Promise<T> {
    if (opts.cache === false) return lookup();
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) {
      if (hit.error) throw hit.error;
      return hit.value as T;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    try {
      const value = await lookup();
      cache.set(key, { until: Date.now() + CACHE_MS, value });
      return value;
    } catch (err) {
      if (NEGATIVE.has((err as { code?: string }).code ?? "")) {
        cache.set(key, { until: Date.now() + CACHE_MS, error: err });
      }
      throw err;
    }
  }

  const norm = (name: string) => name.toLowerCase().replace(/\.$/, "");
  return {
    resolveMx: (d) => cached(`MX ${norm(d)}`, () => r.resolveMx(d)),
    resolve4: (d) => cached(`A ${norm(d)}`, () => r.resolve4(d)),
    resolve: (name, rrtype) =>
      cached(`${rrtype.toUpperCase()} ${norm(name)}`, () => r.resolve(name, rrtype as "TXT")),
  };
}
