import { type TSchema, Type } from "typebox";
import { DOMAIN_STATUSES, RECORD_STATUSES } from "../../domain/dns-records.ts";
import { component, Nullable, Timestamp, Uuid } from "./common.ts";

// routes/domains.ts: custom domains, their DNS records and verification.

const lits = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));

export const DnsRecordCheckRef: TSchema = component(
  "DnsRecordCheck",
  Type.Object(
    {
      purpose: lits(["mx", "spf", "dkim", "dmarc"]),
      type: lits(["MX", "TXT"]),
      name: Type.String({ description: "The owner name to publish at, fully qualified (no trailing dot)." }),
      value: Type.String({ description: "MX: the host mail goes to; TXT: the text." }),
      priority: Nullable(Type.Integer(), { description: "MX preference; null for TXT." }),
      required: Type.Boolean({
        description: "Required records (MX, DKIM) decide verification; SPF and DMARC are advised.",
      }),
      status: lits(RECORD_STATUSES),
      found: Type.Array(Type.String(), {
        description:
          "What the last lookup found at the name that bears on the record (MX hosts, SPF, DKIM or DMARC texts).",
      }),
    },
    {
      description:
        "A record to publish and what the last check found: pending (not checked yet), verified, missing, mismatch " +
        "(something else is published there), error (the lookup failed; try again).",
    },
  ),
);

const domainFields = {
  id: Uuid,
  domain_name: Type.String(),
  domain_type: lits(["platform", "custom"]),
  transport_mode: Type.Literal("postbox", {
    description: "Postbox receives and delivers the domain's mail itself.",
  }),
  is_default: Type.Boolean({
    description: "Whether new mailboxes of the account go here when they name no domain.",
  }),
  verification_status: lits(DOMAIN_STATUSES),
  dkim_selector: Type.String(),
  dkim_key_source: Nullable(lits(["generated", "operator"]), {
    description: "Who made the custom domain's DKIM key; null for the installation's domain.",
  }),
  dns_records_json: Type.Array(DnsRecordCheckRef, {
    description: "The records to publish, each with its last check (empty for the installation's domain).",
  }),
  admin_review_status: Type.Null(),
  last_checked_at: Nullable(Timestamp),
  verified_at: Nullable(Timestamp),
  created_at: Nullable(Timestamp),
};

export const DomainRef: TSchema = component(
  "Domain",
  Type.Object(domainFields, {
    description:
      "A domain mailboxes live on: the installation's own (`platform`, shared by every account, always verified, id " +
      "00000000-0000-0000-0000-000000000000) or a custom one of the account.",
  }),
);

export const DomainCreatedRef: TSchema = component(
  "DomainCreated",
  Type.Object(
    {
      ...domainFields,
      domain_id: Uuid,
      claim_token: Type.Null(),
      message: Type.String(),
    },
    { description: "The new domain, with the records to publish before verifying it." },
  ),
);

export const DomainVerificationRef: TSchema = component(
  "DomainVerification",
  Type.Object(
    {
      ...domainFields,
      failed_gate: Nullable(Type.String(), {
        description: "The first required record that is not verified.",
      }),
      failure_reason: Nullable(Type.String()),
      message: Type.String(),
    },
    { description: "The domain after a check of its records through the configured resolver." },
  ),
);

export const DomainDeletedRef: TSchema = component(
  "DomainDeleted",
  Type.Object({ id: Uuid, domain_name: Type.String(), deleted: Type.Literal(true) }),
);

export const ZoneFile: TSchema = {
  description: "The records in zone-file (RFC 1035 master file) form.",
  content: { "text/plain": { schema: { type: "string" } } },
} as unknown as TSchema;
