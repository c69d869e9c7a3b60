/** `netfence run` as a child process for the demo: health and metrics on free loopback ports, logs kept for errors. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../controlplane/process.js";

export class OperatorProcess {
  private output = "";
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly healthPort: number,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (this.output += c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (this.output += c));
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  static async start(root: string, kubeconfig: string, namespace: string): Promise<OperatorProcess> {
    const [healthPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    const args = [
      join(root, "bin", "netfence.js"),
      "run",
      `--kubeconfig=${kubeconfig}`,
      `--namespace=${namespace}`,
      `--health-addr=127.0.0.1:${String(healthPort)}`,
      `--metrics-addr=127.0.0.1:${String(metricsPort)}`,
      "--log-level=info",
    ];
    return new OperatorProcess(spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] }), healthPort);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits for /readyz (every cache synced); throws with the log tail when it exits or times out. */
  async ready(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal.throwIfAborted();
      if (this.child.exitCode !== null) throw new Error(`netfence run exited ${String(this.child.exitCode)}:\n${this.logs()}`);
      const status = await fetch(`http://127.0.0.1:${String(this.healthPort)}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`netfence run not ready after ${String(timeoutMs / 1000)}s:\n${this.logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  logs(lines = 30): string {
    return this.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
