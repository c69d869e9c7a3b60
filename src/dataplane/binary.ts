/**
 * calico-felix and Calico's CRDs, built from the pinned Go modules by
 * tools/dataplane/build.sh on first use and cached outside the repository.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../lib/package-root.js";

export interface Felix {
  dir: string;
  binary: string;
  /** libcalico-go/config/crd/*.yaml of the same module. */
  crds: string;
}

function script(): string {
  const path = join(packageRoot, "tools", "dataplane", "build.sh");
  if (!existsSync(path)) throw new Error(`data-plane build script not found at ${path}`);
  return path;
}

function runScript(args: string[], progress: "inherit" | "ignore"): Promise<{ code: number | null; dir: string }> {
  return new Promise((ok, fail) => {
    const child = spawn("bash", [script(), ...args], { stdio: ["ignore", "pipe", progress] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.on("error", fail);
    child.on("exit", (code) => ok({ code, dir: out.trim().split("\n").pop() ?? "" }));
  });
}

function felixIn(dir: string): Felix {
  return { dir, binary: join(dir, "calico-felix"), crds: join(dir, "crds") };
}

/** Builds felix on first use (progress on stderr) and returns the cached build. */
export async function ensureFelix(): Promise<Felix> {
  const { code, dir } = await runScript([], "inherit");
  if (code !== 0 || !dir) throw new Error(`building calico-felix failed (exit ${String(code)}); see the output above`);
  return felixIn(dir);
}

/** The cached build, or undefined when felix has not been built yet (builds nothing). */
export async function cachedFelix(): Promise<Felix | undefined> {
  const { code, dir } = await runScript(["--cached"], "ignore");
  return code === 0 && dir ? felixIn(dir) : undefined;
}
