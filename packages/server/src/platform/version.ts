import { readFile } from "node:fs/promises";

/** The server package's version, as package.json states it. */
export async function readVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
