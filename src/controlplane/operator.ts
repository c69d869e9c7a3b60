/**
 * `netfence run` as a child process against a local control plane, as users
 * run it: its readiness, metrics, logs and resident memory. One harness for
 * the demo, the integration tests and the benchmarks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../lib/package-root.js";
import { freePort } from "./process.js";

export interface OperatorStart {
  kubeconfig: string;
  /** netfence's own namespace (Lease, never isolated). */
  namespace: string;
  /** More `netfence run` flags. */
  args?: readonly string[];
  /** Default info. */
  logLevel?: string;
  /** NODE_OPTIONS of the operator process; default: this process's environment. */
  nodeOptions?: string;
  /** The package root holding bin/netfence.js; default: netfence's own. */
  root?: string;
}

/** Log output kept per process (the tail): enough for a test's whole run. */
const KEEP_CHARS = 4_000_000;

export class OperatorProcess {
  private output = "";
  private readonly exit: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly healthPort: number,
    readonly metricsPort: number,
    /** The `netfence run` arguments. */
    readonly args: readonly string[],
    /** The V8 flags it runs with ("" for none). */
    readonly nodeOptions: string,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (c: string) => this.keep(c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => this.keep(c));
    this.exit = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  static async start(options: OperatorStart): Promise<OperatorProcess> {
    const [healthPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    const args = [
      "run",
      `--kubeconfig=${options.kubeconfig}`,
      `--namespace=${options.namespace}`,
      `--health-addr=127.0.0.1:${String(healthPort)}`,
      `--metrics-addr=127.0.0.1:${String(metricsPort)}`,
      `--log-level=${options.logLevel ?? "info"}`,
      ...(options.args ?? []),
    ];
    const nodeOptions = options.nodeOptions ?? process.env.NODE_OPTIONS ?? "";
    const bin = join(options.root ?? packageRoot, "bin", "netfence.js");
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: nodeOptions } });
    return new OperatorProcess(child, healthPort, metricsPort, args, nodeOptions);
  }

  private keep(chunk: string): void {
    this.output += chunk;
    if (this.output.length > KEEP_CHARS) this.output = this.output.slice(this.output.indexOf("\n", this.output.length - KEEP_CHARS) + 1);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the exit code (null after a signal). */
  exited(): Promise<number | null> {
    return this.exit;
  }

  /** Waits for /readyz (every cache synced); throws with the log tail when the process exits or the time is up. */
  async ready(timeoutMs = 120_000, signal?: AbortSignal): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`netfence run exited (${String(this.child.exitCode ?? this.child.signalCode)}):\n${this.logs()}`);
      if ((await this.get(this.healthPort, "/readyz")).status === 200) return this;
      if (Date.now() > deadline) throw new Error(`netfence run not ready after ${String(timeoutMs / 1000)}s:\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async get(port: number, path: string): Promise<{ status: number; body: string }> {
    try {
      const res = await fetch(`http://127.0.0.1:${String(port)}${path}`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 0, body: "" };
    }
  }

  /** The /metrics text; "" when it cannot be read. */
  async metricsText(): Promise<string> {
    return (await this.get(this.metricsPort, "/metrics")).body;
  }

  /**
   * The sum of the samples of a metric whose labels contain `labels`
   * (e.g. `result="success"`), or undefined when it has none (yet).
   */
  async metric(name: string, labels = ""): Promise<number | undefined> {
    let sum: number | undefined;
    for (const line of (await this.metricsText()).split("\n")) {
      if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
      if (labels && !line.slice(name.length).split(" ")[0]?.includes(labels)) continue;
      sum = (sum ?? 0) + Number(line.split(" ").pop());
    }
    return sum;
  }

  logs(lines = 30): string {
    return this.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Log lines as parsed pino JSON objects. */
  logRecords(): Record<string, unknown>[] {
    return this.output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** VmRSS in MiB, from /proc. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${String(this.pid)}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }

  /** Sends `signal` (SIGTERM: a clean shutdown) and waits for the exit; SIGKILL after `killAfterMs` if it is still running. */
  async stop(signal: NodeJS.Signals = "SIGTERM", killAfterMs = 30_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), killAfterMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}
