/**
 * A one-node Calico data plane next to a control plane: Calico's CRDs and
 * start-up objects, a Node, calico-felix as a child process, and pods as
 * network namespaces with an agent each that answers and sends probes.
 *
 * Safety (../shared/notes/dataplane.md): one run per machine (record.ts); the
 * pod range is routed to a blackhole before the first pod address exists;
 * packets only flow between namespaces this run created; stop() removes every
 * namespace, link, route, table, chain, set and file of the run and stops its
 * processes by their pid; a crashed run's leftovers are swept at the next start.
 * Calico state the run did not record as its own (calico-state.ts) is never
 * removed: the run refuses to start beside it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { requestJson } from "../io/client.js";
import { loadKubeConfig } from "../io/kubeconfig.js";
import { silentLogger, type Logger } from "../observability/logger.js";
import type { Pod } from "../k8s/objects.js";
import { applyCalicoStartupObjects, createBoundPod, createNode, deleteNode, installCalicoCrds } from "./api.js";
import { ensureFelix, type Felix } from "./binary.js";
import { foreignStateMessage, isEmpty, ownerOf } from "./calico-state.js";
import { ANP_PATH, Canary, CANARY_LABEL } from "./canary.js";
import { FelixProcess } from "./felix-process.js";
import {
  addBlackhole,
  calicoState,
  enableForwarding,
  FELIX_STATE_DIR,
  flushConntrack,
  removeFelixFiles,
  removeFelixState,
  removeOwnRoutes,
  restoreForwarding,
  unsupportedReason,
} from "./host.js";
import { inRange, numberToIp, parseRange, type Range } from "./ipv4.js";
import { netnsName, newRunId, nodeName, runOfNetns, vethName } from "./names.js";
import { PodAgent } from "./pod-agent.js";
import { probeWithRetry, type ProbeResult, type ProbeSpec } from "./probe.js";
import { acquireWaiting, release, updateRecord, type RunRecord } from "./record.js";
import { listNetns, unwirePod, wirePod } from "./wiring.js";

export const DEFAULT_POD_CIDR = "10.3.0.0/16";

export interface DataPlaneOptions {
  kubeconfig: string;
  /** The pod range, routed to a blackhole for the run; default 10.3.0.0/16 (the walkthrough's). */
  podCidr?: string;
  log?: Logger;
  /** A felix build; default: build on first use (tools/dataplane/build.sh). */
  felix?: Felix;
  /** How long to wait for another run on this machine to end; default 0 (fail at once). */
  waitForMachineMs?: number;
}

export interface DataPlanePod {
  namespace: string;
  name: string;
  ip: string;
  netns: string;
  veth: string;
  agent: PodAgent;
}

export class DataPlaneUnsupportedError extends Error {
  override name = "DataPlaneUnsupportedError";
}

/**
 * Sweeps what a run left: every namespace with netfence's prefix and routes
 * with its protocol; with a stale record also the Calico state and files that
 * record claims (only when it says its run started felix on a clean machine).
 */
async function sweep(stale: RunRecord | undefined, log: Logger): Promise<void> {
  const leftovers = (await listNetns()).filter((ns) => runOfNetns(ns) !== undefined);
  for (const ns of leftovers) await unwirePod(ns);
  await removeOwnRoutes();
  if (leftovers.length > 0) log.warn({ netns: leftovers.length }, "Removed network namespaces a crashed data-plane run left");
  if (!stale) return;
  log.warn({ run: stale.runId, pid: stale.pid }, "Cleaning up after a data-plane run that did not stop");
  if (ownerOf(await calicoState(), stale) === "crashed-run") await removeFelixState();
  await flushConntrack(stale.podCidr);
  await removeFelixFiles(stale.felixStarted === true && stale.createdFelixStateDir);
  await restoreForwarding(stale.ipForward);
  await rm(stale.dir, { recursive: true, force: true });
}

/** Refuses (one line) when the machine has Calico state: felix starts only where all it programs will be the run's. */
async function assertNoCalicoState(): Promise<void> {
  const state = await calicoState();
  if (!isEmpty(state)) throw new DataPlaneUnsupportedError(foreignStateMessage(state));
}

export class DataPlane {
  readonly node: string;
  private readonly pods = new Map<string, DataPlanePod>();
  private readonly used = new Set<string>();
  private readonly range: Range;
  private nextIp: number;
  private netnsCount = 0;
  private felix: FelixProcess | undefined;
  private canary: Canary | undefined;
  private record: RunRecord | undefined;
  private stopped = false;

  private constructor(
    readonly runId: string,
    readonly kc: KubeConfig,
    readonly kubeconfig: string,
    readonly podCidr: string,
    readonly dir: string,
    private readonly log: Logger,
  ) {
    this.node = nodeName(runId);
    this.range = parseRange(podCidr);
    this.nextIp = this.range.first + 10;
  }

  get canaryNamespace(): string {
    return `netfence-dataplane-canary-${this.runId}`;
  }

