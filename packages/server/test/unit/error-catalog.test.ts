import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { ERROR_CATALOG, type ErrorCode, type ErrorSpec } from "../../src/api/error-catalog.ts";
import { HTTP_STATUS } from "../../src/api/http-status.ts";
import type { Refusal } from "../../src/domain/errors.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

async function sources(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith(".ts"))
      out.push({ file: path.relative(SRC, p), text: await readFile(p, "utf8") });
  }
  return out;
}

const CODE = /"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})"/g;

/**
 * Every code the service can answer, found the way a reader would grep for them: the code argument of each
 * `new AppError(kind, …)` (a literal, or every literal of a computed one), `forbidden("CODE", …)`, and the
 * `code: "…"` answers api/server.ts writes itself; `notFound` and `validation` are NOT_FOUND and VALIDATION_ERROR.
 */
async function thrownCodes(): Promise<{ code: string; refusal: string | null; file: string }[]> {
  const found: { code: string; refusal: string | null; file: string }[] = [];
  for (const { file, text } of await sources(SRC)) {
    for (const m of text.matchAll(/new AppError\(\s*("([a-z_]+)"|[^,]+),\s*([^,]+),/g)) {
      const refusal = m[2] ?? null;
      const arg = m[3]!.trim();
      if (arg.startsWith('"')) {
        for (const c of arg.matchAll(CODE)) found.push({ code: c[1]!, refusal, file });
      } else {
        // A computed code (a ternary, a variable): every code-like literal of the expression, or of the file.
        // (A variable's literals may be thrown as another refusal elsewhere in the file: no status check for them.)
        const literals = [...arg.matchAll(CODE)];
        if (literals.length > 0) for (const c of literals) found.push({ code: c[1]!, refusal, file });
        else
          for (const c of text.matchAll(CODE))
            if (c[1]!.includes("_")) found.push({ code: c[1]!, refusal: null, file });
      }
    }
    for (const m of text.matchAll(/\bforbidden\(\s*"([A-Z0-9_]+)"/g))
      found.push({ code: m[1]!, refusal: "forbidden", file });
    if (/\bnotFound\(/.test(text)) found.push({ code: "NOT_FOUND", refusal: "not_found", file });
    if (/\bvalidation\(/.test(text)) found.push({ code: "VALIDATION_ERROR", refusal: "invalid", file });
    if (file.startsWith("api/")) {
      for (const m of text.matchAll(/\bcode: "([A-Z][A-Z0-9_]+)"/g))
        found.push({ code: m[1]!, refusal: null, file });
      for (const m of text.matchAll(/return "([A-Z][A-Z0-9_]+)";/g))
        found.push({ code: m[1]!, refusal: null, file });
    }
  }
  return found;
}

it("every error code thrown in src/ is in the error catalogue, with its refusal's HTTP status", async () => {
  const found = await thrownCodes();
  // The search finds the codes it should (a broken pattern would find nothing and pass).
  for (const known of [
    "MAILBOX_NAME_TAKEN",
    "ALIAS_TAKEN",
    "WAIT_LIMIT_REACHED",
    "INVALID_JSON",
    "INVALID_ID",
  ])
    assert.ok(
      found.some((f) => f.code === known),
      `the search no longer finds ${known}`,
    );
  const missing = found.filter((f) => !(f.code in ERROR_CATALOG));
  assert.deepEqual(
    missing.map((f) => `${f.code} (${f.file})`),
    [],
    "add these codes to packages/server/src/api/error-catalog.ts (status and meaning)",
  );
  for (const f of found) {
    if (f.refusal === null) continue;
    const spec: ErrorSpec = ERROR_CATALOG[f.code as ErrorCode];
    assert.ok(
      [spec.status, ...(spec.otherStatuses ?? [])].includes(HTTP_STATUS[f.refusal as Refusal]),
      `${f.code} is thrown as ${f.refusal} in ${f.file}`,
    );
  }
});

it("the catalogue has no code nothing answers", async () => {
  const found = new Set((await thrownCodes()).map((f) => f.code));
  // Codes answered outside the patterns above: the response validator's own.
  const elsewhere = new Set(["RESPONSE_SCHEMA_VIOLATION"]);
  const stale = Object.keys(ERROR_CATALOG).filter((c) => !found.has(c) && !elsewhere.has(c));
  assert.deepEqual(stale, [], "remove these codes from the catalogue, or find why the search misses them");
});
