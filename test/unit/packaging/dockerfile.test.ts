/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what
 * can be checked: the file keeps its shape (multi-stage, Node 20, distroless,
 * uid 65532, the entry point), the build context carries what the build
 * copies, and the production install the image ships (npm ci --omit=dev of
 * package.json + lock, plus bin/, crds/ and dist/ without the development
 * harness the build stage removes) starts, runs the operator's commands and
 * says in one line that the development commands are not there.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { developmentCommands } from "../../../src/cli/development.js";
import { ROOT } from "./helm.js";
import { BUILD_STAGE as build, DOCKERFILE as all, IMAGE_OMITS, omittedBy, omittedFromImage, RUNTIME_STAGE as runtime } from "./image.js";

/** The built dist/, relative to the package root. */
const builtFiles = readdirSync(join(ROOT, "dist"), { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => relative(ROOT, join(e.parentPath, e.name)));

describe("Dockerfile", () => {
  it("builds on Node 20 with npm ci and tsc, then prunes to production dependencies", () => {
    expect(build[0]).toEqual({ op: "FROM", args: expect.stringMatching(/^node:20[-.\w]* AS build$/) as unknown as string });
    const runs = build.filter((i) => i.op === "RUN").map((i) => i.args);
    expect(runs.join(" && ")).toMatch(/npm ci .*npm run build .*npm prune --omit=dev/);
  });

  it("runs on distroless Node 20 as uid 65532, never as root", () => {
    expect(runtime[0]?.args).toMatch(/^gcr\.io\/distroless\/nodejs20-debian12(:nonroot)?$/);
    const users = runtime.filter((i) => i.op === "USER").map((i) => i.args);
    expect(users).toEqual(["65532:65532"]);
    expect(runtime.some((i) => i.op === "RUN")).toBe(false); // no shell in distroless: nothing runs as root at build time either
  });

  it("starts the operator through bin/netfence.js, `run` by default", () => {
    const entry = runtime.find((i) => i.op === "ENTRYPOINT")?.args;
    const cmd = runtime.find((i) => i.op === "CMD")?.args;
    expect(JSON.parse(entry ?? "null")).toEqual(["/nodejs/bin/node", "bin/netfence.js"]);
    expect(JSON.parse(cmd ?? "null")).toEqual(["run"]);
  });

  it("copies into the runtime exactly what the production install below holds", () => {
    const copied = runtime.filter((i) => i.op === "COPY").map((i) => i.args.split(/\s+/).filter((a) => !a.startsWith("--"))[0]);
    expect(copied.sort()).toEqual(["/src/dist", "/src/node_modules", "/src/package.json", "bin", "crds"]);
  });

  it("sends the build context only what the build copies", () => {
    const ignore = readFileSync(`${ROOT}.dockerignore`, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, "").replace(/\/$/, ""));
    const sources = all.filter((i) => i.op === "COPY" && !i.args.includes("--from")).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of sources) expect(allowed).toContain(source);
    for (const path of allowed) expect(existsSync(join(ROOT, path))).toBe(true);
  });

  it("removes the development harness from dist/ in the build stage, naming only paths the build makes", () => {
    expect(IMAGE_OMITS).toEqual(expect.arrayContaining(["dist/controlplane", "dist/dataplane", "dist/demo"]));
    const removed = new Set(builtFiles.map(omittedBy));
    expect(IMAGE_OMITS.filter((omit) => !removed.has(omit))).toEqual([]); // `rm -r` of a missing path would fail the build
  });
});

describe("the production install", () => {
  let dir = "";
  const netfence = (...args: string[]) =>
    spawnSync(process.execPath, ["bin/netfence.js", ...args], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "netfence-image-"));
    const copy = (src: string) => !omittedFromImage(relative(ROOT, src));
    for (const path of ["package.json", "package-lock.json", "bin", "dist", "crds"]) cpSync(join(ROOT, path), join(dir, path), { recursive: true, filter: copy });
    execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, stdio: "pipe" });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has no development dependencies", () => {
    for (const dev of ["typescript", "jest", "eslint", "ts-jest"]) expect(existsSync(join(dir, "node_modules", dev))).toBe(false);
    expect(existsSync(join(dir, "node_modules", "@kubernetes", "client-node"))).toBe(true);
  });

  it("holds dist/ without the development harness, as the image does", () => {
    const held = builtFiles.filter((f) => existsSync(join(dir, f)));
    expect(held).toEqual(builtFiles.filter((f) => !omittedFromImage(f)));
    expect(held).toContain("dist/cli/index.js");
    expect(held.filter((f) => /^dist\/(controlplane|dataplane|demo)\//.test(f))).toEqual([]);
  });

  it("loads every module it keeps: none needs one the image leaves out", () => {
    const modules = builtFiles.filter((f) => f.endsWith(".js") && !omittedFromImage(f));
    const script = `for (const m of ${JSON.stringify(modules.map((m) => `./${m}`))}) await import(m);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  const walkthrough = (path: string) => join(ROOT, "test/fixtures/walkthrough", path);
  it.each<[string, string[], string]>([
    ["--help lists every command", ["--help"], "Development commands (the npm package and the repository; not in the container image):"],
    ["run --help", ["run", "--help"], "--leader-elect"],
    ["render", ["render", "-f", join(ROOT, "deploy/samples/walkthrough"), "-f", walkthrough("cluster.yaml")], "kind: NetworkPolicy"],
    ["check", ["check", "-f", walkthrough("cluster.yaml"), "-f", walkthrough("s4-ipblock-except/policy.yaml"), "--from", "test/nginx4", "--to", "dev/nginx1"], "allowed: test/nginx4 → dev/nginx1 TCP/80"],
    ["matrix --help", ["matrix", "--help"], "Usage: netfence matrix"],
    ["explain --help", ["explain", "--help"], "Usage: netfence explain"],
  ])("answers %s", (_name, args, expected) => {
    const r = netfence(...args);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(expected);
    expect(r.status).toBe(0);
  });

  it.each([["controlplane", "up"], ...developmentCommands.map((c) => [c.name, "--help"])])("says in one line that `netfence %s %s` is not in the image", (...args) => {
    const r = netfence(...args);
    expect(r.stderr).toBe(`netfence ${args[0] ?? ""}: a development command, not in the container image; it comes with the npm package and the repository\n`);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });
});
