#!/usr/bin/env node
// An installed package runs its compiled JavaScript (dist/). A clone of the repository has the TypeScript sources
// next to this file (the package does not ship them) and runs those through tsx, so an edit needs no build step.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = new URL("../src/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  // The repository's tsconfig maps @postbox/* to the other packages' sources rather than their builds.
  register({ tsconfig: fileURLToPath(new URL("../../../tsconfig.json", import.meta.url)) });
  await import(source.href);
} else {
  await import("../dist/main.js");
}
