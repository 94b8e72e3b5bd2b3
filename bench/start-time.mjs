#!/usr/bin/env node
// Cold start: the time from spawning `postbox serve` to its first 200 on /v1/health, on a fresh data directory
// (first start: migrations, admin key) and again on the same directory (restart). Plain JavaScript, so that it
// runs against an installed package as well as a clone.
//
//   node bench/start-time.mjs [--runs N] -- <command that starts postbox serve...>
//   node bench/start-time.mjs -- npx postbox serve          (in a folder where the package is installed)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const sep = args.indexOf("--");
const command = sep >= 0 ? args.slice(sep + 1) : ["node", "packages/cli/bin/postbox.js", "serve"];
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 && runsAt < sep ? Number(args[runsAt + 1]) : 3;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) the process has used so far, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Milliseconds from spawn to the first 200 on /v1/health, and the CPU seconds the process used to get there. */
async function startOnce(dataDir) {
  const [httpPort, smtpPort] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(command[0], command.slice(1), {
    env: {
      ...process.env,
      POSTBOX_DATA_DIR: dataDir,
      POSTBOX_HTTP_PORT: String(httpPort),
      POSTBOX_SMTP_PORT: String(smtpPort),
      POSTBOX_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  try {
    for (;;) {
      if (exited) throw new Error(`${command.join(" ")} exited before answering`);
      const ok = await fetch(`http://127.0.0.1:${httpPort}/v1/health`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return { ms: performance.now() - started, cpu: cpuSeconds(child.pid) };
      // A benchmark's poll, not a test's wait: 10 ms is the resolution of the figure.
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const first = [];
const restart = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "postbox-start-"));
  try {
    first.push(await startOnce(dir));
    restart.push(await startOnce(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const fmt = (rs) => {
  const ms = rs.map((r) => r.ms);
  const cpu = rs.map((r) => r.cpu ?? Number.NaN);
  return `median ${Math.round(median(ms))} ms (${ms.map(Math.round).join(", ")}), CPU ${median(cpu).toFixed(2)} s (${cpu.map((c) => c.toFixed(2)).join(", ")})`;
};
console.log(`command: ${command.join(" ")}`);
console.log(`first start (empty data dir): ${fmt(first)}`);
console.log(`restart (same data dir):      ${fmt(restart)}`);
