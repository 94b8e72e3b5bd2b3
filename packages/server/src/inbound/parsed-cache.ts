import type { ParsedMessage } from "./parse.ts";

/**
 * Messages the SMTP session already parsed for its policy decision, by raw SHA-256, so that the processor of
 * the same process does not parse them a second time. Bounded; a miss just means parsing again.
 */
export interface ParsedCache {
  put(rawSha256: string, parsed: ParsedMessage): void;
  get(rawSha256: string): ParsedMessage | undefined;
}

export function createParsedCache(max = 500): ParsedCache {
  const entries = new Map<string, ParsedMessage>();
  return {
    put(key, parsed) {
      entries.delete(key);
      entries.set(key, parsed);
      // Map iteration order is insertion order: the first key is the oldest.
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    get: (key) => entries.get(key),
  };
}
