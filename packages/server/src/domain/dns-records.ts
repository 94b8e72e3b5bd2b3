import { domainToASCII } from "node:url";

/**
 * A custom domain's DNS: the records its owner publishes, how a lookup's answer compares with each, and what the
 * comparison means for the domain (docs/domains.md). Pure: the lookups themselves are the caller's.
 */

/** pending: never checked; verified: every required record found; failed: a required record missing or wrong. */
export type DomainStatus = "pending" | "verified" | "failed";
export const DOMAIN_STATUSES: readonly DomainStatus[] = ["pending", "verified", "failed"];

export type RecordPurpose = "mx" | "spf" | "dkim" | "dmarc";
/** error: the lookup itself failed (timeout, SERVFAIL), so nothing is known about the record. */
export type RecordStatus = "pending" | "verified" | "missing" | "mismatch" | "error";
export const RECORD_STATUSES: readonly RecordStatus[] = [
  "pending",
  "verified",
  "missing",
  "mismatch",
  "error",
];

export interface DnsRecord {
  purpose: RecordPurpose;
  type: "MX" | "TXT";
  /** The owner name, fully qualified, without the trailing dot. */
  name: string;
  /** MX: the exchange host; TXT: the text. */
  value: string;
  /** MX only. */
  priority: number | null;
  /** Required records decide verification; the others are advice the check still reports on. */
  required: boolean;
}

export interface RecordCheck extends DnsRecord {
  status: RecordStatus;
  /** What the lookup found that bears on this record (MX hosts, or the matching kind of TXT). */
  found: string[];
}

/** A lookup's answer: the values at the name (none when the name or type does not exist), or a failure. */
export type Lookup = { values: string[] } | { error: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The domain as stored (lower case, ASCII, no trailing dot), or why it cannot be one. */
export function normalizeDomainName(input: string): { name: string } | { problem: string } {
  const trimmed = input.trim().replace(/\.$/, "");
  const name = domainToASCII(trimmed);
  if (!name) return { problem: `"${input}" is not a domain name` };
  if (name.length > 253) return { problem: "a domain name has at most 253 characters" };
  const labels = name.split(".");
  if (labels.length < 2) return { problem: "give the full domain (example.com), not a single label" };
  if (!labels.every((l) => LABEL.test(l)))
    return { problem: "each label of a domain has 1–63 letters, digits or inner hyphens" };
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { problem: "an IP address is not a domain" };
  return { name };
}

/** The DMARC policy we suggest: every message Postbox sends is DKIM-aligned, so quarantine costs it nothing. */
const DMARC = "v=DMARC1; p=quarantine; adkim=r; aspf=r";

/**
 * What the owner of `domain` publishes: MX to our mail host (inbound mail and the VERP bounces of outbound mail
 * both arrive there), SPF naming that host, the domain's DKIM key, and a DMARC policy. MX and DKIM are required.
 */
export function recordsToPublish(d: {
  domain: string;
  mxHost: string;
  dkimSelector: string;
  /** The DKIM TXT text: `v=DKIM1; k=…; p=…`. */
  dkimValue: string;
}): DnsRecord[] {
  return [
    { purpose: "mx", type: "MX", name: d.domain, value: d.mxHost, priority: 10, required: true },
    { purpose: "spf", type: "TXT", name: d.domain, value: "v=spf1 mx ~all", priority: null, required: false },
    {
      purpose: "dkim",
      type: "TXT",
      name: `${d.dkimSelector}._domainkey.${d.domain}`,
      value: d.dkimValue,
      priority: null,
      required: true,
    },
    {
      purpose: "dmarc",
      type: "TXT",
      name: `_dmarc.${d.domain}`,
      value: DMARC,
      priority: null,
      required: false,
    },
  ];
}

/** The records as they stand before any check. */
export function uncheckedRecords(records: DnsRecord[]): RecordCheck[] {
  return records.map((r) => ({ ...r, status: "pending", found: [] }));
}

const host = (h: string) => h.trim().toLowerCase().replace(/\.$/, "");
const spaces = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();

/** A DKIM record's tags (k=v pairs separated by semicolons), values without whitespace. */
function tags(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) m.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ""));
  }
  return m;
}

/** Compares one record with what a lookup of its name found. */
export function checkRecord(r: DnsRecord, lookup: Lookup): RecordCheck {
  if ("error" in lookup) return { ...r, status: "error", found: [] };
  const judge = (found: string[], matches: (v: string) => boolean): RecordCheck => ({
    ...r,
    found,
    status: found.some(matches) ? "verified" : found.length > 0 ? "mismatch" : "missing",
  });
  const { values } = lookup;
  switch (r.purpose) {
    case "mx":
      return judge(values.map(host), (v) => v === host(r.value));
    case "spf":
      return judge(
        values.filter((v) => /^v=spf1(\s|$)/i.test(v.trim())),
        (v) => spaces(v) === spaces(r.value),
      );
    case "dkim": {
      const key = tags(r.value).get("p");
      return judge(
        values.filter((v) => tags(v).has("p")),
        (v) => tags(v).get("p") === key,
      );
    }
    case "dmarc":
      // The policy is the owner's to choose: any DMARC record will do.
      return judge(
        values.filter((v) => /^v=DMARC1\s*(;|$)/i.test(v.trim())),
        () => true,
      );
  }
}

/**
 * The domain's status after a check: verified when every required record is; unchanged when a required record
 * could not be looked up (a resolver's bad minute says nothing about the domain); failed otherwise.
 */
export function statusAfterCheck(previous: DomainStatus, checks: RecordCheck[]): DomainStatus {
  const required = checks.filter((c) => c.required);
  if (required.every((c) => c.status === "verified")) return "verified";
  if (required.some((c) => c.status === "error")) return previous;
  return "failed";
}

/** A TXT text as zone-file strings: quoted, escaped, in pieces of at most 255 characters. */
function txtStrings(text: string): string {
  const pieces = text.match(/[\s\S]{1,255}/g) ?? [""];
  return pieces.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(" ");
}

/** The records in RFC 1035 master-file form, to paste or import at a DNS provider. */
export function zoneFile(domain: string, records: DnsRecord[], ttl = 3600): string {
  const lines = [
    `; DNS records for ${domain}, to publish for Postbox (MX and DKIM are required; SPF and DMARC advised)`,
    `$TTL ${ttl}`,
  ];
  for (const r of records) {
    const data = r.type === "MX" ? `${r.priority} ${r.value}.` : txtStrings(r.value);
    lines.push(`; ${r.purpose}${r.required ? " (required)" : ""}`, `${r.name}.\tIN\t${r.type}\t${data}`);
  }
  return `${lines.join("\n")}\n`;
}
