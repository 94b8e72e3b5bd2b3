import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Postbox } from "@postbox/sdk";
import { createMcpServer } from "./server.ts";

/** Serves MCP over a pair of streams (a process's stdin and stdout) until the input ends. */
export async function serveStdio(api: Postbox, stdin: Readable, stdout: Writable): Promise<void> {
  const server = createMcpServer(api);
  const ended = new Promise<void>((resolve) => {
    stdin.once("end", resolve);
    stdin.once("close", resolve);
  });
  await server.connect(new StdioServerTransport(stdin, stdout));
  await ended;
  await server.close();
}
