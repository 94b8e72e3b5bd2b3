import vm from "node:vm";

/**
 * Content-guard patterns: ECMAScript syntax, plus a leading inline-flag group such as "(?i)" (or "(?is)"),
 * which JavaScript itself does not accept at the start of a pattern; it becomes the RegExp's flags.
 */
export function compileGuard(source: string): RegExp {
  const m = /^\(\?([imsu]+)\)/.exec(source);
  const flags = m ? [...new Set(m[1]!.split(""))].join("") : "";
  return new RegExp(m ? source.slice(m[0].length) : source, flags);
}

export function isValidGuard(source: string): boolean {
  try {
    compileGuard(source);
    return true;
  } catch {
    return false;
  }
}

export type GuardResult = { matched: number | null } | { timedOut: true };

const context = vm.createContext({ guards: [] as RegExp[], body: "", bodies: [] as string[] });
const script = new vm.Script(
  "(() => { for (let i = 0; i < guards.length; i++) if (guards[i].test(body)) return i; return null; })()",
);
const batchScript = new vm.Script(
  `bodies.map((b) => { for (let i = 0; i < guards.length; i++) if (guards[i].test(b)) return i; return null; })`,
);

/**
 * Runs all guards against a body under one hard time limit: V8 interrupts a catastrophically backtracking
 * pattern when the limit passes, so a hostile pattern cannot stall ingestion. One watchdog per message,
 * not per pattern.
 */
export function firstMatchingGuard(guards: RegExp[], body: string, timeoutMs = 100): GuardResult {
  context.guards = guards;
  context.body = body;
  try {
    // The watchdog counts wall time: on a loaded machine a descheduled run can pass the limit while using little
    // CPU. Such a run is tried again (twice at most); a pattern that really backtracks burns its budget and fails.
    for (let attempt = 0; ; attempt++) {
      const cpuBefore = process.cpuUsage();
      try {
        return { matched: script.runInContext(context, { timeout: timeoutMs }) as number | null };
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_SCRIPT_EXECUTION_TIMEOUT") throw err;
        const cpuMs = process.cpuUsage(cpuBefore).user / 1000;
        if (attempt >= 2 || cpuMs >= timeoutMs / 2) return { timedOut: true };
      }
    }
  } finally {
    context.guards = [];
    context.body = "";
  }
}

/**
 * The same for several bodies under one watchdog (starting one costs about as much as a dozen guard runs): the
 * batch gets the sum of their time limits; if it runs out, each body is tried alone to find the culprit.
 */
export function firstMatchingGuardEach(guards: RegExp[], bodies: string[], timeoutMs = 100): GuardResult[] {
  if (bodies.length <= 1) return bodies.map((b) => firstMatchingGuard(guards, b, timeoutMs));
  context.guards = guards;
  context.bodies = bodies;
  try {
    const matched = batchScript.runInContext(context, { timeout: timeoutMs * bodies.length }) as (
      | number
      | null
    )[];
    return matched.map((m) => ({ matched: m }));
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_SCRIPT_EXECUTION_TIMEOUT") throw err;
    return bodies.map((b) => firstMatchingGuard(guards, b, timeoutMs));
  } finally {
    context.guards = [];
    context.bodies = [];
  }
}
