import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/**
 * Reads `{"id", "text"}` lines from a file (or stdin for "-") and writes one JSON line per input line. A line
 * that is not such an object gets `{"line", "error"}` and the run goes on; returns the number of such lines.
 */
export async function mapJsonl(
  file: string,
  fn: (id: unknown, text: string) => unknown | Promise<unknown>,
): Promise<number> {
  const input = file === "-" ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  let bad = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let out: unknown;
    try {
      const row = JSON.parse(line) as { id?: unknown; text?: unknown };
      if (typeof row !== "object" || row === null || typeof row.text !== "string")
        throw new Error('expected an object with a string "text"');
      out = await fn(row.id ?? null, row.text);
    } catch (err) {
      bad++;
      out = { line: n, error: `line ${n}: ${(err as Error).message}` };
    }
    if (!process.stdout.write(`${JSON.stringify(out)}\n`))
      await new Promise((resolve) => process.stdout.once("drain", resolve));
  }
  return bad;
}
