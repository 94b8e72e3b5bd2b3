import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Postbox } from "@postbox/sdk";
import { createMcpServer } from "./server.ts";

/**
 * Answers one Streamable HTTP request (stateless: no session, JSON answers). Each request gets a server of its own
 * bound to the caller's client, so nothing of one caller is ever reachable from another's request.
 */
export async function handleMcpRequest(
  request: Request,
  api: Postbox,
  opts: { parsedBody?: unknown } = {},
): Promise<Response> {
  const server = createMcpServer(api);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { parsedBody: opts.parsedBody });
  } finally {
    await server.close();
  }
}
