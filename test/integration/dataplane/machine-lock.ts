/**
 * The packet tests' turn on this machine. dataplane.test.ts and demo.test.ts
 * each bring up a data plane (one per machine: one felix, one pod range), and
 * Jest runs test files in parallel workers when the machine has more than two
 * cores. Each file holds this lock from its first test to its last; the other
 * waits. The lock is flock(1) on a file in the temporary directory, held by a
 * child process whose stdin is the test worker's: the kernel releases it when
 * the holder closes stdin or the worker dies, so no stale lock outlives a run.
 * (With two cores Jest runs the files one after another and nobody waits.)
 */
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LOCK = join(tmpdir(), "netfence-packet-tests.lock");

export interface MachineTurn {
  /** Seconds spent waiting for the other file. */
  waitedSeconds: number;
  release(): Promise<void>;
}

/** Waits (at most `timeoutMs`) until no other packet test file holds the machine, then holds it. */
export async function takePacketMachine(timeoutMs: number): Promise<MachineTurn> {
  const started = Date.now();
  const holder = spawn("flock", ["-x", "-w", String(Math.ceil(timeoutMs / 1000)), LOCK, "sh", "-c", "echo held; exec cat >/dev/null"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => holder.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = "";
    holder.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("held\n")) resolve();
    });
    holder.on("error", reject);
    void exited.then((code) => reject(new Error(`another packet test file held ${LOCK} for more than ${String(timeoutMs / 1000)}s (flock exited ${String(code)})`)));
  });
  return {
    waitedSeconds: (Date.now() - started) / 1000,
    release: async () => {
      holder.stdin.end();
      await exited;
    },
  };
}
