import { randomUUID } from "node:crypto";
import type { Clock } from "../domain/clock.ts";
import {
  checkRecord,
  type DnsRecord,
  type Lookup,
  normalizeDomainName,
  type RecordCheck,
  recordsToPublish,
  statusAfterCheck,
  uncheckedRecords,
  zoneFile,
} from "../domain/dns-records.ts";
import { AppError, notFound, validation } from "../domain/errors.ts";
import { type Principal, requireRole } from "../domain/principal.ts";
import { dkimDnsRecord, dkimKeyProblem, generateDkimPrivateKey } from "../outbound/dkim/key.ts";
import type { DnsResolver } from "../platform/dns.ts";
import type { Db } from "../store/db.ts";
import {
  accountDefaultDomain,
  type DomainRow,
  deleteUnusedDomain,
  domainByName,
  findDomain,
  insertDomain,
  listDomains,
  recordDomainCheck,
  setAccountDefaultDomain,
} from "../store/domains.ts";

/**
 * The installation's own domain (POSTBOX_DOMAIN) answers as a domain too, shared by every account, always verified,
 * with this id (decision 0017): it is no row, so it has no UUID of its own.
 */
export const INSTALLATION_DOMAIN_ID = "00000000-0000-0000-0000-000000000000";

export interface DomainDeps {
  db: Db;
  config: { domain: string; mxHost: string; dkim: { selector: string } };
  /** Lookups for verification; uncached, so a record published a moment ago is seen. */
  dns: Pick<DnsResolver, "resolveMx" | "resolve">;
  clock: Clock;
}

/** A domain as the API shows it: a custom one (its row) or the installation's. */
export type DomainView =
  | { kind: "custom"; row: DomainRow; records: RecordCheck[]; isDefault: boolean }
  | { kind: "installation"; name: string; isDefault: boolean };

/** The records a custom domain's owner publishes. */
export function recordsOf(row: DomainRow, mxHost: string): DnsRecord[] {
  const dkim = dkimDnsRecord({
    domain: row.name,
    selector: row.dkim_selector,
    privateKey: row.dkim_private_key,
  });
  return recordsToPublish({
    domain: row.name,
    mxHost,
    dkimSelector: row.dkim_selector,
    dkimValue: dkim.value,
  });
}

/** The records with the last check's results (pending before the first). */
function checkedRecords(row: DomainRow, mxHost: string): RecordCheck[] {
  const expected = recordsOf(row, mxHost);
  // A check made before POSTBOX_MX_HOST changed compared with other values: shown as unchecked.
  const same = (a: DnsRecord, b: DnsRecord) =>
    a.purpose === b.purpose && a.name === b.name && a.value === b.value;
  return expected.map((r) => row.dns_checks.find((c) => same(c, r)) ?? uncheckedRecords([r])[0]!);
}

async function view(deps: DomainDeps, row: DomainRow): Promise<DomainView> {
  const def = await accountDefaultDomain(deps.db, row.account_id);
  return {
    kind: "custom",
    row,
    records: checkedRecords(row, deps.config.mxHost),
    isDefault: def?.id === row.id,
  };
}

function isInstallation(deps: DomainDeps, ref: string): boolean {
  const r = ref.toLowerCase().replace(/\.$/, "");
  return r === INSTALLATION_DOMAIN_ID || r === deps.config.domain;
}

async function ownDomain(deps: DomainDeps, p: Principal, ref: string): Promise<DomainRow> {
  const row = await findDomain(deps.db, p.accountId, ref);
  if (!row) throw notFound("domain", ref);
  return row;
}

const notTargetable = (deps: DomainDeps, what: string) =>
  new AppError(
    "conflict",
    "PLATFORM_DOMAIN_NOT_TARGETABLE",
    `${deps.config.domain} is the installation's own domain, shared by every account: it cannot be ${what}`,
  );

/**
 * Claims a domain for the caller's account with its own DKIM key (generated, or the admin's PEM). A domain belongs
 * to one account: a name another account holds is refused, without saying which.
 */
export async function addDomain(
  deps: DomainDeps,
  p: Principal,
  input: { domain: string; dkimPrivateKey?: string; dkimSelector?: string },
): Promise<DomainView> {
  requireRole(p, "admin");
  const n = normalizeDomainName(input.domain);
  if ("problem" in n) throw validation(n.problem, [`body.domain: ${n.problem}`]);
  if (n.name === deps.config.domain) throw notTargetable(deps, "added");
  if (input.dkimPrivateKey !== undefined) {
    const problem = dkimKeyProblem(input.dkimPrivateKey);
    if (problem) throw new AppError("unprocessable", "DKIM_KEY_INVALID", `dkim_private_key: ${problem}`);
  }
  const row = await insertDomain(deps.db, {
    id: randomUUID(),
    accountId: p.accountId,
    name: n.name,
    selector: input.dkimSelector?.toLowerCase() ?? deps.config.dkim.selector,
    privateKey: input.dkimPrivateKey ?? (await generateDkimPrivateKey()),
    keySource: input.dkimPrivateKey === undefined ? "generated" : "operator",
  });
  if (!row) {
    const holder = await domainByName(deps.db, n.name);
    if (holder?.account_id === p.accountId)
      throw new AppError(
        "conflict",
        "DOMAIN_ALREADY_ADDED",
        `${n.name} is already a domain of this account`,
        {
          domain_id: holder.id,
        },
      );
    throw new AppError(
      "conflict",
      "DOMAIN_TAKEN",
      `${n.name} belongs to another account of this installation; a domain belongs to one account. ` +
        "Ask the operator if it should be yours",
    );
  }
  return view(deps, row);
}

