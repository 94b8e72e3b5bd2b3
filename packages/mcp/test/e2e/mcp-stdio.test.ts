import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { mcpScenario } from "../scenario.ts";

const BIN = new URL("../../../cli/bin/postbox.js", import.meta.url).pathname;

// `postbox mcp` as an agent runtime starts it: a subprocess speaking MCP on stdin and stdout, configured by
// POSTBOX_API_KEY and POSTBOX_URL, calling the API over HTTP.
mcpScenario(
  "stdio (postbox mcp)",
  async (t, key) => {
    const client = new Client({ name: "postbox-test", version: "1.0.0" });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, "mcp"],
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        POSTBOX_API_KEY: key,
        POSTBOX_URL: t.baseUrl,
      },
      stderr: "inherit",
    });
    await client.connect(transport);
    return client;
  },
  "on every call",
);
