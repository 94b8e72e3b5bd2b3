import { readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Postbox } from "@postbox/sdk";
import { INSTRUCTIONS } from "./instructions.ts";
import { registerTools } from "./tools.ts";

export const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * An MCP server whose tools call the Postbox API through `api`: the same routes, use-cases and access checks as
 * every other client, with the caller's key (an agent key's mailbox binding holds on every tool).
 */
export function createMcpServer(api: Postbox): McpServer {
  const server = new McpServer(
    { name: "postbox", title: "Postbox", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { tools: {} } },
  );
  registerTools(server, api);
  return server;
}
