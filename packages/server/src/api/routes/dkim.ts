import { dkimRecord } from "../../outbound/dkim/record.ts";
import { DkimRecord, errors } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

/** What the operator publishes in DNS so receivers can verify our signatures. */
export function dkimRoutes(app: Api, ctx: RouteContext) {
  app.get(
    "/v1/dkim",
    {
      schema: {
        tags: ["domain"],
        operationId: "getDkimRecord",
        summary: "The DKIM record to publish for outbound mail (admin)",
        description:
          "Outbound mail is signed (relaxed/relaxed) with the installation's key — created on first use unless " +
          "POSTBOX_DKIM_KEY_FILE names one. Publish `value` as a TXT record at `name`. `409 DKIM_DISABLED` when " +
          "POSTBOX_DKIM_SIGN=0.",
        response: { 200: DkimRecord, ...errors("INSUFFICIENT_SCOPE", "DKIM_DISABLED") },
      },
    },
    async (req) => dkimRecord(ctx, principalOf(req)),
  );
}
