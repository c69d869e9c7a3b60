#!/usr/bin/env node
// @ts-check
/**
 * The whole set-up of `npm test` and `npm run demo` (their `pretest`/`predemo`), and
 * of `.ci/run`: each step does what this machine lacks and says in one line what it
 * cannot do and why.
 *
 *   1. npm dependencies: `npm ci` when node_modules is missing or stale against
 *      package-lock.json (npm's own record of what it installed,
 *      node_modules/.package-lock.json, compared entry by entry).
 *   2. Debian packages of the data plane and the local control plane, when a tool is
 *      missing: apt-get install as root; otherwise one line saying why not.
 *   3. The local control plane, helm (tests only) and calico-felix (where real
 *      packets are possible) from tools/<name>/build.sh, cached outside the
 *      repository; their progress goes to stderr.
 *
 * Plain Node, no dependencies: it runs before node_modules exists.
 *
 *   node tools/bootstrap.mjs test|demo|ci [--only=npm,packages,builds]
 *
 * `ci` builds what `test` builds and treats every "cannot" as an error (exit 1).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/**
 * @typedef {{ version?: string; integrity?: string; optional?: boolean; link?: boolean }} LockEntry
 * @typedef {{ packages?: Record<string, LockEntry> }} Lockfile
 * @typedef {{ kind: "fresh"; why: string } | { kind: "install"; why: string } | { kind: "cannot"; why: string }} DepsDecision
 * @typedef {{ kind: "none" } | { kind: "install"; packages: string[] } | { kind: "cannot"; packages: string[]; why: string }} PackagesDecision
 * @typedef {"test" | "demo" | "ci"} Purpose
 * @typedef {"npm" | "packages" | "builds"} Step
 */

/**
 * The tools the local control plane and the data plane run, and the Debian package of
 * each (the same list as `.ci/run` installs; src/dataplane/host.ts checks the data
 * plane's part of it at run time).
 * @type {ReadonlyArray<readonly [tool: string, pkg: string]>}
 */
export const TOOL_PACKAGES = [
  ["openssl", "openssl"],
  ["setpriv", "util-linux"],
  ["flock", "util-linux"],
  ["git", "git"],
  ["iptables", "iptables"],
  ["ipset", "ipset"],
  ["nft", "nftables"],
  ["ip", "iproute2"],
  ["ping", "iputils-ping"],
  ["conntrack", "conntrack"],
];

