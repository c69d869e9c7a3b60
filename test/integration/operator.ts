/**
 * The operator as a black box: `netfence run` started as its own process
 * against the run's control plane, with its health, metrics and logs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../../src/controlplane/process.js";
import { eventually, kubeconfigPath } from "./helpers.js";

const BIN = fileURLToPath(new URL("../../bin/netfence.js", import.meta.url));

export interface OperatorOptions {
  /** netfence's own namespace (Lease, never isolated). */
  namespace: string;
  /** Only profiles with this label selector: keeps concurrently running test files apart. */
  profileSelector: string;
  leaderElect?: boolean;
  extraArgs?: string[];
  kubeconfig?: string;
}

export class Operator {
  private output = "";
  private exitCode: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly healthPort: number,
    readonly metricsPort: number,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (c: string) => (this.output += c));
    child.stderr?.setEncoding("utf8").on("data", (c: string) => (this.output += c));
    this.exitCode = new Promise((ok) => child.on("exit", (code) => ok(code)));
  }

  static async start(options: OperatorOptions): Promise<Operator> {
    const [healthPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    const args = [
      BIN,
      "run",
      `--kubeconfig=${options.kubeconfig ?? kubeconfigPath()}`,
      `--namespace=${options.namespace}`,
      `--profile-selector=${options.profileSelector}`,
      `--health-addr=127.0.0.1:${String(healthPort)}`,
      `--metrics-addr=127.0.0.1:${String(metricsPort)}`,
      "--log-level=debug",
      ...(options.leaderElect ? ["--leader-elect"] : []),
      ...(options.extraArgs ?? []),
    ];
    const op = new Operator(spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] }), healthPort, metricsPort);
    return op;
  }

  /** Waits for /readyz (all caches synced). */
  async ready(timeoutMs = 30_000): Promise<this> {
    await eventually(async () => ((await this.get(this.healthPort, "/readyz")).status === 200 ? true : undefined), `operator ready; logs:\n${this.logs(30)}`, timeoutMs);
    return this;
  }

  private async get(port: number, path: string): Promise<{ status: number; body: string }> {
    try {
      const res = await fetch(`http://127.0.0.1:${String(port)}${path}`, { signal: AbortSignal.timeout(2000) });
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 0, body: "" };
    }
  }

  /** One sample of a Prometheus metric (first matching line), or undefined. */
  async metric(name: string, labels = ""): Promise<number | undefined> {
    const { body } = await this.get(this.metricsPort, "/metrics");
    const line = body.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `) || (!labels && l.startsWith(`${name}{`)));
    return line === undefined ? undefined : Number(line.split(" ").pop());
  }

  logs(lines = 200): string {
    return this.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Log lines as parsed pino JSON objects. */
  logRecords(): Record<string, unknown>[] {
    return this.output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exitCode;
  }

  exited(): Promise<number | null> {
    return this.exitCode;
  }
}

export interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/** Mutating requests recorded by the control plane's audit log (flushed about every second). */
export function auditEvents(filter: (e: AuditEvent) => boolean): AuditEvent[] {
  const path = process.env.NETFENCE_TEST_AUDIT_LOG;
  if (!path) throw new Error("NETFENCE_TEST_AUDIT_LOG is not set");
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter(filter);
}
