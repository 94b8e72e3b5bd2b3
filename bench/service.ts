import { rm } from "node:fs/promises";
import { adminKeyOf, type ServiceProcess, startService, tempDataDir } from "../packages/cli/test/process.ts";
import { schemaUrl } from "../packages/cli/test/schema.ts";

export interface BenchService {
  svc: ServiceProcess;
  key: string;
  baseUrl: string;
  label: string;
  /** The PostgreSQL URL (with its schema) the service uses, or null on PGlite. */
  databaseUrl: string | null;
  stop(): Promise<void>;
}

/** A fresh service process on a fresh data dir (and a fresh schema on PostgreSQL). */
export async function startBenchService(
  databaseUrl: string | null,
  env: Record<string, string> = {},
): Promise<BenchService> {
  const dataDir = await tempDataDir();
  const schema = databaseUrl ? await schemaUrl(databaseUrl) : null;
  const svc = await startService({
    POSTBOX_DATA_DIR: dataDir,
    ...(schema ? { DATABASE_URL: schema.url } : {}),
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "4",
    // The load comes from one address; real traffic comes from many (the per-address cap would refuse it).
    POSTBOX_SMTP_MAX_CONNECTIONS_PER_IP: "1000",
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    ...env,
  });
  return {
    svc,
    key: await adminKeyOf(dataDir),
    baseUrl: `http://127.0.0.1:${svc.httpPort}`,
    label: databaseUrl ? "PostgreSQL" : "PGlite",
    databaseUrl: schema?.url ?? null,
    async stop() {
      await svc.stop();
      await schema?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function rssOf(pid: number | undefined): Promise<number | null> {
  return import("node:fs/promises")
    .then((fs) => fs.readFile(`/proc/${pid}/status`, "utf8"))
    .then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? Number.NaN) / 1024)
    .catch(() => null);
}
