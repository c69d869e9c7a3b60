/**
 * `npm run bench`: every scenario at its default size, on one local control
 * plane shared by the run, then one combined JSON line.
 * `npm run bench -- --scenario <name> [scenario options]`: runs one benchmark
 * scenario from bench/scenarios/<name>.ts. Adding a scenario is adding a file
 * there that exports `scenario` (see the Scenario interface); nothing to register.
 * Each scenario prints a human table and, last, one JSON line of its numbers.
 */
import { readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { closeBenchEnv } from "./lib/env.js";
import { HEADLINE } from "./lib/report.js";

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

/** The default run: what each step runs with; setup (namespaces) carries over between steps. */
function defaultPlan(large: number): [string, string[]][] {
  return [
    ["evaluator", []],
    ["dataplane", []],
    ["converge", ["--namespaces", "2000"]],
    ["fanout", ["--namespaces", "2000"]],
    ["newns", ["--namespaces", "2000"]],
    ["steady", ["--namespaces", "2000"]],
    ["converge", ["--namespaces", String(large)]],
    // The same profile over the large size with NetworkPolicies, then in the Admin tier; it removes the CRD it installs.
    ["admin", ["--namespaces", String(large)]],
    // Before memory, whose profile stays (a second profile and N more policies would change what bypass measures);
    // bypass deletes its profile, policies and tenant policies and creates no pods here; memory creates the same
    // tenant policies again, so rss_mib is measured with every policy the operator caches to judge bypasses.
    ["bypass", ["--namespaces", String(large)]],
    ["memory", ["--namespaces", String(large)]],
  ];
}

/** Headline figures named by the large size (converge_10000_ratio …). */
const LARGE_KEYS: ((n: number) => string)[] = [(n) => `converge_${String(n)}_ratio`, (n) => `admin_writes_${String(n)}`, (n) => `admin_converge_${String(n)}_ms`];

async function load(name: string): Promise<Scenario> {
  const mod = (await import(new URL(`${name}.js`, scenariosDir).href)) as { scenario?: unknown };
  if (!isScenario(mod.scenario)) throw new Error(`bench/scenarios/${name}.ts does not export a scenario`);
  return mod.scenario;
}

async function runAll(large: number): Promise<number> {
  const combined: Record<string, number | string> = {};
  const started = Date.now();
  try {
    for (const [name, args] of defaultPlan(large)) {
      const scenario = await load(name);
      console.log(`\n=== scenario ${scenario.name} ${args.join(" ")}: ${scenario.description}\n`);
      const t0 = Date.now();
      const numbers = await scenario.run(args);
      console.log(JSON.stringify({ scenario: scenario.name, ...numbers, seconds: Math.round((Date.now() - t0) / 1000) }));
      Object.assign(combined, numbers);
    }
  } finally {
    await closeBenchEnv();
  }
  // The figure at the large size answers for the headline's 10000 one when the large size was changed.
  for (const key of LARGE_KEYS) {
    const measured = combined[key(large)];
    if (combined[key(10000)] === undefined && measured !== undefined) combined[key(10000)] = measured;
  }
  const headline = Object.fromEntries(HEADLINE.map((k) => [k, combined[k] ?? "not measured"]));
  console.log(`\nall scenarios in ${String(Math.round((Date.now() - started) / 1000))}s`);
  console.log(JSON.stringify({ ...headline, ...combined, large_namespaces: large }));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { scenario: { type: "string", short: "s" }, help: { type: "boolean", short: "h" }, large: { type: "string" } }, strict: false });
  const names = available();
  const name = typeof values.scenario === "string" ? values.scenario : undefined;
  if (values.help === true) {
    console.log(`Usage: npm run bench [-- --large 10000]            every scenario, default sizes, one combined JSON line
       npm run bench -- --scenario <name> [options]   one scenario

Scenarios: ${names.join(", ")}`);
    return 0;
  }
  if (name === undefined) return runAll(typeof values.large === "string" ? Number(values.large) : 10000);
  if (!names.includes(name)) {
    console.error(`bench: unknown scenario '${name}' (have: ${names.join(", ")})`);
    return 2;
  }
  const scenario = await load(name);
  // Everything that is not --scenario/--help goes to the scenario.
  const rest = withoutOwnOptions(argv);
  console.log(`scenario ${scenario.name}: ${scenario.description}\n`);
  try {
    const numbers = await scenario.run(rest);
    console.log(JSON.stringify({ scenario: scenario.name, ...numbers }));
  } finally {
    await closeBenchEnv();
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
