import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../platform/logger.ts";
import { sharedSchemas } from "./schemas/index.ts";

/**
 * The response contract, enforced in tests (POSTBOX_VALIDATE_RESPONSES=1; test/helpers.ts and the CLI e2e process
 * helper set it): every answer of a route must match the schema the route declares for its status. An answer that
 * does not — a missing field, a wrong type, an error code the status does not list, or a status the route declares
 * no schema for — is logged and replaced by a 500 RESPONSE_SCHEMA_VIOLATION, so the test that caused it fails.
 */
export function createResponseValidator(logger: Logger) {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false, useDefaults: false });
  addFormats.default(ajv);
  for (const s of sharedSchemas()) ajv.addSchema(s);
  const compiled = new WeakMap<object, ValidateFunction>();
  const validatorOf = (schema: object) => {
    let v = compiled.get(schema);
    if (!v) {
      v = ajv.compile(schema);
      compiled.set(schema, v);
    }
    return v;
  };

  return async function validateResponse(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    // Only answers of a route: the not-found handler and the HTTP parser's refusals have none.
    if (!req.routeOptions.url || req.routeOptions.config?.page) return payload;
    const status = reply.statusCode;
    if (req.routeOptions.config?.relayed && status < 400) return payload;
    const problems = check(req, status, String(reply.getHeader("content-type") ?? ""), payload);
    if (problems === null) return payload;
    logger.error("response does not match its schema", {
      method: req.method,
      url: req.url,
      route: req.routeOptions.url,
      status,
      problems,
    });
    void reply.status(500).header("content-type", "application/json; charset=utf-8");
    return JSON.stringify({
      error: `${req.method} ${req.routeOptions.url} answered ${status} with a body its schema does not describe: ${problems.join("; ")}`,
      code: "RESPONSE_SCHEMA_VIOLATION",
      details: { status, problems, body: bodyPreview(payload) },
    });
  };

  function check(
    req: FastifyRequest,
    status: number,
    contentType: string,
    payload: unknown,
  ): string[] | null {
    const responses = req.routeOptions.schema?.response as Record<string, unknown> | undefined;
    if (!responses) return ["the route declares no response schemas"];
    const entry = (responses[String(status)] ??
      responses[`${String(status)[0]}XX`] ??
      responses[`${String(status)[0]}xx`] ??
      responses.default) as Record<string, unknown> | undefined;
    if (!entry) return [`no schema is declared for status ${status}`];
    // No Content: nothing to check but that the route declares it.
    if (status === 204) return null;
    const media = contentType.split(";")[0]!.trim().toLowerCase();
    let schema: object = entry;
    const content = entry.content as Record<string, { schema: object }> | undefined;
    if (content) {
      const declared = content[media];
      if (!declared) return [`status ${status} is not declared with Content-Type ${media || "(none)"}`];
      schema = declared.schema;
    }
    // A streamed answer (an export) cannot be read here without consuming it: its media type is what is checked.
    if (media !== "application/json" || isStream(payload)) {
      return content
        ? null
        : [`status ${status} is declared as JSON, but the answer is ${media || "(no type)"}`];
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(payload) ? payload.toString("utf8") : String(payload));
    } catch {
      return ["the body is not JSON"];
    }
    const validate = validatorOf(schema);
    if (validate(body)) return null;
    return (validate.errors ?? []).map(
      (e) =>
        `${e.instancePath || "(body)"} ${e.message ?? "is invalid"}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
    );
  }
}

function isStream(payload: unknown): boolean {
  return typeof (payload as { pipe?: unknown } | null)?.pipe === "function";
}

function bodyPreview(payload: unknown): string {
  const text = Buffer.isBuffer(payload)
    ? payload.toString("utf8")
    : typeof payload === "string"
      ? payload
      : "";
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
