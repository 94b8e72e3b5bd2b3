import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { PostboxError, RateLimitError, ValidationError } from "@postbox/sdk";

/** A tool's answer: the object as structuredContent, and as text (a summary line, then the JSON) for older clients. */
export function ok(summary: string, structured: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: "text", text: `${summary}\n\n${JSON.stringify(structured, null, 2)}` }],
    structuredContent: structured,
  };
}

/** A refusal as a tool error: the API's code, its message and what the agent should do about it. */
export function refused(
  code: string,
  message: string,
  extra: {
    status?: number | null;
    agent_instructions?: string[];
    field_errors?: string[];
    retry_after_seconds?: number | null;
    details?: Record<string, unknown>;
  } = {},
): CallToolResult {
  const error = { code, message, ...extra };
  const lines = [`Error ${code}: ${message}`];
  for (const f of extra.field_errors ?? []) lines.push(`- ${f}`);
  if (extra.agent_instructions?.length)
    lines.push("What to do:", ...extra.agent_instructions.map((i) => `- ${i}`));
  return {
    isError: true,
    content: [{ type: "text", text: lines.join("\n") }],
    structuredContent: { error },
  };
}

/** Maps what a tool threw to a tool error; the API's refusals keep their code and agent_instructions. */
export function errorResult(err: unknown): CallToolResult {
  if (err instanceof PostboxError) {
    // `errors` repeats the field errors given on their own.
    const {
      agent_instructions,
      errors: _,
      ...details
    } = (err.details ?? {}) as {
      agent_instructions?: unknown;
      errors?: unknown;
    };
    return refused(err.code, err.message, {
      status: err.status,
      ...(Array.isArray(agent_instructions) ? { agent_instructions: agent_instructions.map(String) } : {}),
      ...(err instanceof ValidationError && err.fieldErrors.length > 0
        ? { field_errors: err.fieldErrors }
        : {}),
      ...(err instanceof RateLimitError ? { retry_after_seconds: err.retryAfter } : {}),
      ...(Object.keys(details).length > 0 ? { details } : {}),
    });
  }
  return refused("INTERNAL_ERROR", `the tool failed: ${err instanceof Error ? err.message : String(err)}`);
}
