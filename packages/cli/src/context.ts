import { readFile } from "node:fs/promises";
import { Postbox } from "@postbox/sdk";
import { CliError, EXIT, UsageError } from "./errors.ts";

/** Where a command writes and what it reads: the process's streams, or a test's. */
export interface Io {
  env: Record<string, string | undefined>;
  stdout: { write(s: string | Uint8Array): unknown };
  stderr: { write(s: string): unknown };
  stdin: AsyncIterable<Buffer | string>;
  /** The client's fetch (tests script the server's answers). */
  fetch?: typeof fetch;
}

export const DEFAULT_URL = "http://127.0.0.1:8025";

/** What a command gets: output in the mode asked for, and the API client. */
export class Context {
  private api: Postbox | undefined;

  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** The SDK client, from POSTBOX_API_KEY and POSTBOX_URL. No key is an authentication error (exit 3). */
  client(): Postbox {
    if (this.api) return this.api;
    const apiKey = this.io.env.POSTBOX_API_KEY;
    if (!apiKey)
      throw new CliError(
        "POSTBOX_API_KEY is not set: export the key printed at first start (or in <data dir>/admin.key)",
        "API_KEY_REQUIRED",
        EXIT.AUTH,
      );
    this.api = new Postbox({
      apiKey,
      baseUrl: this.io.env.POSTBOX_URL || DEFAULT_URL,
      // A command fails fast and says why; `wait` retries its polls itself.
      maxRetries: 0,
      fetch: this.io.fetch,
    });
    return this.api;
  }

  /** Prints a result: `value` as JSON under --json, else the text `human` gives. */
  print(value: unknown, human: () => string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human();
      if (text !== "") this.io.stdout.write(`${text}\n`);
    }
  }

  /** One JSON line (for commands that stream results). */
  line(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A note for a person, on stderr (never under --json). */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** A file's text, or stdin's for "-". */
  async readText(file: string): Promise<string> {
    if (file === "-") {
      const chunks: Buffer[] = [];
      for await (const chunk of this.io.stdin)
        chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      return Buffer.concat(chunks).toString("utf8");
    }
    try {
      return await readFile(file, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
}
