import { readFileSync } from "node:fs";
import { type Command, commandHelp, groupHelp, overview, parseInput, synopsis } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { Context, DEFAULT_URL, type Io } from "./context.ts";
import { errorRecord, errorText, exitCodeOf, UsageError } from "./errors.ts";

export const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

const BY_NAME = new Map<string, Command>();
for (const c of COMMANDS) for (const name of [c.path, ...c.aliases]) BY_NAME.set(name, c);

/** Every proper prefix of a command name ("webhooks", "webhooks deliveries"): a group of commands. */
const GROUPS = new Map<string, Command[]>();
for (const c of COMMANDS)
  for (const name of [c.path, ...c.aliases]) {
    const words = name.split(" ");
    for (let n = 1; n < words.length; n++) {
      const g = words.slice(0, n).join(" ");
      GROUPS.set(g, [...(GROUPS.get(g) ?? []), c]);
    }
  }

const FOOTER = `Global options:
  --json         machine output: JSON on stdout; errors as {"error","code","details"} on stderr
  -h, --help     help for any command: postbox <command> --help
  -V, --version  the CLI's version

Environment: POSTBOX_API_KEY (required by client commands), POSTBOX_URL (default ${DEFAULT_URL}).

Exit codes: 0 done (a held or quarantined send too), 1 the API refused, 2 usage error, 3 no key or key not
accepted, 4 server unreachable or failing, 5 a check said no (policy test, audit verify). See docs/cli.md.
`;

const isHelp = (a: string) => a === "--help" || a === "-h";

/** Runs one command line and returns its exit code; writes only through `io`. */
export async function run(argv: string[], io: Io): Promise<number> {
  const dash = argv.indexOf("--");
  const json = (dash < 0 ? argv : argv.slice(0, dash)).includes("--json");
  try {
    return await dispatch(argv, io);
  } catch (err) {
    io.stderr.write(json ? `${JSON.stringify(errorRecord(err))}\n` : `${errorText(err)}\n`);
    return exitCodeOf(err);
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const args = argv[0] === "help" ? [...argv.slice(1), "--help"] : argv;
  // Global options may come before the command.
  const lead: string[] = [];
  let i = 0;
  for (; i < args.length && args[i]!.startsWith("-"); i++) {
    const a = args[i]!;
    if (a === "--version" || a === "-V") {
      const json = args.includes("--json");
      io.stdout.write(json ? `${JSON.stringify({ version: VERSION })}\n` : `postbox ${VERSION}\n`);
      return 0;
    }
    if (a !== "--json" && !isHelp(a))
      throw new UsageError(`unknown option ${a} (command options go after the command)`);
    lead.push(a);
  }
  // The longest run of words that names a command: "webhooks deliveries list".
  const words: string[] = [];
  let cmd: Command | undefined;
  let end = i;
  for (let j = i; j < args.length && !args[j]!.startsWith("-"); j++) {
    words.push(args[j]!);
    const name = words.join(" ");
    const c = BY_NAME.get(name);
    if (c) {
      cmd = c;
      end = j + 1;
    } else if (!GROUPS.has(name)) break;
  }
  const rest = [...lead, ...args.slice(cmd ? end : i + words.length)];
  if (!cmd) {
    const help = rest.some(isHelp);
    if (words.length === 0) {
      io.stdout.write(overview(COMMANDS, FOOTER));
      return 0;
    }
    let group = words.join(" ");
    while (!GROUPS.has(group) && group.includes(" ")) group = group.slice(0, group.lastIndexOf(" "));
    const members = GROUPS.get(group);
    if (!members) throw new UsageError(`unknown command: ${words[0]} (run postbox --help)`);
    if (help && group === words.join(" ")) {
      io.stdout.write(groupHelp(group, members));
      return 0;
    }
    const names = [
      ...new Set(
        members.flatMap((c) =>
          [c.path, ...c.aliases]
            .filter((n) => n.startsWith(`${group} `))
            .map((n) => n.slice(group.length + 1).split(" ")[0]),
        ),
      ),
    ];
    const asked = words.join(" ");
    throw new UsageError(
      `${asked === group ? `which ${group} command?` : `unknown command: ${asked}`} (one of: ${names.join(", ")})`,
      `postbox ${group} <command>`,
    );
  }
  const input = parseInput(cmd, rest);
  if (input.values.help) {
    io.stdout.write(commandHelp(cmd));
    return 0;
  }
  const ctx = new Context(io, Boolean(input.values.json));
  try {
    return (await cmd.run(ctx, input)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError && !err.usage) throw new UsageError(err.message, synopsis(cmd));
    throw err;
  }
}

/** Every command name and alias (tests walk them). */
export const commandNames = (): string[] => [...BY_NAME.keys()];
