/** `netfence run` as a separate process, as users run it: its metrics, readiness and RSS. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { freePort } from "../../src/controlplane/process.js";
import type { Limits } from "./kube.js";
import { until } from "./report.js";

const BIN = fileURLToPath(new URL("../../../bin/netfence.js", import.meta.url));
const MANIFESTS = fileURLToPath(new URL("../../../deploy/manifests/netfence.yaml", import.meta.url));

interface DeploymentDoc {
  kind?: string;
  spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } };
}

/**
 * The NODE_OPTIONS the chart's Deployment sets with its default values (the
 * raw manifests are rendered from it): the operator is measured as deployed.
 */
export function deployedNodeOptions(): string | undefined {
  for (const doc of parseAllDocuments(readFileSync(MANIFESTS, "utf8"))) {
    const obj = doc.toJS() as DeploymentDoc | null;
    if (obj?.kind !== "Deployment") continue;
    return obj.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === "NODE_OPTIONS")?.value;
  }
  return undefined;
}

export class OperatorProcess {
  private output = "";
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly healthPort: number,
    readonly metricsPort: number,
    readonly args: string[],
    /** The V8 flags it runs with. */
    readonly nodeOptions: string,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (c: string) => this.keep(c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => this.keep(c));
    this.exited = new Promise((ok) => child.on("exit", (code) => ok(code)));
  }

  static async start(kubeconfig: string, namespace: string, limits: Limits, extra: string[] = []): Promise<OperatorProcess> {
    const [health, metrics] = await Promise.all([freePort(), freePort()]);
    const args = [
      "run",
      "--kubeconfig", kubeconfig,
      "--namespace", namespace,
      "--qps", String(limits.qps),
      "--burst", String(limits.burst),
      "--concurrency", String(limits.concurrency),
      "--write-concurrency", String(limits.writeConcurrency),
      "--metrics-addr", `127.0.0.1:${String(metrics)}`,
      "--health-addr", `127.0.0.1:${String(health)}`,
      "--log-level", "warn",
      ...extra,
    ];
    // The deployment's V8 flags, unless NETFENCE_BENCH_OPERATOR_NODE_OPTIONS says otherwise ("" for none).
    const nodeOptions = process.env.NETFENCE_BENCH_OPERATOR_NODE_OPTIONS ?? deployedNodeOptions() ?? "";
    const env = { ...process.env, NODE_OPTIONS: nodeOptions };
    return new OperatorProcess(spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env }), health, metrics, args, nodeOptions);
  }

  private keep(chunk: string): void {
    this.output = (this.output + chunk).slice(-200_000);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  logs(lines = 30): string {
    return this.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  async ready(timeoutMs = 120_000): Promise<this> {
    await until(async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`operator exited during startup:\n${this.logs()}`);
      const res = await fetch(`http://127.0.0.1:${String(this.healthPort)}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    }, "the operator to be ready (caches synced)", timeoutMs, 100);
    return this;
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${String(this.metricsPort)}/metrics`, { signal: AbortSignal.timeout(5000) });
    return res.text();
  }

  /** Sum of every sample of a metric whose labels contain `labels`. */
  async metric(name: string, labels = ""): Promise<number> {
    const text = await this.metricsText();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.split(" ").pop());
    }
    return sum;
  }

  /** VmRSS of the process in MiB, from /proc. */
  rssMiB(): number {
    const status = readFileSync(`/proc/${String(this.pid)}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
