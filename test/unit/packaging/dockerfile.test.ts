/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what
 * can be checked: the file keeps its shape (multi-stage, Node 20, distroless,
 * uid 65532, the entry point), the build context carries what the build
 * copies, and the production install the image ships (npm ci --omit=dev of
 * package.json + lock, plus bin/, dist/ and crds/) starts and answers --help.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ROOT } from "./helm.js";

interface Instruction {
  op: string;
  args: string;
}

function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

const all = instructions(readFileSync(`${ROOT}Dockerfile`, "utf8"));
const lastFrom = all.map((i) => i.op).lastIndexOf("FROM");
const build = all.slice(0, lastFrom);
const runtime = all.slice(lastFrom);

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
});

describe("the production install", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "netfence-image-"));
    for (const path of ["package.json", "package-lock.json", "bin", "dist", "crds"]) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
    execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, stdio: "pipe" });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has no development dependencies", () => {
    for (const dev of ["typescript", "jest", "eslint", "ts-jest"]) expect(existsSync(join(dir, "node_modules", dev))).toBe(false);
    expect(existsSync(join(dir, "node_modules", "@kubernetes", "client-node"))).toBe(true);
  });

  it.each([
    [["--help"], "Usage: netfence <command>"],
    [["run", "--help"], "--leader-elect"],
  ])("the entry point answers %j", (args, expected) => {
    const r = spawnSync(process.execPath, ["bin/netfence.js", ...args], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(expected);
    expect(r.status).toBe(0);
  });
});