/** @param {string} path a key of a lockfile's `packages` */
const packageName = (path) => path.replace(/^(.*\/)?node_modules\//, "");

/**
 * Whether node_modules holds what package-lock.json locks. Pure: the caller reads the
 * files and says which package directories exist.
 * @param {{ lock: Lockfile | undefined; installed: Lockfile | undefined; nodeModules: boolean; present: (path: string) => boolean }} state
 *   lock: package-lock.json (undefined when absent); installed: node_modules/.package-lock.json,
 *   npm's record of its last install (undefined when absent); nodeModules: the directory exists;
 *   present: whether a package directory (a key of `packages`) exists.
 * @returns {DepsDecision}
 */
export function depsDecision({ lock, installed, nodeModules, present }) {
  if (!lock) return { kind: "cannot", why: "there is no package-lock.json to install from" };
  if (!nodeModules) return { kind: "install", why: "node_modules is missing" };
  if (!installed) return { kind: "install", why: "node_modules has no record of an npm install (node_modules/.package-lock.json)" };
  const locked = Object.entries(lock.packages ?? {}).filter(([path]) => path !== "");
  const have = installed.packages ?? {};
  for (const [path, want] of locked) {
    const got = have[path];
    const name = packageName(path);
    if (!got) {
      // npm leaves out optional packages of other platforms (fsevents on Linux).
      if (want.optional) continue;
      return { kind: "install", why: `node_modules is stale against package-lock.json: ${name} is not installed` };
    }
    if (got.version !== want.version) {
      return { kind: "install", why: `node_modules is stale against package-lock.json: ${name} ${got.version ?? "?"} installed, ${want.version ?? "?"} locked` };
    }
    if (got.integrity && want.integrity && got.integrity !== want.integrity) {
      return { kind: "install", why: `node_modules is stale against package-lock.json: ${name} ${got.version ?? "?"} installed from another tarball than locked` };
    }
    if (!got.link && !present(path)) return { kind: "install", why: `node_modules is stale against package-lock.json: ${path} is gone` };
  }
  const lockedPaths = new Set(locked.map(([path]) => path));
  const extra = Object.keys(have).find((path) => path !== "" && !lockedPaths.has(path));
  if (extra !== undefined) return { kind: "install", why: `node_modules is stale against package-lock.json: ${packageName(extra)} is not in the lockfile` };
  return { kind: "fresh", why: "node_modules matches package-lock.json" };
}

/**
 * What to do about missing tools. Pure.
 * @param {{ missing: readonly string[]; platform: string; root: boolean; aptGet: boolean }} machine
 *   missing: tools not on the PATH; root: running as uid 0; aptGet: apt-get is on the PATH.
 * @returns {PackagesDecision}
 */
export function packagesDecision({ missing, platform, root, aptGet }) {
  const packages = [...new Set(TOOL_PACKAGES.filter(([tool]) => missing.includes(tool)).map(([, pkg]) => pkg))];
  if (packages.length === 0) return { kind: "none" };
  if (platform !== "linux") return { kind: "cannot", packages, why: `this is ${platform}, not Linux` };
  if (!aptGet) return { kind: "cannot", packages, why: "apt-get is not on the PATH (not Debian or Ubuntu): install them with your package manager" };
  if (!root) return { kind: "cannot", packages, why: "not running as root: run `sudo apt-get install " + packages.join(" ") + "`" };
  return { kind: "install", packages };
}

/**
 * Why real packets are impossible here, or undefined when they are possible (the
 * rules of src/dataplane/host.ts, which the demo and the tests apply again).
 * @param {{ platform: string; root: boolean; capNetAdmin: boolean; missing: readonly string[] }} machine
 * @returns {string | undefined}
 */
export function packetsImpossible({ platform, root, capNetAdmin, missing }) {
  if (platform !== "linux") return "the data plane needs Linux network namespaces";
  if (!root || !capNetAdmin) return "the data plane needs root with CAP_NET_ADMIN";
  const dataPlaneTools = ["iptables", "ipset", "nft", "ip", "ping", "conntrack", "setpriv"];
  const lacking = dataPlaneTools.filter((t) => missing.includes(t));
  if (lacking.length > 0) return `missing ${lacking.join(", ")}`;
  return undefined;
}

/**
 * The builds a purpose needs, in order.
 * @param {Purpose} purpose
 * @param {boolean} packets whether real packets are possible on this machine
 * @returns {string[]} names of tools/<name>/build.sh
 */
export function buildsFor(purpose, packets) {
  const builds = purpose === "demo" ? ["controlplane"] : ["controlplane", "helm"];
  return packets ? [...builds, "dataplane"] : builds;
}

/**
 * Whether a failed build stops the set-up. Without the control plane neither the demo
 * nor the tests can run; without helm or felix the demo still runs (predicted grids)
 * and the tests that need them fail saying why. CI stops on any failure.
 * @param {string} name a build of buildsFor()
 * @param {Purpose} purpose
 * @returns {boolean}
 */
export function failedBuildStops(name, purpose) {
  return purpose === "ci" || name === "controlplane";
}

// ---------------------------------------------------------------------------
// The effects: everything below reads the machine, runs commands and prints.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @param {string} text */
const say = (text) => process.stderr.write(`[setup] ${text}\n`);

/** Whether this process has CAP_NET_ADMIN (bit 12 of CapEff). */
function hasCapNetAdmin() {
  if (process.platform !== "linux") return false;
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return capEff !== undefined && (BigInt(`0x${capEff}`) & (1n << 12n)) !== 0n;
}

/** @param {string} tool */
function onPath(tool) {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, tool)));
}

/**
 * @param {string} path
 * @returns {Lockfile | undefined}
 */
function readLockfile(path) {
  if (!existsSync(path)) return undefined;
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined; // unreadable: treated as absent, so npm ci writes it again
  }
  return typeof parsed === "object" && parsed !== null ? /** @type {Lockfile} */ (parsed) : undefined;
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ stdout?: "inherit" | "ignore"; env?: NodeJS.ProcessEnv }} [options]
 * @returns {boolean} whether it exited 0
 */
function run(command, args, options = {}) {
  // Progress on stderr; stdout of build scripts is their result path, not for the user.
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ["ignore", options.stdout === "inherit" ? 2 : "ignore", "inherit"], env: options.env ?? process.env });
  return result.status === 0;
}

