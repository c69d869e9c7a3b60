import { parseCommandArgs, UsageError, type Command } from "./command.js";
import { checkCommand } from "./check.js";
import { controlplaneCommand } from "./controlplane.js";
import { dataplaneCommand } from "./dataplane.js";
import { demoCommand } from "./demo.js";
import { explainCommand } from "./explain.js";
import { matrixCommand } from "./matrix.js";
import { probeCommand } from "./probe.js";
import { renderCommand } from "./render.js";
import { runCommand } from "./run.js";


/** Every `netfence` subcommand; later commands register here. */
const commands: Command<never>[] = [runCommand, controlplaneCommand, renderCommand, matrixCommand, checkCommand, explainCommand, demoCommand, dataplaneCommand, probeCommand];

function topLevelHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "Usage: netfence <command> [options]",
    "",
    "netfence isolates Kubernetes namespaces with NetworkPolicies generated from IsolationProfiles.",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Run 'netfence <command> --help' for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    console.log(process.env.npm_package_version ?? "0.1.0");
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`netfence: unknown command '${name}'\n\n${topLevelHelp()}`);
    return 2;
  }
  try {
    const parsed = parseCommandArgs(command, rest);
    if (!parsed) return 0;
    return await command.run(parsed.values, parsed.positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`netfence ${name}: ${err.message}`);
      return 2;
    }
    console.error(`netfence ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
