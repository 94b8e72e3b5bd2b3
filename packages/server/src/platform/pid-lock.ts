import { open, readFile, rm } from "node:fs/promises";
import { ConfigError } from "./config.ts";

/**
 * One process per embedded database: PGlite would corrupt a data directory opened twice. The lock is a file
 * holding our pid; one left by a dead process (kill -9) is taken over.
 */
export async function lockDataDir(file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, "wx", 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new ConfigError(
          `POSTBOX_DATA_DIR: the embedded database in ${file.replace(/\/[^/]+$/, "")} is in use by process ${pid}; ` +
            "stop it, or use PostgreSQL (DATABASE_URL) to run several processes",
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new ConfigError(`POSTBOX_DATA_DIR: could not take the lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
