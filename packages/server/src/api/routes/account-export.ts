import { Type } from "typebox";
import { accountExport, jsonDocument, zipArchive } from "../../governance/export.ts";
import { AccountExport, errors } from "../schemas/index.ts";
import { type Api, principalOf, type RouteContext } from "../server.ts";

/** The seed's data-portability export (`GET /v1/accounts/export`, admin keys), streamed as zip or JSON. */
export function accountExportRoutes(app: Api, ctx: RouteContext) {
  app.get(
    "/v1/accounts/export",
    {
      schema: {
        tags: ["accounts"],
        operationId: "exportAccount",
        summary: "Export the account: mailboxes, every message byte for byte, audit logs (admin)",
        description:
          "Streamed, never assembled in memory. `format=zip`: account.json, legal-holds.json, mailboxes.json and " +
          "per mailbox `mailboxes/<name>/messages/<id>.eml` (the exact stored bytes), `<id>.json` and " +
          "`audit-log.jsonl`. `format=json`: one document `{format, exported_at, account, legal_holds, mailboxes, " +
          "messages: [{…, raw_base64}], audit_log}`. Without `format`, `Accept: application/zip` picks zip and " +
          "anything else JSON (what the seed's CLI reads).",
        querystring: Type.Object({
          format: Type.Optional(Type.Union([Type.Literal("zip"), Type.Literal("json")])),
        }),
        response: { 200: AccountExport, ...errors("INSUFFICIENT_SCOPE") },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const items = await accountExport(ctx, p);
      const zip =
        (req.query.format ?? (/application\/zip/i.test(req.headers.accept ?? "") ? "zip" : "json")) === "zip";
      const name = `postbox-export-${p.accountId}-${ctx.clock.now().toISOString().slice(0, 10)}`;
      return reply
        .type(zip ? "application/zip" : "application/json; charset=utf-8")
        .header("content-disposition", `attachment; filename="${name}.${zip ? "zip" : "json"}"`)
        .send(zip ? zipArchive(items) : jsonDocument(items));
    },
  );
}
