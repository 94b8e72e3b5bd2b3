import { ValidationError } from "@postbox/sdk";
import { useCallback, useState } from "preact/hooks";
import { describeError } from "../api.ts";

/** A failure as lines for a person: every problem the server listed (400/422 `errors`), or its message and code. */
export function problemsOf(err: unknown): string[] {
  if (err instanceof ValidationError && err.fieldErrors.length > 0) return err.fieldErrors;
  return [describeError(err)];
}

/** A form's problems, one per line, announced as they appear; controls point at `id` with aria-describedby. */
export function Problems(props: { id: string; problems: string[] }) {
  if (props.problems.length === 0) return null;
  return (
    <div id={props.id} class="error problems" role="alert">
      <ul>
        {props.problems.map((p, i) => (
          <li key={i}>{p}</li>
        ))}
      </ul>
    </div>
  );
}

/** Saves a form: busy while it runs, the server's problems kept for display, what was done said in words. */
export function useSave(): {
  busy: boolean;
  problems: string[];
  done: string | null;
  run: (fn: () => Promise<string>) => Promise<boolean>;
  fail: (problems: string[]) => void;
} {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(async (fn: () => Promise<string>) => {
    setBusy(true);
    setProblems([]);
    setDone(null);
    try {
      setDone(await fn());
      return true;
    } catch (err) {
      setProblems(problemsOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const fail = useCallback((p: string[]) => {
    setDone(null);
    setProblems(p);
  }, []);
  return { busy, problems, done, run, fail };
}
