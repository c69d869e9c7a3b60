/**
 * calico-felix as a child process in Kubernetes-datastore mode, one node,
 * nftables mode, with the environment the notes found to work
 * (../shared/notes/dataplane.md). Ready when its health endpoint says so.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { freePort, tail } from "../controlplane/process.js";
import { Child } from "./child.js";

export interface FelixStart {
  binary: string;
  kubeconfig: string;
  node: string;
  /** The run's directory: felix.log and endpoint status files go here. */
  dir: string;
}

export class FelixProcess {
  private constructor(
    private readonly child: Child,
    private readonly log: WriteStream,
    readonly logPath: string,
    readonly healthPort: number,
  ) {}

  static async start(options: FelixStart): Promise<FelixProcess> {
    const healthPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      KUBECONFIG: options.kubeconfig,
      FELIX_DATASTORETYPE: "kubernetes",
      FELIX_FELIXHOSTNAME: options.node,
      FELIX_IPV6SUPPORT: "false",
      FELIX_BPFENABLED: "false",
      FELIX_XDPENABLED: "false",
      FELIX_USAGEREPORTINGENABLED: "false",
      FELIX_ROUTESOURCE: "WorkloadIPs",
      FELIX_IPTABLESBACKEND: "NFT",
      FELIX_NFTABLESMODE: "Enabled",
      FELIX_DEFAULTENDPOINTTOHOSTACTION: "ACCEPT",
      FELIX_ENDPOINTSTATUSPATHPREFIX: join(options.dir, "felix-status"),
      FELIX_HEALTHENABLED: "true",
      FELIX_HEALTHHOST: "127.0.0.1",
      FELIX_HEALTHPORT: String(healthPort),
      FELIX_LOGFILEPATH: "none",
      FELIX_LOGSEVERITYSYS: "none",
      FELIX_LOGSEVERITYSCREEN: "info",
      // Mandatory for the CGO-off build: without it felix panics in a libbpf stub at start.
      FELIX_DebugSkipCTLBCleanup: "true",
    };
    const logPath = join(options.dir, "felix.log");
    const log = createWriteStream(logPath, { flags: "a" });
    const child = new Child("calico-felix", options.binary, [], { env });
    child.process.stdout?.pipe(log, { end: false });
    child.process.stderr?.pipe(log, { end: false });
    return new FelixProcess(child, log, logPath, healthPort);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Until felix's /readiness answers 200; throws with its log tail if it exits or the time is up. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exit !== undefined) throw new Error(`calico-felix ${this.child.exit}; last log lines:\n${tail(this.logPath)}`);
      const status = await fetch(`http://127.0.0.1:${String(this.healthPort)}/readiness`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`calico-felix not ready after ${String(timeoutMs / 1000)}s; last log lines:\n${tail(this.logPath)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  get exit(): string | undefined {
    return this.child.exit;
  }

  async stop(): Promise<void> {
    await this.child.stop(5000);
    this.log.end();
  }
}
