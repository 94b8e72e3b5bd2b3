import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const BIN = new URL("../bin/postbox.js", import.meta.url).pathname;

export interface ServiceProcess {
  child: ChildProcess;
  httpPort: number;
  smtpPort: number;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export async function tempDataDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "postbox-e2e-"));
}

/**
 * Starts `postbox serve` exactly as a user would, on ephemeral ports, and waits for its "listening" log line.
 * `command` runs another start command (`npx postbox serve` in an installed package); it gets its own process
 * group, so that stopping it reaches the server under npx.
 */
export async function startService(
  env: Record<string, string>,
  opts: { command?: string[]; cwd?: string } = {},
): Promise<ServiceProcess> {
  const [file, ...args] = opts.command ?? [process.execPath, BIN, "serve"];
  const group = opts.command !== undefined;
  const child = spawn(file!, args, {
    cwd: opts.cwd,
    detached: group,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      POSTBOX_HTTP_PORT: "0",
      POSTBOX_SMTP_PORT: "0",
      POSTBOX_DOMAIN: "test.local",
      POSTBOX_LOG_LEVEL: "info",
      // Every answer is checked against its route's response schema (api/response-validation.ts).
      POSTBOX_VALIDATE_RESPONSES: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const signal = (name: NodeJS.Signals) => (group ? process.kill(-child.pid!, name) : child.kill(name));
  const svc: ServiceProcess = {
    child,
    httpPort: 0,
    smtpPort: 0,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1))),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) signal("SIGTERM");
      await svc.exited;
    },
    async kill9() {
      signal("SIGKILL");
      await svc.exited;
    },
  };
  child.stdout!.on("data", (d: Buffer) => {
    svc.stdout += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    // Readiness is the "listening" line, however long a loaded machine takes to print it. Only a service that
    // never gets there is killed — a hang guard, not a start-up deadline — so a live child cannot keep the run open.
    const timer = setTimeout(() => {
      signal("SIGKILL");
      reject(new Error(`service did not start within 5 min:\nstdout: ${svc.stdout}\nstderr: ${svc.stderr}`));
    }, 300_000);
    child.stderr!.on("data", (d: Buffer) => {
      svc.stderr += d.toString();
      for (const line of svc.stderr.split("\n")) {
        if (!line.includes('"msg":"listening"')) continue;
        const info = JSON.parse(line) as { http_port: number | null; smtp_port: number | null };
        svc.httpPort = info.http_port ?? 0;
        svc.smtpPort = info.smtp_port ?? 0;
        clearTimeout(timer);
        resolve();
      }
    });
    void svc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited (${code}) before listening:\n${svc.stderr}`));
    });
  });
  return svc;
}

export async function adminKeyOf(dataDir: string): Promise<string> {
  return (await readFile(path.join(dataDir, "admin.key"), "utf8")).trim();
}

/** Runs the CLI with arguments and returns its output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdin.end(stdin ?? "");
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
