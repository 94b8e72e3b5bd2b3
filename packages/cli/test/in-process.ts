import { Readable } from "node:stream";
import { run } from "../src/cli.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document. */
  json(): any;
  /** stdout parsed as JSON lines. */
  lines(): any[];
  /** stderr parsed as the --json error record. */
  error(): { error: string; code: string; details: Record<string, unknown> | null };
}

/**
 * Runs a command line through the CLI's own entry (`run`, what bin/postbox.js calls) inside this process: the
 * same parsing, output and exit codes without a process start per command. `fetch` scripts the server in unit
 * tests; e2e tests leave it out and talk to a real `postbox serve`.
 */
export async function cli(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { stdin?: string; fetch?: typeof fetch } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    env,
    stdout: {
      write: (s: string | Uint8Array) => {
        stdout += typeof s === "string" ? s : Buffer.from(s).toString("utf8");
      },
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
      },
    },
    stdin: Readable.from([opts.stdin ?? ""]),
    fetch: opts.fetch,
  });
  const parse = (text: string, what: string) => {
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(
        `${what} of postbox ${args.join(" ")} is not JSON (exit ${code}):\n${text}\nstderr: ${stderr}`,
      );
    }
  };
  return {
    code,
    stdout,
    stderr,
    json: () => parse(stdout, "stdout"),
    lines: () =>
      stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => parse(l, "a line")),
    error: () => parse(stderr, "stderr"),
  };
}
