import { useEffect, useState } from "preact/hooks";

/** The page's address lives in the hash (#/reviews, #/messages/<id>): the server serves one file for every page. */
export function currentPath(): string {
  const h = location.hash.replace(/^#/, "");
  return h.startsWith("/") ? h : "/reviews";
}

export function useRoute(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return path;
}

export function navigate(path: string): void {
  location.hash = path;
}

/** Matches "/messages/:id" against a path; returns the decoded parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const [pathOnly] = path.split("?");
  const want = pattern.split("/");
  const got = (pathOnly ?? "").split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      if (!g) return null;
      params[w.slice(1)] = decodeURIComponent(g);
    } else if (w !== g) return null;
  }
  return params;
}

/** The query part of a hash path (#/messages?mailbox=…) as parameters. */
export function queryOf(path: string): URLSearchParams {
  const i = path.indexOf("?");
  return new URLSearchParams(i < 0 ? "" : path.slice(i + 1));
}
