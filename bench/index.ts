/**
 * `npm run bench -- --scenario <name> [scenario options]`: runs one benchmark
 * scenario from bench/scenarios/<name>.ts. Adding a scenario is adding a file
 * there that exports `scenario` (see the Scenario interface); nothing to register.
 * Each scenario prints a human table and, last, one JSON line of its numbers.
 */
import { readdirSync } from "node:fs";
import { parseArgs } from "node:util";

export interface Scenario {
  name: string;
  description: string;
  /** Runs with the arguments after the dispatcher's own; returns the numbers for the final JSON line. */
  run(args: string[]): Promise<Record<string, number | string>>;
}

const scenariosDir = new URL("./scenarios/", import.meta.url);

function available(): string[] {
  return readdirSync(scenariosDir)
    .filter((f) => f.endsWith(".js"))
    .map((f) => f.slice(0, -3))
    .sort();
}

function isScenario(value: unknown): value is Scenario {
  return typeof value === "object" && value !== null && "run" in value && typeof value.run === "function";
}

function withoutOwnOptions(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--scenario" || arg === "-s") i++;
    else if (!arg.startsWith("--scenario=") && arg !== "--help" && arg !== "-h") rest.push(arg);
  }
  return rest;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { scenario: { type: "string", short: "s" }, help: { type: "boolean", short: "h" } }, strict: false });
  const names = available();
  const name = typeof values.scenario === "string" ? values.scenario : undefined;
  if (values.help === true || name === undefined) {
    console.log(`Usage: npm run bench -- --scenario <name> [options]\n\nScenarios: ${names.join(", ")}`);
    return name === undefined && values.help !== true ? 2 : 0;
  }
  if (!names.includes(name)) {
    console.error(`bench: unknown scenario '${name}' (have: ${names.join(", ")})`);
    return 2;
  }
  const mod = (await import(new URL(`${name}.js`, scenariosDir).href)) as { scenario?: unknown };
  if (!isScenario(mod.scenario)) {
    console.error(`bench: bench/scenarios/${name}.ts does not export a scenario`);
    return 2;
  }
  // Everything that is not --scenario/--help goes to the scenario.
  const rest = withoutOwnOptions(argv);
  console.log(`scenario ${mod.scenario.name}: ${mod.scenario.description}\n`);
  const numbers = await mod.scenario.run(rest);
  console.log(JSON.stringify({ scenario: mod.scenario.name, ...numbers }));
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
