import { AppError } from "../../domain/errors.ts";
import { requireRole } from "../../domain/principal.ts";
import { dkimDnsRecord } from "../../outbound/dkim-key.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

/** What the operator publishes in DNS so receivers can verify our signatures. */
export function dkimRoutes(app: Api, ctx: RouteContext) {
  app.get(
    "/v1/dkim",
    {
      schema: {
        tags: ["domain"],
        summary: "The DKIM record to publish for outbound mail (admin)",
        description:
          "Outbound mail is signed (relaxed/relaxed) with the installation's key — created on first use unless " +
          "POSTBOX_DKIM_KEY_FILE names one. Publish `value` as a TXT record at `name`. `409 DKIM_DISABLED` when " +
          "POSTBOX_DKIM_SIGN=0.",
      },
    },
    async (req) => {
      requireRole(principalOf(req), "admin");
      const key = await ctx.dkim();
      if (!key)
        throw new AppError(409, "DKIM_DISABLED", "outbound DKIM signing is off (POSTBOX_DKIM_SIGN=0)");
      return { domain: key.domain, selector: key.selector, ...dkimDnsRecord(key) };
    },
  );
}