/** @returns {boolean} false when the dependencies cannot be installed */
function npmStep() {
  const nodeModules = join(ROOT, "node_modules");
  const decision = depsDecision({
    lock: readLockfile(join(ROOT, "package-lock.json")),
    installed: readLockfile(join(nodeModules, ".package-lock.json")),
    nodeModules: existsSync(nodeModules),
    present: (path) => existsSync(join(ROOT, path)),
  });
  if (decision.kind === "fresh") {
    say(`npm dependencies: up to date (${decision.why})`);
    return true;
  }
  if (decision.kind === "cannot") {
    say(`npm dependencies: cannot install: ${decision.why}`);
    return false;
  }
  say(`npm dependencies: ${decision.why}; running npm ci`);
  if (run("npm", ["ci", "--no-audit", "--no-fund"], { stdout: "inherit" })) return true;
  say("npm dependencies: cannot install: npm ci failed (see above)");
  return false;
}

/** @returns {string[]} the tools still missing afterwards */
function packagesStep() {
  const missingTools = () => TOOL_PACKAGES.map(([tool]) => tool).filter((tool) => !onPath(tool));
  const missing = missingTools();
  const decision = packagesDecision({ missing, platform: process.platform, root: process.getuid?.() === 0, aptGet: onPath("apt-get") });
  if (decision.kind === "none") {
    say("Debian packages: every tool is there (" + TOOL_PACKAGES.map(([tool]) => tool).join(", ") + ")");
    return [];
  }
  if (decision.kind === "cannot") {
    say(`Debian packages: cannot install ${decision.packages.join(" ")}: ${decision.why}`);
    return missing;
  }
  say(`Debian packages: installing ${decision.packages.join(" ")} with apt-get (missing: ${missing.join(", ")})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const ok = run("apt-get", ["update", "-qq"], { env }) && run("apt-get", ["install", "-y", "-qq", ...decision.packages], { env });
  const still = missingTools();
  if (!ok || still.length > 0) say(`Debian packages: cannot install ${decision.packages.join(" ")}: apt-get ${ok ? `left ${still.join(", ")} missing` : "failed (see above)"}`);
  return still;
}

/**
 * @param {Purpose} purpose
 * @param {readonly string[]} missing tools still missing
 * @returns {{ cannot: number; failed: boolean }}
 */
function buildsStep(purpose, missing) {
  const impossible = packetsImpossible({ platform: process.platform, root: process.getuid?.() === 0, capNetAdmin: hasCapNetAdmin(), missing });
  let cannot = 0;
  if (impossible) {
    say(`data plane (calico-felix): not built: real packets are not possible here (${impossible})${purpose === "demo" ? "; the demo shows predicted grids" : ""}`);
    cannot++;
  }
  if (!onPath("go")) {
    say(`builds: cannot build ${buildsFor(purpose, !impossible).join(", ")}: Go is not installed (https://go.dev/dl)`);
    return { cannot: cannot + 1, failed: false };
  }
  for (const name of buildsFor(purpose, !impossible)) {
    say(`${name}: building from Go modules, or reusing the cache (tools/${name}/build.sh)`);
    if (run("bash", [join("tools", name, "build.sh")])) continue;
    const stops = failedBuildStops(name, purpose);
    say(`${name}: cannot build: tools/${name}/build.sh failed (see above)${stops ? "" : name === "dataplane" && purpose === "demo" ? "; the demo shows predicted grids" : "; going on without it"}`);
    if (stops) return { cannot, failed: true };
    cannot++;
  }
  return { cannot, failed: false };
}

/**
 * @param {string[]} argv
 * @returns {number} the exit code
 */
export function main(argv) {
  const purpose = argv.find((a) => !a.startsWith("--"));
  if (purpose !== "test" && purpose !== "demo" && purpose !== "ci") {
    say("usage: node tools/bootstrap.mjs test|demo|ci [--only=npm,packages,builds]");
    return 2;
  }
  const only = argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
  /** @param {Step} step */
  const wanted = (step) => !only || only.includes(step);
  const strict = purpose === "ci";
  if (wanted("npm") && !npmStep()) return 1;
  let missing = TOOL_PACKAGES.map(([tool]) => tool).filter((tool) => !onPath(tool));
  if (wanted("packages")) missing = packagesStep();
  if (strict && missing.length > 0) return 1;
  if (!wanted("builds")) return 0;
  const builds = buildsStep(purpose, missing);
  if (builds.failed || (strict && builds.cannot > 0)) return 1;
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
