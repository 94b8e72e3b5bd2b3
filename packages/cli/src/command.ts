import { parseArgs } from "node:util";
import type { Context } from "./context.ts";
import { UsageError } from "./errors.ts";

/** One option of a command. */
export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** The value's name in help: `--limit <n>`. */
  value?: string;
  help: string;
}

type Options = Record<string, OptionSpec>;

/** The parsed values of a command's options, typed from its specs. */
export type Values<O extends Options> = {
  [K in keyof O]?: O[K]["type"] extends "boolean"
    ? boolean
    : O[K]["multiple"] extends true
      ? string[]
      : string;
};

export interface Input<O extends Options> {
  values: Values<O>;
  /** Positional arguments, their count already checked against `args`. */
  positionals: string[];
}

export interface CommandSpec<O extends Options> {
  /** The words that name the command: "messages list". */
  path: string;
  /** Other names for the same command (older spellings): "mailbox list". */
  aliases?: string[];
  /** Positional arguments in help form: `<mailbox>` required, `[<cursor>]` optional, `<email>...` repeatable. */
  args?: string;
  summary: string;
  /** More lines for `--help`: details, examples. */
  help?: string;
  options?: O;
  /** Returns the exit code (0 when omitted). */
  run(ctx: Context, input: Input<O>): Promise<number | undefined>;
}

/** A command with its option types erased, as the registry keeps it. */
export interface Command {
  path: string;
  aliases: string[];
  args: string;
  summary: string;
  help?: string;
  options: Options;
  run(
    ctx: Context,
    input: { values: Record<string, unknown>; positionals: string[] },
  ): Promise<number | undefined>;
}

export function command<O extends Options>(spec: CommandSpec<O>): Command {
  return {
    path: spec.path,
    aliases: spec.aliases ?? [],
    args: spec.args ?? "",
    summary: spec.summary,
    help: spec.help,
    options: spec.options ?? {},
    run: spec.run as Command["run"],
  };
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Options = {
  json: {
    type: "boolean",
    help: "machine output: JSON on stdout; errors as {error, code, details} on stderr",
  },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** The positionals `args` names: `<mailbox>`, `[<cursor>]`, `<email>...`. */
function argWords(args: string): { name: string; required: boolean; repeats: boolean }[] {
  return [...args.matchAll(/(<[^>]+>|\[[^\]]+\])(\.\.\.)?/g)].map((m) => ({
    name: m[1]!,
    required: m[1]!.startsWith("<"),
    repeats: Boolean(m[2]) || m[1]!.endsWith("...]"),
  }));
}

/** How many positionals `args` allows. */
export function arity(args: string): { min: number; max: number } {
  const words = argWords(args);
  return {
    min: words.filter((w) => w.required).length,
    max: words.some((w) => w.repeats) ? Number.POSITIVE_INFINITY : words.length,
  };
}

export function synopsis(cmd: Command): string {
  const opts = Object.keys(cmd.options).length > 0 ? " [options]" : "";
  return `postbox ${cmd.path}${cmd.args ? ` ${cmd.args}` : ""}${opts}`;
}

/** Parses a command's arguments (after its name) and checks the count of positionals. */
export function parseInput(
  cmd: Command,
  argv: string[],
): { values: Record<string, unknown>; positionals: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  const options = { ...cmd.options, ...GLOBAL_OPTIONS };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) },
        ]),
      ),
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!, synopsis(cmd));
  }
  const { values, positionals } = parsed;
  if (values.help) return { values, positionals };
  const { min, max } = arity(cmd.args);
  if (positionals.length < min) {
    const missing = argWords(cmd.args).filter((w) => w.required)[positionals.length]!.name;
    throw new UsageError(`missing ${missing}`, synopsis(cmd));
  }
  if (positionals.length > max)
    throw new UsageError(`unexpected argument: ${positionals[max]}`, synopsis(cmd));
  return { values, positionals };
}

const pad = (rows: [string, string][], indent = "  "): string => {
  const width = Math.min(Math.max(...rows.map(([a]) => a.length)), 44);
  return rows
    .map(([a, b]) =>
      a.length > width
        ? `${indent}${a}\n${indent}${" ".repeat(width)}  ${b}`
        : `${indent}${a.padEnd(width)}  ${b}`,
    )
    .join("\n");
};

const optionRows = (options: Options): [string, string][] =>
  Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` <${o.value ?? "value"}>` : ""}${o.multiple ? "..." : ""}`,
    o.help,
  ]);

/** `postbox <command> --help`. */
export function commandHelp(cmd: Command): string {
  const parts = [`Usage: ${synopsis(cmd)}`, "", cmd.summary];
  if (cmd.aliases.length > 0) parts.push(`(also: ${cmd.aliases.map((a) => `postbox ${a}`).join(", ")})`);
  if (cmd.help) parts.push("", cmd.help.trimEnd());
  if (Object.keys(cmd.options).length > 0) parts.push("", "Options:", pad(optionRows(cmd.options)));
  parts.push("", "Global options:", pad(optionRows(GLOBAL_OPTIONS)));
  return `${parts.join("\n")}\n`;
}

/** `postbox <group> --help`: the group's commands. */
export function groupHelp(group: string, cmds: Command[]): string {
  const rows = cmds.map((c): [string, string] => {
    const name = [c.path, ...c.aliases].find((n) => n.startsWith(`${group} `)) ?? c.path;
    return [`${name}${c.args ? ` ${c.args}` : ""}`, c.summary];
  });
  return `Usage: postbox ${group} <command> [options]\n\nCommands:\n${pad(rows)}\n\nRun postbox ${group} <command> --help for its options.\n`;
}

/** `postbox --help`: every command, by group. */
export function overview(cmds: Command[], footer: string): string {
  const rows = cmds.map((c): [string, string] => [`${c.path}${c.args ? ` ${c.args}` : ""}`, c.summary]);
  return `postbox — governed email for AI agents\n\nUsage: postbox <command> [options]\n\nCommands:\n${pad(rows)}\n\n${footer}`;
}
