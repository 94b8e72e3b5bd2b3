import { Type } from "typebox";
import {
  addDomain,
  type DomainView,
  domainOf,
  domainsOf,
  domainZoneFile,
  removeDomain,
  setDefaultDomain,
  verifyDomain,
} from "../../tenancy/domains.ts";
import {
  DomainCreatedRef,
  DomainDeletedRef,
  DomainRef,
  DomainVerificationRef,
  described,
  errors,
  ITEM_ACCESS,
  withExamples,
  ZoneFile,
} from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";
import { domainToWire } from "../wire.ts";

const CreateDomain = Type.Object(
  {
    domain: Type.String({
      maxLength: 253,
      description: "The domain, e.g. `mail.example.com` (an IDN is stored as punycode).",
    }),
    transport_mode: Type.Optional(
      Type.Literal("postbox", {
        description: "The seed's clients may send it; Postbox is the only transport.",
      }),
    ),
    dkim_selector: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
        description: "The DKIM selector (default: POSTBOX_DKIM_SELECTOR, `postbox`).",
      }),
    ),
    dkim_private_key: Type.Optional(
      Type.String({
        maxLength: 16_384,
        description:
          "Your own DKIM key (unencrypted PEM, RSA ≥ 1024 bits or Ed25519); Postbox makes an RSA-2048 key otherwise.",
      }),
    ),
  },
  { additionalProperties: false },
);
const DomainParam = Type.Object({
  id: Type.String({ maxLength: 253, description: "The domain's id or its name." }),
});

