import { Readable, Writable } from "node:stream";
import { command } from "../command.ts";
import { UsageError } from "../errors.ts";

export const mcpCommand = command({
  path: "mcp",
  summary: "serve the Postbox tools to an agent over MCP (stdio)",
  help: [
    "Speaks the Model Context Protocol on stdin and stdout, for a local agent runtime (Claude Desktop, an IDE, an",
    "agent framework) that starts it as a subprocess. The tools call the API at POSTBOX_URL with POSTBOX_API_KEY,",
    "so they do what that key may do: give the agent an agent key bound to its mailboxes. Nothing but MCP messages",
    "is written to stdout; it exits when stdin closes. The tools and their setup: docs/mcp.md.",
    "",
    "Example configuration (Claude Desktop's claude_desktop_config.json):",
    '  {"mcpServers": {"postbox": {"command": "npx", "args": ["postbox", "mcp"],',
    '    "env": {"POSTBOX_API_KEY": "pb_...", "POSTBOX_URL": "http://127.0.0.1:8025"}}}}',
  ].join("\n"),
  run: async (ctx) => {
    const { stdin, stdout } = ctx.io;
    if (!(stdin instanceof Readable) || !(stdout instanceof Writable))
      throw new UsageError("postbox mcp speaks over the process's stdin and stdout");
    const api = ctx.client();
    const { serveStdio } = await import("@postbox/mcp");
    await serveStdio(api, stdin, stdout);
    return 0;
  },
});
