import { describe, expect, it } from "@jest/globals";
import { REQUIRED_PACKAGES, REQUIRED_TOOLS } from "../../../src/dataplane/host.js";
import { buildsFor, depsDecision, failedBuildStops, packagesDecision, packetsImpossible, TOOL_PACKAGES } from "../../../tools/bootstrap.mjs";

type Lockfile = NonNullable<Parameters<typeof depsDecision>[0]["lock"]>;

const zod = { version: "4.6.7", integrity: "sha512-zod" };
const jest = { version: "30.5.2", integrity: "sha512-jest" };
const fsevents = { version: "2.3.3", integrity: "sha512-fsevents", optional: true };
const lock: Lockfile = { packages: { "": {}, "node_modules/zod": zod, "node_modules/jest": jest, "node_modules/fsevents": fsevents } };
const installed = (packages: Lockfile["packages"]): Lockfile => ({ packages });
const everything = () => true;

describe("whether node_modules is stale against package-lock.json", () => {
  it.each<[string, Parameters<typeof depsDecision>[0], ReturnType<typeof depsDecision>]>([
    ["no lockfile: nothing to install from", { lock: undefined, installed: undefined, nodeModules: false, present: everything }, { kind: "cannot", why: "there is no package-lock.json to install from" }],
    ["a fresh clone has no node_modules", { lock, installed: undefined, nodeModules: false, present: everything }, { kind: "install", why: "node_modules is missing" }],
    ["node_modules without npm's record of its install", { lock, installed: undefined, nodeModules: true, present: everything }, { kind: "install", why: "node_modules has no record of an npm install (node_modules/.package-lock.json)" }],
    [
      "what npm installed matches the lock (an optional package of another platform left out)",
      { lock, installed: installed({ "node_modules/zod": zod, "node_modules/jest": jest }), nodeModules: true, present: everything },
      { kind: "fresh", why: "node_modules matches package-lock.json" },
    ],
    [
      "a package the lock bumped",
      { lock, installed: installed({ "node_modules/zod": { ...zod, version: "4.6.6" }, "node_modules/jest": jest }), nodeModules: true, present: everything },
      { kind: "install", why: "node_modules is stale against package-lock.json: zod 4.6.6 installed, 4.6.7 locked" },
    ],
    [
      "the same version with another integrity (a re-published or re-resolved tarball)",
      { lock, installed: installed({ "node_modules/zod": { ...zod, integrity: "sha512-other" }, "node_modules/jest": jest }), nodeModules: true, present: everything },
      { kind: "install", why: "node_modules is stale against package-lock.json: zod 4.6.7 installed from another tarball than locked" },
    ],
    [
      "a package the lock added",
      { lock, installed: installed({ "node_modules/zod": zod }), nodeModules: true, present: everything },
      { kind: "install", why: "node_modules is stale against package-lock.json: jest is not installed" },
    ],
    [
      "a package the lock dropped",
      { lock, installed: installed({ "node_modules/zod": zod, "node_modules/jest": jest, "node_modules/jest/node_modules/left-pad": { version: "1.3.0" } }), nodeModules: true, present: everything },
      { kind: "install", why: "node_modules is stale against package-lock.json: left-pad is not in the lockfile" },
    ],
    [
      "a package directory removed by hand",
      { lock, installed: installed({ "node_modules/zod": zod, "node_modules/jest": jest }), nodeModules: true, present: (path) => path !== "node_modules/jest" },
      { kind: "install", why: "node_modules is stale against package-lock.json: node_modules/jest is gone" },
    ],
  ])("%s", (_name, state, expected) => {
    expect(depsDecision(state)).toEqual(expected);
  });
});

describe("what to do about missing tools", () => {
  it.each<[string, Parameters<typeof packagesDecision>[0], ReturnType<typeof packagesDecision>]>([
    ["nothing missing: nothing to do, wherever", { missing: [], platform: "darwin", root: false, aptGet: false }, { kind: "none" }],
    ["root with apt-get installs one package per tool, once", { missing: ["nft", "setpriv", "flock"], platform: "linux", root: true, aptGet: true }, { kind: "install", packages: ["util-linux", "nftables"] }],
    [
      "not root: says the command to run",
      { missing: ["ping"], platform: "linux", root: false, aptGet: true },
      { kind: "cannot", packages: ["iputils-ping"], why: "not running as root: run `sudo apt-get install iputils-ping`" },
    ],
    [
      "no apt-get: another distribution",
      { missing: ["conntrack"], platform: "linux", root: true, aptGet: false },
      { kind: "cannot", packages: ["conntrack"], why: "apt-get is not on the PATH (not Debian or Ubuntu): install them with your package manager" },
    ],
    ["not Linux", { missing: ["ip"], platform: "darwin", root: true, aptGet: false }, { kind: "cannot", packages: ["iproute2"], why: "this is darwin, not Linux" }],
  ])("%s", (_name, machine, expected) => {
    expect(packagesDecision(machine)).toEqual(expected);
  });

  it("covers every tool and package the data plane checks for at run time", () => {
    expect(TOOL_PACKAGES.map(([tool]) => tool)).toEqual(expect.arrayContaining([...REQUIRED_TOOLS]));
    expect(new Set(TOOL_PACKAGES.map(([, pkg]) => pkg))).toEqual(new Set([...REQUIRED_PACKAGES.split(" "), "openssl", "git"]));
  });
});

describe("whether real packets are possible, and what gets built", () => {
  it.each<[string, Parameters<typeof packetsImpossible>[0], string | undefined]>([
    ["root on Linux with every tool", { platform: "linux", root: true, capNetAdmin: true, missing: [] }, undefined],
    ["a missing tool only the control plane needs does not matter", { platform: "linux", root: true, capNetAdmin: true, missing: ["openssl"] }, undefined],
    ["not Linux", { platform: "darwin", root: true, capNetAdmin: true, missing: [] }, "the data plane needs Linux network namespaces"],
    ["not root", { platform: "linux", root: false, capNetAdmin: false, missing: [] }, "the data plane needs root with CAP_NET_ADMIN"],
    ["root in a container without CAP_NET_ADMIN", { platform: "linux", root: true, capNetAdmin: false, missing: [] }, "the data plane needs root with CAP_NET_ADMIN"],
    ["tools missing", { platform: "linux", root: true, capNetAdmin: true, missing: ["nft", "ping"] }, "missing nft, ping"],
  ])("%s", (_name, machine, expected) => {
    expect(packetsImpossible(machine)).toBe(expected);
  });

  it.each<[string, "test" | "demo" | "ci", boolean, string[]]>([
    ["the demo needs the control plane, and felix for real packets", "demo", true, ["controlplane", "dataplane"]],
    ["the demo without real packets needs the control plane only", "demo", false, ["controlplane"]],
    ["the tests need helm for the chart", "test", true, ["controlplane", "helm", "dataplane"]],
    ["CI builds what the tests need", "ci", false, ["controlplane", "helm"]],
  ])("%s", (_name, purpose, packets, expected) => {
    expect(buildsFor(purpose, packets)).toEqual(expected);
  });

  it.each<[string, string, "test" | "demo" | "ci", boolean]>([
    ["without the control plane nothing runs", "controlplane", "demo", true],
    ["without felix the demo still runs, predicted", "dataplane", "demo", false],
    ["without helm the other tests still run", "helm", "test", false],
    ["CI stops on any failed build", "dataplane", "ci", true],
  ])("a failed build: %s", (_name, build, purpose, stops) => {
    expect(failedBuildStops(build, purpose)).toBe(stops);
  });
});