export function domainRoutes(app: Api, ctx: RouteContext) {
  const tags = ["domain"];
  const wire = (v: DomainView) => domainToWire(v, ctx.config.dkim);

  app.post(
    "/v1/domains",
    {
      schema: {
        tags,
        operationId: "createDomain",
        summary: "Add a custom domain (admin)",
        description:
          "Claims the domain for the account with its own DKIM key and answers the DNS records to publish " +
          "(`dns_records_json`: MX and DKIM required, SPF and DMARC advised; `GET /v1/domains/:id/zone-file` has them " +
          "as a zone file). Publish them, then `POST /v1/domains/:id/verify`. A domain belongs to one account: one " +
          "another account holds is `409 DOMAIN_TAKEN`; the installation's own is `409 PLATFORM_DOMAIN_NOT_TARGETABLE`.",
        body: withExamples(CreateDomain, { domain: "agents.example.com" }),
        response: {
          201: described(DomainCreatedRef, "The domain, pending until its records verify."),
          ...errors(
            "INSUFFICIENT_SCOPE",
            "VALIDATION_ERROR",
            "DOMAIN_TAKEN",
            "DOMAIN_ALREADY_ADDED",
            "PLATFORM_DOMAIN_NOT_TARGETABLE",
            "DKIM_KEY_INVALID",
          ),
        },
      },
    },
    async (req, reply) => {
      const v = await addDomain(ctx, principalOf(req), {
        domain: req.body.domain,
        dkimSelector: req.body.dkim_selector,
        dkimPrivateKey: req.body.dkim_private_key,
      });
      const w = wire(v);
      return reply.status(201).send({
        ...w,
        domain_id: w.id,
        claim_token: null,
        message: `Publish the records in dns_records_json, then verify: POST /v1/domains/${w.id}/verify`,
      });
    },
  );

  app.get(
    "/v1/domains",
    {
      schema: {
        tags,
        operationId: "listDomains",
        summary: "List domains (admin)",
        description:
          "The installation's domain first (shared by every account), then the account's own, oldest first.",
        response: {
          200: Type.Object({ domains: Type.Array(DomainRef) }, { description: "The domains." }),
          ...errors("INSUFFICIENT_SCOPE"),
        },
      },
    },
    async (req) => ({ domains: (await domainsOf(ctx, principalOf(req))).map(wire) }),
  );

  app.get(
    "/v1/domains/:id",
    {
      schema: {
        tags,
        operationId: "getDomain",
        summary: "Get a domain by id or name (admin)",
        description: "With each record's status as the last check left it (`POST …/verify` checks again).",
        params: DomainParam,
        response: { 200: described(DomainRef, "The domain."), ...errors(...ITEM_ACCESS) },
      },
    },
    async (req) => wire(await domainOf(ctx, principalOf(req), req.params.id)),
  );

  /** The answer of a check: the domain, the first required record that failed and what to do. */
  const verification = async (req: { params: { id: string } } & Parameters<typeof principalOf>[0]) => {
    const v = await verifyDomain(ctx, principalOf(req), req.params.id);
    const w = wire(v);
    const failed = w.dns_records_json.find((r) => r.required && r.status !== "verified");
    return {
      ...w,
      failed_gate: w.verification_status === "verified" ? null : (failed?.purpose ?? null),
      failure_reason:
        w.verification_status === "verified" || !failed
          ? null
          : `${failed.type} ${failed.name}: ${failed.status}` +
            (failed.found.length > 0 ? ` (found ${failed.found.join(", ")})` : ""),
      message:
        w.verification_status === "verified"
          ? `${w.domain_name} is verified`
          : failed?.status === "error"
            ? "a lookup failed; nothing changed: try again"
            : `publish ${failed?.type} ${failed?.name} as dns_records_json shows, then verify again`,
    };
  };

  app.post(
    "/v1/domains/:id/verify",
    {
      schema: {
        tags,
        operationId: "verifyDomain",
        summary: "Check a domain's DNS records now (admin)",
        description:
          "Looks every record up through the configured resolver (POSTBOX_DNS_SERVERS), uncached. `verified` when MX " +
          "and DKIM match; `failed` when one is missing or different; a lookup that fails (timeout, SERVFAIL) leaves " +
          "the status as it was. Only a verified domain receives mail and takes new mailboxes.",
        params: DomainParam,
        response: {
          200: described(DomainVerificationRef, "The domain after the check."),
          ...errors(...ITEM_ACCESS),
        },
      },
    },
    verification,
  );

  app.post(
    "/v1/domains/:id/self-hosted-recheck",
    {
      schema: {
        tags,
        operationId: "recheckDomain",
        summary: "Check a domain again (the seed's recheck; admin)",
        description:
          "The seed's `recheck` (`rly domain recheck`): Postbox carries every domain's mail itself, so a recheck is " +
          "the DNS check of `POST /v1/domains/:id/verify`, with the same answer.",
        params: DomainParam,
        response: {
          200: described(DomainVerificationRef, "The domain after the check."),
          ...errors(...ITEM_ACCESS),
        },
      },
    },
    verification,
  );

  app.get(
    "/v1/domains/:id/zone-file",
    {
      schema: {
        tags,
        operationId: "getDomainZoneFile",
        summary: "A domain's records as a zone file (admin)",
        params: DomainParam,
        response: {
          200: ZoneFile,
          ...errors(...ITEM_ACCESS, "PLATFORM_DOMAIN_NOT_TARGETABLE"),
        },
      },
    },
    async (req, reply) => {
      const text = await domainZoneFile(ctx, principalOf(req), req.params.id);
      return reply.type("text/plain; charset=utf-8").send(text);
    },
  );

  app.patch(
    "/v1/domains/:id/set-default",
    {
      schema: {
        tags,
        operationId: "setDefaultDomain",
        summary: "Make a domain the account's default (admin)",
        description:
          "New mailboxes that name no `domain` go here. The domain must be verified (`409 DOMAIN_NOT_VERIFIED`); the " +
          "installation's domain (its id or name) makes it the default again.",
        params: DomainParam,
        response: {
          200: described(DomainRef, "The new default domain."),
          ...errors(...ITEM_ACCESS, "DOMAIN_NOT_VERIFIED"),
        },
      },
    },
    async (req) => wire(await setDefaultDomain(ctx, principalOf(req), req.params.id)),
  );

  app.delete(
    "/v1/domains/:id",
    {
      schema: {
        tags,
        operationId: "deleteDomain",
        summary: "Delete a custom domain (admin)",
        description:
          "Only a domain without live mailboxes (`409 DOMAIN_IN_USE`); its DKIM key goes with it, and the account's " +
          "default goes back to the installation's domain if it was this one.",
        params: DomainParam,
        response: {
          200: described(DomainDeletedRef, "The deleted domain."),
          ...errors(...ITEM_ACCESS, "DOMAIN_IN_USE", "PLATFORM_DOMAIN_NOT_TARGETABLE"),
        },
      },
    },
    async (req) => {
      const row = await removeDomain(ctx, principalOf(req), req.params.id);
      return { id: row.id, domain_name: row.name, deleted: true as const };
    },
  );
}
