import { parseArgs, type ParseArgsConfig } from "node:util";

/** Options in node:util parseArgs form, plus a one-line description for --help. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & { description: string; valueName?: string };

export interface Command<V = Record<string, unknown>> {
  name: string;
  summary: string;
  /** Positional arguments shown in the usage line, e.g. "up". */
  usage?: string;
  options: Record<string, OptionSpec>;
  run(values: V, positionals: string[]): Promise<number>;
}

/** A usage or input error: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function helpText(command: Pick<Command, "name" | "summary" | "usage" | "options">): string {
  const lines = [`Usage: netfence ${command.name}${command.usage ? ` ${command.usage}` : ""} [options]`, "", command.summary, "", "Options:"];
  const help: OptionSpec = { type: "boolean", short: "h", description: "show this help" };
  const entries: [string, OptionSpec][] = Object.entries({ ...command.options, help });
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
export function parseCommandArgs<V>(command: Command<V>, argv: string[]): { values: V; positionals: string[] } | undefined {
  const options: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h" } };
  for (const [long, spec] of Object.entries(command.options)) {
    const { description: _d, valueName: _v, ...parseSpec } = spec;
    options[long] = parseSpec;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nRun 'netfence ${command.name} --help' for usage.`);
  }
  if (parsed.values.help === true) {
    console.log(helpText(command));
    return undefined;
  }
  return { values: parsed.values as V, positionals: parsed.positionals };
}
