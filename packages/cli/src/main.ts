import { run } from "./cli.ts";

// The command line's entry: commands live in commands/, the dispatch and exit codes in cli.ts.
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
