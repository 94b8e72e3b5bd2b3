import { Resolver } from "node:dns/promises";

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** Every DNS lookup goes through this interface so tests can point it at a local answerer. */
export interface DnsResolver {
  resolveMx(domain: string): Promise<MxRecord[]>;
  resolve4(domain: string): Promise<string[]>;
}

export function createDnsResolver(servers: string[]): DnsResolver {
  const r = new Resolver({ timeout: 5000, tries: 2 });
  if (servers.length > 0) r.setServers(servers);
  return {
    resolveMx: (d) => r.resolveMx(d),
    resolve4: (d) => r.resolve4(d),
  };
}
