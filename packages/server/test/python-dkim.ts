import { execFileSync } from "node:child_process";

/** Debian's python3-dkim (dkimpy): an implementation independent of ours, for interop tests. */
export const PYTHON = "/usr/bin/python3";

const hasDkimpy = (() => {
  try {
    execFileSync(PYTHON, ["-c", "import dkim"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

// CI installs python3-dkim; on a laptop without it the interop cases are skipped rather than failed.
export const skipPython: string | false =
  !hasDkimpy && !process.env.CI ? "python3-dkim is not installed (apt-get install python3-dkim)" : false;
