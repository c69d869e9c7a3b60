/**
 * `npm test` and `npm run demo` on a fresh clone: their pretest/predemo
 * (tools/bootstrap.mjs, plain Node) installs the npm dependencies itself, and
 * installs them again when node_modules falls out of step with the lockfile.
 * Runs the real `npm ci` in a `git clone` of this repository (its committed HEAD)
 * in a temporary directory; the builds and the Debian packages are left out
 * (--only=npm): they are cached machine-wide and covered by .ci/run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let parent: string;
let clone: string;

function bootstrap(): { status: number | null; setup: string[] } {
  const r = spawnSync(process.execPath, ["tools/bootstrap.mjs", "test", "--only=npm"], { cwd: clone, encoding: "utf8" });
  return { status: r.status, setup: r.stderr.split("\n").filter((l) => l.startsWith("[setup] ")) };
}

beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), "netfence-clone-"));
  clone = join(parent, "netfence");
  const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  execFileSync("git", ["clone", "--quiet", "--no-checkout", ROOT, clone], { stdio: "pipe" });
  execFileSync("git", ["checkout", "--quiet", head], { cwd: clone, stdio: "pipe" });
});

afterAll(() => {
  rmSync(parent, { recursive: true, force: true });
});

describe("a fresh clone's npm dependencies", () => {
  it("has no node_modules until the bootstrap installs them with npm ci, then keeps them", () => {
    expect(existsSync(join(clone, "node_modules"))).toBe(false);

    expect(bootstrap()).toEqual({ status: 0, setup: ["[setup] npm dependencies: node_modules is missing; running npm ci"] });
    const lock = JSON.parse(readFileSync(join(clone, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    for (const name of ["typescript", "jest", "@kubernetes/client-node", "zod"]) {
      const installed = JSON.parse(readFileSync(join(clone, "node_modules", name, "package.json"), "utf8")) as { version: string };
      expect(installed.version).toBe(lock.packages[`node_modules/${name}`]?.version);
    }

    expect(bootstrap()).toEqual({ status: 0, setup: ["[setup] npm dependencies: up to date (node_modules matches package-lock.json)"] });
  }, 300_000);

  it("installs again when a package is gone from node_modules", () => {
    rmSync(join(clone, "node_modules", "zod"), { recursive: true });
    expect(bootstrap()).toEqual({ status: 0, setup: ["[setup] npm dependencies: node_modules is stale against package-lock.json: node_modules/zod is gone; running npm ci"] });
    expect(existsSync(join(clone, "node_modules", "zod", "package.json"))).toBe(true);
  }, 300_000);
});
