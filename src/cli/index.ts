import { subcommand, UsageError, type Subcommand } from "./command.js";
import { checkCommand } from "./check.js";
import { developmentCommands, loadDevelopmentCommand } from "./development.js";
import { explainCommand } from "./explain.js";
import { matrixCommand } from "./matrix.js";
import { renderCommand } from "./render.js";
import { runCommand } from "./run.js";

/** A command whose modules load only when it runs: `netfence run` never loads the diff and its renderers. */
function lazy(name: string, summary: string, load: () => Promise<Subcommand>): Subcommand {
  return { name, summary, main: async (argv) => (await load()).main(argv) };
}

/** The operator's and the user's commands; later commands register here. The development harness's are in development.ts. */
const commands: Subcommand[] = [subcommand(runCommand), subcommand(renderCommand), subcommand(matrixCommand), subcommand(checkCommand), subcommand(explainCommand), lazy("diff", "Show which pairs gain or lose connectivity between two sets of manifests, or the live cluster and files; exit 1 on a change.", async () => subcommand((await import("./diff.js")).diffCommand))];

function topLevelHelp(): string {
  const width = Math.max(...[...commands, ...developmentCommands].map((c) => c.name.length)) + 2;
  const line = (c: { name: string; summary: string }) => `  ${c.name.padEnd(width)}${c.summary.split("\n")[0] ?? ""}`; // the rest is in the command's --help
  return [
    "Usage: netfence <command> [options]",
    "",
    "netfence isolates Kubernetes namespaces by IsolationProfiles, enforced in the Admin tier or with NetworkPolicies.",
    "",
    "Commands:",
    ...commands.map(line),
    "",
    "Development commands (the npm package and the repository; not in the container image):",
    ...developmentCommands.map(line),
    "",
    "Run 'netfence <command> --help' for a command's options.",
  ].join("\n");
}

/** The command called `name`; a development command is imported only now. */
async function findCommand(name: string): Promise<Subcommand | undefined> {
  const command = commands.find((c) => c.name === name);
  if (command) return command;
  const development = developmentCommands.find((c) => c.name === name);
  return development && (await loadDevelopmentCommand(development));
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
  try {
    const command = await findCommand(name);
    if (!command) {
      console.error(`netfence: unknown command '${name}'\n\n${topLevelHelp()}`);
      return 2;
    }
    return await command.main(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`netfence ${name}: ${err.message}`);
      return 2;
    }
    console.error(`netfence ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
