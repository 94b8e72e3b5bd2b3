import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Builds the dashboard into dist/ (or the directory given): one minified script and one style sheet named by
 * their content hash, and index.html naming them. The output is committed, so `npm start` needs no build step;
 * a test rebuilds it and fails when the committed bundle is stale.
 */
const ROOT = fileURLToPath(new URL("..", import.meta.url));

export async function buildDashboard(outDir = path.join(ROOT, "dist")): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(ROOT, "src/main.tsx")],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    tsconfig: path.join(ROOT, "tsconfig.json"),
    legalComments: "none",
    write: false,
    outdir: "out",
    logLevel: "warning",
  });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, "assets"), { recursive: true });
  const names: Record<string, string> = {};
  for (const file of result.outputFiles) {
    const ext = path.extname(file.path);
    const hash = createHash("sha256").update(file.contents).digest("hex").slice(0, 12);
    const name = `assets/app-${hash}${ext}`;
    writeFileSync(path.join(outDir, name), file.contents);
    names[ext] = name;
  }
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Postbox</title>
<link rel="stylesheet" href="${names[".css"]}">
<script type="module" src="${names[".js"]}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Postbox dashboard needs JavaScript.</noscript>
</body>
</html>
`;
  writeFileSync(path.join(outDir, "index.html"), html);
  return ["index.html", ...Object.values(names)];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  const files = await buildDashboard(out);
  console.log(`built ${files.join(", ")}`);
}
