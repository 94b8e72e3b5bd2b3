import assert from "node:assert/strict";
import { WAIT_LIMIT_MS } from "./helpers.ts";

/** Reads a streamed response until its text contains `marker`; fails if the stream ends first (or at the hang guard). */
export async function readUntil(res: Response, marker: string): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => void reader.cancel(), WAIT_LIMIT_MS);
  try {
    while (!text.includes(marker)) {
      const chunk = await reader.read();
      assert.ok(!chunk.done, `the stream ended before ${marker}`);
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(deadline);
    reader.releaseLock();
  }
}

/** Resolves when the server ends a streamed response; fails at the hang guard (a safety net, not a timing claim). */
export async function streamEnds(res: Response): Promise<void> {
  const reader = res.body!.getReader();
  let gaveUp = false;
  const deadline = setTimeout(() => {
    gaveUp = true;
    void reader.cancel();
  }, WAIT_LIMIT_MS);
  try {
    for (;;) if ((await reader.read()).done) break;
  } finally {
    clearTimeout(deadline);
  }
  assert.ok(!gaveUp, `the stream was still open after ${WAIT_LIMIT_MS / 1000} s`);
}
