export { handleMcpRequest } from "./http.ts";
export { INSTRUCTIONS, UNTRUSTED_WARNING } from "./instructions.ts";
export { createMcpServer, VERSION } from "./server.ts";
export { serveStdio } from "./stdio.ts";
export { MAX_WAIT_SECONDS, TOOL_NAMES } from "./tools.ts";
