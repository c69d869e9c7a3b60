import { parseArgs, type ParseArgsConfig } from "node:util";

/** Options in node:util parseArgs form, plus a one-line description for --help. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & { description: string; valueName?: string };
export type Options = Record<string, OptionSpec>;

/** Every command takes -h/--help. */
const HELP = { help: { type: "boolean", short: "h", description: "show this help" } } as const satisfies Options;

/** What parseArgs is given for a command with these options. */
type ArgsConfig<O extends Options> = { args: string[]; options: O; strict: true; allowPositionals: true };

/**
 * The values of a command line, typed by parseArgs from the options
 * themselves: a string, a boolean, or with `multiple` an array. Every one may
 * be absent (callers other than the command line, tests among them, give only some).
 */
export type ValuesOf<O extends Options> = Partial<ReturnType<typeof parseArgs<ArgsConfig<O>>>["values"]>;

export interface Command<O extends Options = Options> {
  name: string;
  summary: string;
  /** Positional arguments shown in the usage line, e.g. "up". */
  usage?: string;
  options: O;
  run(values: ValuesOf<O & typeof HELP>, positionals: string[]): Promise<number>;
}

/** A command, its options' types kept: `run` gets values typed from `options`. */
export function command<const O extends Options>(spec: Command<O>): Command<O> {
  return spec;
}

/** A usage or input error: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function helpText(command: Pick<Command, "name" | "summary" | "usage" | "options">): string {
  const lines = [`Usage: netfence ${command.name}${command.usage ? ` ${command.usage}` : ""} [options]`, "", command.summary, "", "Options:"];
  const entries: [string, OptionSpec][] = Object.entries({ ...command.options, ...HELP });
  const left = entries.map(([long, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.type === "string" ? ` <${spec.valueName ?? "value"}>` : "";
    return `  ${short}--${long}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  entries.forEach(([, spec], i) => {
    const def = spec.default === undefined ? "" : ` (default: ${String(spec.default)})`;
    lines.push(`${(left[i] ?? "").padEnd(width)}${spec.description}${def}`);
  });
  return lines.join("\n");
}

/** Parses argv for one command; `--help` prints help and returns undefined. */
export function parseCommandArgs<O extends Options>(command: Command<O>, argv: string[]): { values: ValuesOf<O & typeof HELP>; positionals: string[] } | undefined {
  // parseArgs reads type, short, multiple and default of each option and ignores description and valueName.
  const config: ArgsConfig<O & typeof HELP> = { args: argv, options: { ...command.options, ...HELP }, strict: true, allowPositionals: true };
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun 'netfence ${command.name} --help' for usage.`);
  }
  if ("help" in parsed.values && parsed.values.help === true) {
    console.log(helpText(command));
    return undefined;
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A command bound to its own parser, as the `netfence` dispatcher lists and runs it. */
export interface Subcommand {
  name: string;
  summary: string;
  /** Parses argv and runs; 0 after --help. */
  main(argv: string[]): Promise<number>;
}

export function subcommand<O extends Options>(command: Command<O>): Subcommand {
  return {
    name: command.name,
    summary: command.summary,
    main: async (argv) => {
      const parsed = parseCommandArgs(command, argv);
      return parsed ? command.run(parsed.values, parsed.positionals) : 0;
    },
  };
}
