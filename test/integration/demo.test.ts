/**
 * `netfence demo` end to end, as a user runs it: its own control plane, the
 * real operator, the five walkthrough states. Every printed verdict must say
 * the grid matches the walkthrough, and the final line must count 5/5.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "@jest/globals";

const BIN = fileURLToPath(new URL("../../bin/netfence.js", import.meta.url));
const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("netfence demo", () => {
  it("reproduces every state of the walkthrough, ICMP and TCP/80", async () => {
    const started = Date.now();
    const { stdout, stderr } = await run(process.execPath, [BIN, "demo"], { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    const walk = /demo took ([\d.]+)s after the control plane was up/.exec(stderr);
    process.stderr.write(`[demo] ${walk?.[0] ?? "no timing line"}; whole run ${((Date.now() - started) / 1000).toFixed(1)}s\n`);

    expect(stdout).toContain("walkthrough reproduced: 5/5 states match");
    // Six grids: s1–s5 plus s5 after labelling nginx3, each with both protocols as in the walkthrough.
    const verdicts = stdout.split("\n").filter((l) => l.includes("probes as in the walkthrough"));
    expect(verdicts).toEqual(Array(6).fill("✓ ICMP (ping): 12/12 probes as in the walkthrough   ✓ TCP/80: 12/12 probes as in the walkthrough"));
    for (const name of ["s2-deny-ingress", "s3-deny-all", "s4-ipblock-except", "s5-same-namespace-label"]) {
      expect(stdout).toMatch(new RegExp(`^walkthrough-${name}\\s+\\S+\\s+Enforce\\s+1\\s+1\\s+0\\s+True\\s`, "m"));
    }
  }, 320_000);

  it("cleans up on Ctrl-C: exits 130 and stops the operator and the control plane", async () => {
    const child = spawn(process.execPath, [BIN, "demo"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Interrupt in the middle of the walk, once the operator runs.
    const deadline = Date.now() + 60_000;
    while (!out.includes("── s2") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(err).toContain("interrupted; cleaning up");
    expect(err).toContain("cleaning up: stopping the operator and the control plane");
    const dir = /export KUBECONFIG=(\S+)\/kubeconfig/.exec(out)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir!)).toBe(false);
    const pid = Number(/\(pid (\d+)\)/.exec(out)?.[1]);
    expect(alive(pid)).toBe(false);
  });
});