/** The installation's domain first, then the account's own, oldest first. */
export async function domainsOf(deps: DomainDeps, p: Principal): Promise<DomainView[]> {
  requireRole(p, "admin");
  const [rows, def] = await Promise.all([
    listDomains(deps.db, p.accountId),
    accountDefaultDomain(deps.db, p.accountId),
  ]);
  return [
    { kind: "installation", name: deps.config.domain, isDefault: def === null },
    ...rows.map((row) => ({
      kind: "custom" as const,
      row,
      records: checkedRecords(row, deps.config.mxHost),
      isDefault: def?.id === row.id,
    })),
  ];
}

/** One domain by id or name. */
export async function domainOf(deps: DomainDeps, p: Principal, ref: string): Promise<DomainView> {
  requireRole(p, "admin");
  if (isInstallation(deps, ref))
    return {
      kind: "installation",
      name: deps.config.domain,
      isDefault: (await accountDefaultDomain(deps.db, p.accountId)) === null,
    };
  return view(deps, await ownDomain(deps, p, ref));
}

/** What a lookup of one record's name and type answers; "no such name or record" is an answer, not a failure. */
async function lookUp(dns: DomainDeps["dns"], r: DnsRecord): Promise<Lookup> {
  try {
    if (r.type === "MX") return { values: (await dns.resolveMx(r.name)).map((m) => m.exchange) };
    const txt = (await dns.resolve(r.name, "TXT")) as string[][];
    return { values: txt.map((chunks) => chunks.join("")) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    if (code === "ENOTFOUND" || code === "ENODATA") return { values: [] };
    return { error: code || String(err) };
  }
}

/** Looks every record up now, through the configured resolver, and records the outcome. */
export async function verifyDomain(deps: DomainDeps, p: Principal, ref: string): Promise<DomainView> {
  requireRole(p, "admin");
  if (isInstallation(deps, ref)) return domainOf(deps, p, ref);
  const row = await ownDomain(deps, p, ref);
  const expected = recordsOf(row, deps.config.mxHost);
  const checks = await Promise.all(expected.map(async (r) => checkRecord(r, await lookUp(deps.dns, r))));
  const status = statusAfterCheck(row.verification_status, checks);
  const updated = await recordDomainCheck(deps.db, row.id, { status, records: checks, at: deps.clock.now() });
  return view(deps, updated);
}

/** The records as a zone file, to paste or import at a DNS provider. */
export async function domainZoneFile(deps: DomainDeps, p: Principal, ref: string): Promise<string> {
  requireRole(p, "admin");
  if (isInstallation(deps, ref))
    throw notTargetable(deps, "published from here (its records are the operator's)");
  const row = await ownDomain(deps, p, ref);
  return zoneFile(row.name, recordsOf(row, deps.config.mxHost));
}

const notVerified = (row: DomainRow, what: string) =>
  new AppError(
    "conflict",
    "DOMAIN_NOT_VERIFIED",
    `${row.name} is ${row.verification_status}, not verified: publish its records (GET /v1/domains/${row.id}), ` +
      `then POST /v1/domains/${row.id}/verify before ${what}`,
    { domain_id: row.id, verification_status: row.verification_status },
  );

/** New mailboxes of the account go to this domain when the request names none. */
export async function setDefaultDomain(deps: DomainDeps, p: Principal, ref: string): Promise<DomainView> {
  requireRole(p, "admin");
  if (isInstallation(deps, ref)) {
    await setAccountDefaultDomain(deps.db, p.accountId, null);
    return domainOf(deps, p, ref);
  }
  const row = await ownDomain(deps, p, ref);
  if (row.verification_status !== "verified") throw notVerified(row, "making it the default");
  await setAccountDefaultDomain(deps.db, p.accountId, row.id);
  return view(deps, row);
}

/** Deletes a domain that no live mailbox uses; its key goes with it. */
export async function removeDomain(deps: DomainDeps, p: Principal, ref: string): Promise<DomainRow> {
  requireRole(p, "admin");
  if (isInstallation(deps, ref)) throw notTargetable(deps, "deleted");
  const row = await ownDomain(deps, p, ref);
  const live = await deleteUnusedDomain(deps.db, row.id);
  if (live > 0)
    throw new AppError(
      "conflict",
      "DOMAIN_IN_USE",
      `${row.name} has ${live} live mailbox${live === 1 ? "" : "es"}; delete ${live === 1 ? "it" : "them"} first`,
      { mailboxes: live },
    );
  return row;
}

/**
 * The domain a new mailbox goes to: the one the request names (id or name), else the account's default; null is
 * the installation's. A custom domain must be the account's and verified.
 */
export async function mailboxDomain(
  deps: { db: Db; config: { domain: string } },
  p: Principal,
  ref: string | undefined,
): Promise<string | null> {
  if (ref !== undefined) {
    const r = ref.toLowerCase().replace(/\.$/, "");
    if (r === INSTALLATION_DOMAIN_ID || r === deps.config.domain) return null;
  }
  const row =
    ref === undefined
      ? await accountDefaultDomain(deps.db, p.accountId)
      : await findDomain(deps.db, p.accountId, ref);
  if (ref !== undefined && !row) throw notFound("domain", ref);
  if (!row) return null;
  if (row.verification_status !== "verified") throw notVerified(row, "creating mailboxes on it");
  return row.name;
}