  /** The canary's AdminNetworkPolicy (canary.ts), where the API serves the kind: named as its namespace. */
  get canaryAdminName(): string {
    return this.canaryNamespace;
  }

  static async start(options: DataPlaneOptions): Promise<DataPlane> {
    const reason = unsupportedReason();
    if (reason) throw new DataPlaneUnsupportedError(reason);
    const log = options.log ?? silentLogger();
    const felix = options.felix ?? (await ensureFelix());
    const runId = newRunId();
    const dir = await mkdtemp(join(tmpdir(), `netfence-dataplane-${runId}-`));
    const plane = new DataPlane(runId, loadKubeConfig({ kubeconfig: options.kubeconfig }), options.kubeconfig, options.podCidr ?? DEFAULT_POD_CIDR, dir, log);
    try {
      await plane.takeMachine(options.waitForMachineMs ?? 0);
      await plane.bringUp(felix);
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  private async takeMachine(waitMs: number): Promise<void> {
    const record: RunRecord = {
      runId: this.runId,
      pid: process.pid,
      podCidr: this.podCidr,
      ipForward: "0",
      createdFelixStateDir: !existsSync(FELIX_STATE_DIR),
      dir: this.dir,
      startedAt: new Date().toISOString(),
    };
    await acquireWaiting(record, (stale) => sweep(stale, this.log), waitMs);
    this.record = record;
    // After the sweep: a crashed run's /var/lib/calico is gone by now, so this run owns the one felix creates.
    record.createdFelixStateDir = !existsSync(FELIX_STATE_DIR);
    await updateRecord(record);
    try {
      // What is left after the sweep belongs to nobody this run may touch.
      await assertNoCalicoState();
    } catch (err) {
      this.record = undefined;
      await release(this.runId);
      throw err;
    }
  }

  private async bringUp(felix: Felix): Promise<void> {
    if (!this.record) throw new Error("the machine is not taken");
    // Nothing for the pod range may leave the machine: blackhole first, before any pod address exists.
    await addBlackhole(this.podCidr);
    this.record.ipForward = await enableForwarding();
    await updateRecord(this.record);
    const t0 = Date.now();
    const crds = await installCalicoCrds(this.kc, felix.crds);
    await applyCalicoStartupObjects(this.kc);
    await createNode(this.kc, this.node);
    this.log.info({ crds, ms: Date.now() - t0 }, "Installed Calico CRDs and start-up objects");
    // Recorded before felix starts, so a crash from here on is swept; checked again, as something may have started since.
    await assertNoCalicoState();
    this.record.felixStarted = true;
    await updateRecord(this.record);
    this.felix = await FelixProcess.start({ binary: felix.binary, kubeconfig: this.kubeconfig, node: this.node, dir: this.dir });
    await this.felix.ready();
    this.log.info({ pid: this.felix.pid, node: this.node, ms: Date.now() - t0 }, "calico-felix ready");
    await this.startCanary();
  }


  private async startCanary(): Promise<void> {
    const namespace = this.canaryNamespace;
    await requestJson(this.kc, "POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }, timeoutMs: 30_000 });
    const last = this.range.first + this.range.size - 2;
    const pods = ["canary-a", "canary-c", "canary-b"].map((name, i) => ({
      pod: { metadata: { name, namespace, labels: { [CANARY_LABEL]: name === "canary-b" ? "dst-canary-b" : "none" } } },
      ip: numberToIp(last - i),
    }));
    await this.addPods(pods);
    this.canary = new Canary(this.kc, { namespace, sources: ["canary-a", "canary-c"], destination: "canary-b", adminName: this.canaryAdminName }, async (from, to) => {
      const result = await this.probe({ from, to, protocol: "ICMP" }, { retryDenied: false, timeoutMs: 300 });
      return result.allowed;
    });
    const ms = await this.canary.sync();
    this.log.info({ ms }, "Canary programmed: felix enforces policies");
  }

  /** Until felix has programmed every pod, namespace and NetworkPolicy written before this call. Returns its milliseconds. */
  async sync(timeoutMs = 60_000): Promise<number> {
    if (!this.canary) throw new Error("the data plane is not running");
    return this.canary.sync(timeoutMs);
  }

  /** A free address of the pod range. */
  allocateIp(): string {
    for (;;) {
      const ip = numberToIp(this.nextIp++);
      if (!this.used.has(ip)) return ip;
    }
  }

  /**
   * Pods on this node: each a network namespace wired as Calico CNI wires it
   * with an agent inside, then the API pod bound to the node with its IP set
   * through the status subresource. Their namespaces must exist.
   */
  async addPods(pods: readonly { pod: Pod; ip?: string }[]): Promise<DataPlanePod[]> {
    if (this.stopped) throw new Error("the data plane has stopped");
    const prepared = pods.map(({ pod, ip }) => {
      const address = ip ?? this.allocateIp();
      if (!inRange(this.range, address)) throw new Error(`${address}: outside the data plane's pod range ${this.podCidr}`);
      if (this.used.has(address)) throw new Error(`${address}: already used by another pod of this run`);
      this.used.add(address);
      return { pod, ip: address };
    });
    // Every pod settles before an error is thrown, so stop() afterwards finds every agent that was started.
    const settled = await Promise.allSettled(prepared.map(({ pod, ip }) => this.addPod(pod, ip)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<DataPlanePod>).value);
  }

  private async addPod(pod: Pod, ip: string): Promise<DataPlanePod> {
    const namespace = pod.metadata.namespace ?? "default";
    const key = `${namespace}/${pod.metadata.name}`;
    if (this.pods.has(key)) throw new Error(`pod ${key} already exists in the data plane`);
    const netns = netnsName(this.runId, this.netnsCount++);
    const veth = vethName(namespace, pod.metadata.name);
    await wirePod({ netns, veth, ip });
    // The agent starts while the API pod is written: felix programs the pod meanwhile.
    const [agent, written] = await Promise.allSettled([PodAgent.start(netns), createBoundPod(this.kc, pod, this.node, ip)]);
    if (agent.status === "rejected") throw agent.reason;
    if (this.stopped || written.status === "rejected") {
      await agent.value.stop();
      throw written.status === "rejected" ? written.reason : new Error("the data plane stopped while a pod was being added");
    }
    const entry: DataPlanePod = { namespace, name: pod.metadata.name, ip, netns, veth, agent: agent.value };
    this.pods.set(key, entry);
    this.log.debug({ pod: key, ip, netns, veth }, "Pod wired");
    return entry;
  }

  /** Removes a pod's namespace, agent and API object. */
  async removePod(ref: string): Promise<void> {
    const entry = this.pods.get(ref);
    if (!entry) return;
    this.pods.delete(ref);
    await entry.agent.stop();
    await unwirePod(entry.netns);
    await requestJson(this.kc, "DELETE", `/api/v1/namespaces/${entry.namespace}/pods/${entry.name}`, { query: { gracePeriodSeconds: 0 } }).catch(() => undefined);
  }

  pod(ref: string): DataPlanePod | undefined {
    return this.pods.get(ref);
  }

  listPods(): DataPlanePod[] {
    return [...this.pods.values()];
  }

  /** One probe by real packets; a denied result is probed once more to rule out loss. */
  probe(spec: ProbeSpec, options: { retryDenied?: boolean; timeoutMs?: number } = {}): Promise<ProbeResult> {
    const from = this.pods.get(spec.from);
    if (!from) throw new Error(`--from ${spec.from}: no such pod in the data plane`);
    const to = this.pods.get(spec.to)?.ip ?? (spec.to.includes("/") ? undefined : spec.to);
    if (!to) throw new Error(`--to ${spec.to}: no such pod in the data plane`);
    if (!inRange(this.range, to)) throw new Error(`--to ${spec.to}: outside the pod range ${this.podCidr}; probes stay between the run's pods`);
    return probeWithRetry(from.agent, spec, to, options);
  }

  /** Many probes in parallel (at most `concurrency` in flight). */
  async probeAll(specs: readonly ProbeSpec[], concurrency = 96): Promise<ProbeResult[]> {
    const results: ProbeResult[] = new Array<ProbeResult>(specs.length);
    let next = 0;
    const worker = async () => {
      while (next < specs.length) {
        const i = next++;
        const spec = specs[i];
        if (spec) results[i] = await this.probe(spec);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
    return results;
  }

  /** Forgets tracked connections of the pod range, so a probe after a policy change opens a new flow. */
  async forgetConnections(): Promise<void> {
    await flushConntrack(this.podCidr);
  }

  get felixLogPath(): string | undefined {
    return this.felix?.logPath;
  }

  get felixPid(): number | undefined {
    return this.felix?.pid;
  }

  agentPids(): number[] {
    return this.listPods()
      .map((p) => p.agent.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  /** Stops every process of the run by pid and removes everything it created on the machine. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.listPods().map((p) => p.agent.stop()));
    await this.felix?.stop();
    for (const ns of (await listNetns()).filter((n) => runOfNetns(n) === this.runId)) await unwirePod(ns);
    this.pods.clear();
    if (this.record) {
      await removeOwnRoutes();
      if (this.record.felixStarted === true) await removeFelixState();
      await flushConntrack(this.podCidr);
      await removeFelixFiles(this.record.felixStarted === true && this.record.createdFelixStateDir);
      await restoreForwarding(this.record.ipForward);
      await release(this.runId);
      this.record = undefined;
    }
    await rm(this.dir, { recursive: true, force: true });
    // The API objects last, with short deadlines: the control plane may already be gone.
    await requestJson(this.kc, "DELETE", `/api/v1/namespaces/${this.canaryNamespace}`, { timeoutMs: 5000 }).catch(() => undefined);
    await requestJson(this.kc, "DELETE", `${ANP_PATH}/${this.canaryAdminName}`, { timeoutMs: 5000 }).catch(() => undefined);
    await deleteNode(this.kc, this.node);
    this.log.info({ run: this.runId }, "Data plane stopped and removed");
  }
}
