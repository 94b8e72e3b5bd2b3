import { handleMcpRequest, TOOL_NAMES } from "@postbox/mcp";
import { Postbox } from "@postbox/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type TSchema, Type } from "typebox";
import type { ErrorCode } from "../error-catalog.ts";
import { type Inject, inProcessFetch } from "../in-process-fetch.ts";
import { errors, errorsAt, withExamples } from "../schemas/index.ts";
import type { Api } from "../server.ts";

/** One JSON-RPC 2.0 message (or a batch, which older protocol versions allow); the MCP SDK checks the rest. */
const JsonRpcMessage = Type.Object(
  { jsonrpc: Type.Literal("2.0"), method: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: true },
);
const McpBody = withExamples(Type.Union([JsonRpcMessage, Type.Array(JsonRpcMessage, { maxItems: 100 })]), {
  jsonrpc: "2.0",
  id: 1,
  method: "tools/list",
});

const JsonRpcAnswer: TSchema = {
  description:
    "The JSON-RPC answer (`Content-Type: application/json`): a `result`, or an `error` object for a failed " +
    "JSON-RPC request. A tool that the API refused answers a result with `isError: true`.",
  content: {
    "application/json": {
      schema: {
        type: ["object", "array"],
        examples: [{ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "list_mailboxes" }] } }],
      },
    },
  },
} as unknown as TSchema;

/** The MCP SDK's refusals of a request it could not take, in this API's error envelope. */
const REFUSALS: Record<number, { code: ErrorCode; status: number; hint: string }> = {
  406: {
    code: "MCP_NOT_ACCEPTABLE",
    status: 406,
    hint: "send Accept: application/json, text/event-stream (MCP clients do)",
  },
  415: {
    code: "UNSUPPORTED_MEDIA_TYPE",
    status: 415,
    hint: "send the JSON-RPC message with Content-Type: application/json",
  },
};

/**
 * The MCP server for agents, Streamable HTTP at /v1/mcp (docs/mcp.md): stateless, JSON answers. The tools are
 * @postbox/mcp's, run on an SDK client whose requests `inject` answers in process with the caller's own
 * Authorization header — every tool goes through the routes and access checks any other client goes through.
 */
export function mcpRoutes(app: Api, inject: Inject) {
  const tags = ["mcp"];
  app.post(
    "/v1/mcp",
    {
      // Its answers are the MCP SDK's JSON-RPC (202 has no body): only its error envelope is checked.
      config: { relayed: true },
      schema: {
        tags,
        operationId: "mcp",
        summary: "MCP server for agents (Streamable HTTP)",
        description:
          "The Model Context Protocol over Streamable HTTP, stateless: each POST carries one JSON-RPC message " +
          "(initialize, tools/list, tools/call …) with `Accept: application/json, text/event-stream` and answers " +
          "it as JSON; notifications answer `202` without a body. No session (`Mcp-Session-Id`) is kept, and " +
          "`GET` and `DELETE` answer `405 METHOD_NOT_ALLOWED` (no server-initiated stream). The tools act with " +
          "the calling key through this API's own routes: an agent key reaches only its mailboxes. Tools: " +
          `${TOOL_NAMES.map((t) => `\`${t}\``).join(", ")} (docs/mcp.md). None approves, releases, blocks, changes ` +
          "policy or touches keys.",
        body: McpBody,
        response: {
          200: JsonRpcAnswer,
          ...errors("MCP_INVALID_MESSAGE", "MCP_NOT_ACCEPTABLE", "UNSUPPORTED_MEDIA_TYPE"),
        },
      },
    },
    async (req, reply) => {
      const api = new Postbox({
        // The key is the caller's Authorization header, which inProcessFetch puts on every request.
        apiKey: "caller",
        baseUrl: "http://postbox.in-process",
        maxRetries: 0,
        fetch: inProcessFetch(inject, req.headers.authorization ?? ""),
      });
      const res = await handleMcpRequest(webRequest(req), api, { parsedBody: req.body });
      return relay(res, reply);
    },
  );
  for (const method of ["GET", "DELETE"] as const)
    app.route({
      method,
      url: "/v1/mcp",
      schema: { hide: true, response: errorsAt(405, "METHOD_NOT_ALLOWED") },
      handler: async (_req, reply) =>
        reply
          .status(405)
          .header("allow", "POST")
          .send({
            error: `${method} /v1/mcp is not offered: the MCP endpoint is stateless (no session, no server stream); POST JSON-RPC messages`,
            code: "METHOD_NOT_ALLOWED",
          }),
    });
}

/** The request as the MCP SDK's web-standard transport reads it (the body is already parsed). */
function webRequest(req: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    for (const v of [value].flat()) if (v !== undefined) headers.append(name, v);
  return new Request(`http://${req.host}${req.url}`, { method: req.method, headers });
}

/** Sends the transport's answer; a request it refused gets this API's error envelope with a code. */
async function relay(res: Response, reply: FastifyReply) {
  const text = await res.text();
  if (res.status < 400) {
    void reply.status(res.status);
    const type = res.headers.get("content-type");
    if (type) void reply.header("content-type", type);
    return reply.send(text === "" ? undefined : text);
  }
  let rpc: { code?: number; message?: string } | undefined;
  try {
    rpc = (JSON.parse(text) as { error?: { code?: number; message?: string } }).error;
  } catch {}
  const refusal = REFUSALS[res.status] ?? {
    code: "MCP_INVALID_MESSAGE",
    status: 400,
    hint: "send one JSON-RPC 2.0 message an MCP server understands",
  };
  return reply.status(refusal.status).send({
    error: `${rpc?.message ?? "the MCP request was refused"}: ${refusal.hint}`,
    code: refusal.code,
    details: { jsonrpc_error: rpc ?? null },
  });
}
