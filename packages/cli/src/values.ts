import type { Page } from "@postbox/sdk";
import type { OptionSpec } from "./command.ts";
import type { Context } from "./context.ts";
import { UsageError } from "./errors.ts";

/** An integer option within bounds; `undefined` when not given. */
export function int(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A number option within bounds (min excluded when `openMin`). */
export function num(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  openMin = false,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (openMin ? n <= min : n < min) || n > max)
    throw new UsageError(`--${name} must be a number in ${openMin ? "(" : "["}${min}, ${max}]`);
  return n;
}

/** An option whose value is one of a fixed set. */
export function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** Comma-separated values, from one or more occurrences of an option: `--events a,b --events c`. */
export function csv(values: string[] | string | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const all = (Array.isArray(values) ? values : [values]).flatMap((v) => v.split(",")).map((v) => v.trim());
  return all.filter(Boolean);
}

/** The options of a cursor-paged list. */
export const PAGE_OPTIONS = {
  limit: { type: "string", value: "n", help: "items per page (server default when omitted)" },
  cursor: { type: "string", value: "cursor", help: "continue after a previous page (its cursor)" },
  all: { type: "boolean", help: "follow every page to the end" },
} as const satisfies Record<string, OptionSpec>;

/**
 * Lists one page, or every page with --all. Under --json prints `{data, has_more, cursor}`; a person gets the
 * rows and, when there is more, the cursor to continue from.
 */
export async function printPage<T>(
  ctx: Context,
  opts: { limit?: string; cursor?: string; all?: boolean },
  maxLimit: number,
  fetchPage: (q: { limit?: number; cursor?: string }) => Promise<Page<T>>,
  rows: (items: T[]) => string,
  empty = "none",
): Promise<void> {
  const limit = int(opts.limit, "limit", 1, maxLimit);
  const data: T[] = [];
  let page = await fetchPage({ limit, cursor: opts.cursor });
  data.push(...page.data);
  while (opts.all && page.hasMore && page.cursor) {
    page = await fetchPage({ limit, cursor: page.cursor });
    data.push(...page.data);
  }
  const cursor = page.hasMore ? page.cursor : null;
  ctx.print({ data, has_more: page.hasMore, cursor }, () => {
    const body = data.length > 0 ? rows(data) : empty;
    return cursor ? `${body}\n(more: --cursor ${cursor})` : body;
  });
}

/** Text columns, each as wide as its widest cell (the last one is not padded). */
export function table(rows: (string | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => c ?? "-"));
  const widths: number[] = [];
  for (const r of cells) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "))
    .join("\n");
}

/** A timestamp shortened for a table: `2026-11-27 10:04:05`. */
export const when = (iso: string | null | undefined): string =>
  iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "-";

/** The body of a send, reply or draft: --body, or --body-file (a path or - for stdin). */
export async function bodyOf(
  ctx: Context,
  values: { body?: string; "body-file"?: string },
): Promise<string | undefined> {
  if (values.body !== undefined && values["body-file"] !== undefined)
    throw new UsageError("give --body or --body-file, not both");
  if (values["body-file"] !== undefined) return ctx.readText(values["body-file"]);
  return values.body;
}

export const BODY_OPTIONS = {
  body: { type: "string", value: "text", help: "the text body" },
  "body-file": { type: "string", value: "path or -", help: "read the text body from a file, or stdin for -" },
  html: { type: "string", value: "html", help: "an HTML alternative" },
} as const satisfies Record<string, OptionSpec>;
