import { describe, expect, it } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The layering the code relies on: the pure core (src/api, src/policy) reads
 * no cluster, file or network and takes time as an argument; the reconciler
 * (src/controller) talks to the cluster only through ports; only src/io loads
 * @kubernetes/client-node at runtime.
 */
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Runtime imports (not `import type`) of a file: module specifiers. */
function runtimeImports(path: string): string[] {
  const text = readFileSync(path, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+"([^"]+)";/gms)) out.push(m[1] ?? "");
  for (const m of text.matchAll(/await import\("([^"]+)"\)/g)) out.push(m[1] ?? "");
  return out;
}

/** A clock or environment read: `Date.now()`, `new Date(` (any arguments), `process.env`. */
const READS_CLOCK_OR_ENV = /\bDate\.now\b|\bnew Date\(|\bprocess\.env\b/;

const all = files(SRC).map((path) => ({ file: relative(SRC, path), imports: runtimeImports(path) }));
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

  it("only src/io and the composition root load @kubernetes/client-node at runtime", () => {
    const loaders = all.filter((f) => f.imports.includes("@kubernetes/client-node")).map((f) => f.file);
    expect(loaders.filter((f) => !f.startsWith("io/") && f !== "main.ts")).toEqual([]);
  });
});
