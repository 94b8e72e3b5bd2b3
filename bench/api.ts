import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Postbox } from "../packages/sdk/src/index.ts";
import { startBenchService } from "./service.ts";

const exec = promisify(execFile);

/** Requests per second with wrk (apt-get install wrk): a cached route and an authenticated read. */
export async function benchApi(opts: { databaseUrl: string | null }) {
  try {
    await exec("wrk", ["--version"]).catch((e) => {
      if (e.code === "ENOENT") throw e;
    });
  } catch {
    console.log("api: skipped — wrk is not installed (apt-get install wrk)");
    return;
  }
  const b = await startBenchService(opts.databaseUrl);
  try {
    const pb = new Postbox({ apiKey: b.key, baseUrl: b.baseUrl });
    const mb = await pb.mailboxes.create({ name: "api-bench" });
    const run = async (label: string, path: string, auth: boolean) => {
      const args = [
        "-t2",
        "-c64",
        "-d10s",
        ...(auth ? ["-H", `Authorization: Bearer ${b.key}`] : []),
        `${b.baseUrl}${path}`,
      ];
      const { stdout } = await exec("wrk", args);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1];
      const lat = /Latency\s+(\S+)/.exec(stdout)?.[1];
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? "0";
      console.log(
        `api [${b.label}] ${label}: ${Number(rps).toFixed(0)} req/s, mean latency ${lat}, non-2xx ${non2xx} (wrk -t2 -c64 -d10s)`,
      );
    };
    await run("GET /v1/health (cached)", "/v1/health", false);
    await run("GET /v1/mailboxes/:id (auth cached, one query)", `/v1/mailboxes/${mb.id}`, true);
  } finally {
    await b.stop();
  }
}
