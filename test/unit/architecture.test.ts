import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { omittedFromImage } from "./packaging/image.js";

/**
 * The layering the code relies on: the pure core (src/api, src/policy) reads
 * no cluster, file or network and takes time as an argument; the reconciler
 * (src/controller) talks to the cluster only through ports; only src/io loads
 * @kubernetes/client-node at runtime. The development harness (src/controlplane,
 * src/dataplane, src/demo and the commands that run them) sits above all of it,
 * and nothing the container image keeps imports it statically.
 */
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Static runtime imports (not `import type`) of a file: module specifiers, loaded with the file. */
function staticImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+"([^"]+)";/gms)) out.push(m[1] ?? "");
  for (const m of text.matchAll(/^export\s+(?:\*|\{[^}]*\})\s+from\s+"([^"]+)";/gm)) out.push(m[1] ?? "");
  for (const m of text.matchAll(/^import\s+"([^"]+)";/gm)) out.push(m[1] ?? "");
  return out;
}

/** Runtime imports of a file, static and `await import(…)`: module specifiers. */
function runtimeImports(text: string): string[] {
  return [...staticImports(text), ...[...text.matchAll(/await import\("([^"]+)"\)/g)].map((m) => m[1] ?? "")];
}

/** A clock or environment read: `Date.now()`, `new Date(` (any arguments), `process.env`. */
const READS_CLOCK_OR_ENV = /\bDate\.now\b|\bnew Date\(|\bprocess\.env\b/;

/**
 * The direction of runtime imports, bottom up: Kubernetes object types, CIDR
 * arithmetic, port names and selector/port schemas (k8s/) and shared mechanisms
 * (lib/: backoff, rate limiting, freezing, isRecord, the package root, a seeded PRNG,
 * a bounded pool, "first few and N more") at the bottom; the IsolationProfile contract (api/) above them;
 * the pure core (policy/) above that; the reconciler (controller/) and the
 * client-node adapters (io/) side by side on top (io implements controller's
 * ports with `import type` only). Everything else (cli/, main.ts, …) composes.
 */
const LAYERS: Record<string, readonly string[]> = {
  k8s: [],
  lib: [],
  api: ["k8s", "lib"],
  policy: ["k8s", "lib", "api"],
  controller: ["k8s", "lib", "api", "policy"],
  io: ["k8s", "lib", "api", "policy"],
  observability: ["k8s", "lib", "api"],
};

/** Runtime imports of `file` (relative to src/) that reach a folder its layer may not use. */
function violations(file: string, imports: readonly string[]): string[] {
  const own = file.split("/")[0] ?? "";
  const allowed = LAYERS[own];
  if (!allowed) return [];
  return imports
    .filter((i) => i.startsWith("."))
    .filter((i) => {
      const target = relative(SRC, join(SRC, own, i)).split("/")[0] ?? "";
      return target !== own && !allowed.includes(target);
    })
    .map((i) => `${file} → ${i}`);
}

/** Whether the container image leaves out the build of `file` (relative to src/): the Dockerfile's list (test/unit/packaging/image.ts). */
const notInImage = (file: string) => omittedFromImage(`dist/${file.replace(/\.ts$/, ".js")}`);

/** Static imports of `file` (relative to src/) that the image leaves out while keeping `file`: they would fail to load there. */
function missingInImage(file: string, imports: readonly string[]): string[] {
  if (notInImage(file)) return [];
  return imports.filter((i) => i.startsWith(".") && notInImage(relative(SRC, join(SRC, dirname(file), i)))).map((i) => `${file} → ${i}`);
}

const all = files(SRC).map((path) => {
  const text = readFileSync(path, "utf8");
  return { file: relative(SRC, path), imports: runtimeImports(text), staticImports: staticImports(text) };
});
const layer = (prefix: string) => all.filter((f) => f.file.startsWith(prefix));

describe("import boundaries", () => {
  it.each([["api/"], ["policy/"]])("src/%s is pure: no cluster, file, network, process or clock access", (prefix) => {
    const forbidden = /^(@kubernetes\/client-node|node:(fs|fs\/promises|http|https|net|child_process|os|process)|pino|prom-client)$|\/(io|controller|cli|controlplane|observability|demo)\//;
    const offenders = layer(prefix).flatMap((f) => f.imports.filter((i) => forbidden.test(i)).map((i) => `${f.file} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it.each<[string, string, boolean]>([
    ["Date.now()", "const t = Date.now();", true],
    ["new Date() followed by a semicolon", "const d = new Date();", true],
    ["new Date(x)", "return new Date(ms).toISOString()", true],
    ["process.env", "const v = process.env.HOME", true],
    ["a Date type annotation", "function f(now: Date): string", false],
    ["a renewDate identifier", "const renewDate = 1", false],
  ])("the clock pattern: %s", (_name, text, matches) => {
    expect(READS_CLOCK_OR_ENV.test(text)).toBe(matches);
  });

  it("src/policy reads no clock and no environment", () => {
    const offenders = layer("policy/").filter((f) => READS_CLOCK_OR_ENV.test(readFileSync(join(SRC, f.file), "utf8")));
    expect(offenders.map((f) => f.file)).toEqual([]);
  });

  it("src/controller reaches the cluster only through its ports", () => {
    const offenders = layer("controller/").flatMap((f) => f.imports.filter((i) => i === "@kubernetes/client-node" || i.includes("/io/")).map((i) => `${f.file} → ${i}`));
    expect(offenders).toEqual([]);
  });

  it.each(Object.keys(LAYERS))("src/%s imports only from the layers below it", (folder) => {
    expect(layer(`${folder}/`).flatMap((f) => violations(f.file, f.imports))).toEqual([]);
  });

  it.each<[string, string, string, boolean]>([
    ["api may use the Kubernetes types below it", "api/parse.ts", "../k8s/cidr.js", true],
    ["api may not use the pure core above it", "api/parse.ts", "../policy/cidr.js", false],
    ["policy may use the contract", "policy/render.ts", "../api/constants.js", true],
    ["policy may not parse manifests' callers' way through cli", "policy/render.ts", "../cli/render-manifests.js", false],
    ["io may not load the controller at runtime", "io/writer.ts", "../controller/backoff.js", false],
    ["io may use the shared mechanisms", "io/writer.ts", "../lib/ratelimit.js", true],
    ["the bottom imports nothing of netfence", "k8s/cidr.ts", "../lib/freeze.js", false],
    ["a file may import its own folder", "policy/plan.ts", "./hash.js", true],
    ["the reconciler may not load the local control plane", "controller/manager.ts", "../controlplane/controlplane.js", false],
    ["the writer may not load the data plane", "io/writer.ts", "../dataplane/cluster.js", false],
  ])("the layer check: %s", (_name, file, specifier, allowed) => {
    expect(violations(file, [specifier])).toEqual(allowed ? [] : [`${file} → ${specifier}`]);
  });

  it("only src/io and the composition root load @kubernetes/client-node at runtime", () => {
    const loaders = all.filter((f) => f.imports.includes("@kubernetes/client-node")).map((f) => f.file);
    expect(loaders.filter((f) => !f.startsWith("io/") && f !== "main.ts")).toEqual([]);
  });

  it("the image keeps the entry points of the operator's and the user's commands", () => {
    expect(["main.ts", "cli/index.ts", "cli/development.ts", "cli/run.ts", "cli/render.ts", "cli/check.ts", "cli/matrix.ts", "cli/explain.ts"].filter(notInImage)).toEqual([]);
  });

  it("the image leaves out the development harness: src/controlplane, src/dataplane, src/demo", () => {
    const harness = all.filter((f) => /^(controlplane|dataplane|demo)\//.test(f.file));
    expect(harness.length).toBeGreaterThan(0);
    expect(harness.filter((f) => !notInImage(f.file)).map((f) => f.file)).toEqual([]);
  });

  it("no module the image keeps statically imports one it leaves out (the harness is loaded only by `import()` when a development command runs)", () => {
    expect(all.flatMap((f) => missingInImage(f.file, f.staticImports))).toEqual([]);
  });

  it.each<[string, string, string, boolean]>([
    ["render may not load the demo", "cli/render.ts", "../demo/demo.js", false],
    ["the composition root may not load the local control plane", "main.ts", "./controlplane/operator.js", false],
    ["the CLI may not register a development command statically", "cli/index.ts", "./controlplane.js", false],
    ["a development command may load the harness", "cli/controlplane.ts", "../controlplane/binaries.js", true],
    ["the harness may load the operator's modules", "demo/demo.ts", "../io/manifests.js", true],
    ["a kept module may load a kept one", "cli/index.ts", "./development.js", true],
  ])("the image check: %s", (_name, file, specifier, allowed) => {
    expect(missingInImage(file, [specifier])).toEqual(allowed ? [] : [`${file} → ${specifier}`]);
  });
});

/** The modules loaded from `entries` (relative to src/) following `importsOf` (specifiers), entries included. */
function reached(entries: readonly string[], importsOf: (f: (typeof all)[number]) => readonly string[]): Set<string> {
  const byFile = new Map(all.map((f) => [f.file, f]));
  const seen = new Set<string>();
  const stack = [...entries];
  for (let file = stack.pop(); file !== undefined; file = stack.pop()) {
    const f = byFile.get(file);
    if (!f || seen.has(file)) continue;
    seen.add(file);
    for (const i of importsOf(f)) if (i.startsWith(".")) stack.push(relative(SRC, join(SRC, dirname(file), i)).replace(/\.js$/, ".ts"));
  }
  return seen;
}

describe("the figures about the image in docs/reference.md", () => {
  const reference = readFileSync(new URL("../../docs/reference.md", import.meta.url), "utf8");
  const figures = (re: RegExp) => (re.exec(reference.replace(/\s+/g, " ")) ?? []).slice(1).map(Number);

  it("how many modules the image leaves out", () => {
    expect(figures(/leaves out: (\d+) of the (\d+) modules `src\/` compiles to/)).toEqual([all.filter((f) => notInImage(f.file)).length, all.length]);
  });

  it("how many `netfence run` loads: the static imports from the CLI's entry, the Lease client with --leader-elect, and everything the lazy imports reach", () => {
    const run = reached(["cli/index.ts"], (f) => f.staticImports);
    const withLease = reached(["cli/index.ts", "io/leader.ts"], (f) => f.staticImports);
    const everything = reached(["cli/index.ts"], (f) => f.imports);
    expect(withLease.size).toBeGreaterThan(run.size);
    expect(figures(/`netfence run` loads (\d+) netfence modules \((\d+) with `--leader-elect`\), of the (\d+) the CLI reaches/)).toEqual([run.size, withLease.size, everything.size]);
  });
});
