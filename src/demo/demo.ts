/**
 * `netfence demo`: the walkthrough, reproduced with IsolationProfiles on a real
 * local control plane. Starts the control plane (building it on first use),
 * installs the CRD, creates the walkthrough's namespaces and pods, starts the
 * operator, then applies the sample profiles one after another and, for each
 * state, prints `kubectl get isop` and the `netfence matrix` grid and checks the
 * grid against the walkthrough's expected connectivity.
 */
import { join } from "node:path";
import { GROUP, PLURAL, VERSION } from "../api/constants.js";
import type { IsolationProfile } from "../api/types.js";
import { computeMatrix, formatTable } from "../cli/matrix.js";
import { ControlPlane } from "../controlplane/controlplane.js";
import { getJson } from "../io/client.js";
import { loadKubeConfig } from "../io/kubeconfig.js";
import { readManifests, withoutSource, type ManifestObject } from "../io/manifests.js";
import { matrixCells, type Matrix } from "../policy/reachability.js";
import { Kubectl } from "./kubectl.js";
import { OperatorProcess } from "../controlplane/operator.js";
import { compare, FIXTURES_DIR, loadProbes, NAMESPACES, STATES, type Probe, type State, type Step } from "./walkthrough.js";
import { addManifestPods } from "../dataplane/cluster.js";
import { DataPlane } from "../dataplane/dataplane.js";
import { disagreements, formatSideBySide, measure, packetSupport, type Measured, type PacketSupport } from "./packets.js";
import { tenantStory, type TenantResult } from "./tenant.js";
import { noPacketsNotice, packetsFailedNotice, predictedCheckLines, predictedGrid, summaryLines, type ProtocolCheck } from "./labels.js";

export interface DemoOptions {
  /** The repository root: fixtures, samples, the CRD and bin/netfence.js are read from here. */
  root: string;
  /** The demo's story (stdout). */
  print: (text: string) => void;
  /** Progress and diagnostics (stderr). */
  progress: (text: string) => void;
  /** Ctrl-C: stop between steps and clean up. */
  signal: AbortSignal;
  /** Keep the control plane's data directory (logs, kubeconfig) after the demo. */
  keepDir?: boolean;
  /** Measure every grid with real packets where the machine allows it (src/dataplane/). */
  packets?: boolean;
}

export interface DemoResult {
  statesMatched: number;
  states: number;
  /** States whose real-packet grids matched the walkthrough; undefined without the data plane. */
  packetStatesMatched?: number;
  /** The tenant's allow-all under s3, with each enforcement. */
  tenant: TenantResult;
  /** Seconds from a running control plane to the last grid. */
  walkSeconds: number;
  /** Seconds to build (first run only) and start the control plane. */
  controlPlaneSeconds: number;
}

const OPERATOR_NAMESPACE = "netfence-system";
const CRD_FILE = "crds/isolationprofiles.netfence.io.yaml";
const SETTLE_TIMEOUT_MS = 30_000;

const seconds = (since: number) => (Date.now() - since) / 1000;
const rule = (title: string) => `── ${title} ${"─".repeat(Math.max(3, 76 - title.length))}`;

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print, progress, signal } = options;
  const t0 = Date.now();
  progress("starting the local control plane (built from the official Go modules on first use; cached afterwards)");
  const plane = await ControlPlane.start({ progress: (line) => progress(`  ${line}`), ...(options.keepDir ? { keepDir: true } : {}) });
  const controlPlaneSeconds = seconds(t0);
  let operator: OperatorProcess | undefined;
  let packets: DataPlane | undefined;
  try {
    signal.throwIfAborted();
    const t1 = Date.now();
    const kubectl = new Kubectl(plane.binaries.kubectl, plane.kubeconfigPath);
    const kc = loadKubeConfig({ kubeconfig: plane.kubeconfigPath });
    print(`Control plane at ${plane.server} (no kubelet: pods are stored, never run)`);
    print(`  export KUBECONFIG=${plane.kubeconfigPath}\n`);

    await installCrd(kubectl, options.root);
    signal.throwIfAborted();
    packets = await startPackets(options.packets === true, plane.kubeconfigPath, print, progress, signal);
    signal.throwIfAborted();
    await createCluster(kubectl, options.root, print, packets);
    signal.throwIfAborted();

    operator = await OperatorProcess.start({ root: options.root, kubeconfig: plane.kubeconfigPath, namespace: OPERATOR_NAMESPACE });
    await operator.ready(SETTLE_TIMEOUT_MS, signal);
    print(`Operator running: netfence run --namespace=${OPERATOR_NAMESPACE} (pid ${String(operator.pid)})\n`);

    let matched = 0;
    let packetMatched = 0;
    let previous: string | undefined;
    for (const state of STATES) {
      signal.throwIfAborted();
      const ok = await walkState(state, previous, { kubectl, kc, kubeconfig: plane.kubeconfigPath, root: options.root, print, signal, operator, packets });
      if (ok.predicted) matched++;
      if (ok.packets) packetMatched++;
      if (state.sample) previous = await profileName(options.root, state.sample);
    }
    signal.throwIfAborted();
    print(rule("a tenant's allow-all in dev under s3: reported with NetworkPolicies, prevented in the Admin tier"));
    if (previous) await kubectl.run(["delete", "isop", previous, "--wait=true", "--timeout=30s"]);
    const s3 = STATES.find((s) => s.id === "s3")?.sample ?? "";
    const tenant = await tenantStory({ kubectl, kc, kubeconfig: plane.kubeconfigPath, root: options.root, print, signal, packets }, s3, await profileName(options.root, s3));
    print("");
    const walkSeconds = seconds(t1);
    for (const line of summaryLines(STATES.length, matched, packets ? packetMatched : undefined)) print(line);
    progress(`demo took ${walkSeconds.toFixed(1)}s after the control plane was up (control plane: ${controlPlaneSeconds.toFixed(1)}s)`);
    return { statesMatched: matched, states: STATES.length, ...(packets ? { packetStatesMatched: packetMatched } : {}), tenant, walkSeconds, controlPlaneSeconds };
  } finally {
    progress(`cleaning up: stopping the operator and the control plane${packets ? ", and the data plane" : ""}`);
    await operator?.stop("SIGTERM", 5000);
    await packets?.stop();
    await plane.stop();
  }
}

async function installCrd(kubectl: Kubectl, root: string): Promise<void> {
  await kubectl.run(["apply", "--server-side", "-f", join(root, CRD_FILE)]);
  await kubectl.run(["wait", "--for=condition=Established", "--timeout=30s", "crd/isolationprofiles.netfence.io"]);
}

interface PodStatus {
  podIP?: string;
  podIPs?: { ip: string }[];
}

/** How long the demo waits for another netfence data plane (one per machine) to stop before it goes on without packets. */
const BUSY_WAIT_MS = 5 * 60_000;

/** What packetSupport() says, once the machine is free: another run's data plane (a test, another demo) is waited for, up to BUSY_WAIT_MS. */
async function machineWhenFree(progress: (text: string) => void, signal: AbortSignal): Promise<PacketSupport> {
  const deadline = Date.now() + BUSY_WAIT_MS;
  let support = await packetSupport();
  if (!support.ok && support.busyPid !== undefined) {
    progress(`waiting for the other netfence data plane (pid ${String(support.busyPid)}) to stop, up to ${String(BUSY_WAIT_MS / 60_000)} min (one per machine); Ctrl-C to stop`);
  }
  while (!support.ok && support.busyPid !== undefined && Date.now() < deadline) {
    signal.throwIfAborted();
    await new Promise((r) => setTimeout(r, 1000));
    support = await packetSupport();
  }
  return support;
}

/** The real data plane when asked for and the machine allows it; otherwise one line saying why no packet is sent. */
async function startPackets(enabled: boolean, kubeconfig: string, print: (text: string) => void, progress: (text: string) => void, signal: AbortSignal): Promise<DataPlane | undefined> {
  if (!enabled) {
    print(`${noPacketsNotice("--predicted-only")}\n`);
    return undefined;
  }
  const support = await machineWhenFree(progress, signal);
  if (!support.ok) {
    print(`${noPacketsNotice(support.reason)}\n`);
    return undefined;
  }
  progress("starting the data plane: Calico felix and the pods as network namespaces");
  try {
    const plane = await DataPlane.start({ kubeconfig, felix: support.felix });
    print(`Real packets: Calico felix v3.31.0 (pid ${String(plane.felixPid)}) enforces the policies; pods are network namespaces on ${plane.podCidr} (blackholed)\n`);
    return plane;
  } catch (err) {
    print(`${packetsFailedNotice(err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err))}\n`);
    return undefined;
  }
}

/** The walkthrough's namespaces and pods, then each pod's IP through the status subresource (with real packets: each pod a network namespace). */
async function createCluster(kubectl: Kubectl, root: string, print: (text: string) => void, packets: DataPlane | undefined): Promise<void> {
  const objects = (await readManifests([join(root, FIXTURES_DIR, "cluster.yaml")])).map(withoutSource) as ManifestObject[];
  if (packets) {
    const namespaces = objects.filter((o) => o.kind !== "Pod");
    const operatorNs = { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } };
    await kubectl.run(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: [operatorNs, ...namespaces] }));
    const pods = await addManifestPods(packets, objects);
    print(`Walkthrough cluster: namespaces ${NAMESPACES.join(", ")}; pods ${pods.map((p) => `${p.namespace}/${p.name} ${p.ip}`).join(", ")}\n`);
    return;
  }
  const operatorNamespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } };
  const items = [operatorNamespace, ...objects.map(({ status: _status, ...rest }) => rest)];
  await kubectl.run(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  const pods: string[] = [];
  for (const pod of objects.filter((o) => o.kind === "Pod")) {
    const { name = "", namespace = "default" } = (pod.metadata ?? {}) as { name?: string; namespace?: string };
    const status = (pod.status ?? {}) as PodStatus;
    await kubectl.run(["patch", "pod", name, "-n", namespace, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    pods.push(`${namespace}/${name} ${status.podIP ?? "(no IP)"}`);
  }
  print(`Walkthrough cluster: namespaces ${NAMESPACES.join(", ")}; pods ${pods.join(", ")}\n`);
}

async function profileName(root: string, sample: string): Promise<string> {
  const [profile] = await readManifests([join(root, sample)]);
  return (profile?.metadata as { name?: string } | undefined)?.name ?? "";
}

interface WalkContext {
  kubectl: Kubectl;
  kc: ReturnType<typeof loadKubeConfig>;
  /** The control plane's kubeconfig file: `netfence matrix` reads the live cluster through it. */
  kubeconfig: string;
  root: string;
  print: (text: string) => void;
  signal: AbortSignal;
  operator: OperatorProcess;
  packets: DataPlane | undefined;
}

interface StateResult {
  /** netfence's grids match the walkthrough. */
  predicted: boolean;
  /** The real-packet grids match it too (false without the data plane). */
  packets: boolean;
}

/** One state: replace the previous profile with this one, wait until it is Ready, then each step's grid. */
async function walkState(state: State, previous: string | undefined, ctx: WalkContext): Promise<StateResult> {
  const { kubectl, print } = ctx;
  print(rule(`${state.id}: ${state.title}`));
  if (previous) {
    print(`$ kubectl delete isop ${previous}`);
    await kubectl.run(["delete", "isop", previous, "--wait=true", "--timeout=30s"]);
  }
  if (state.sample) {
    const name = await profileName(ctx.root, state.sample);
    print(`$ kubectl apply -f ${state.sample}`);
    await kubectl.run(["apply", "-f", join(ctx.root, state.sample)]);
    await settled(ctx, name);
    print(`$ kubectl get isop ${name}`);
    print((await kubectl.run(["get", "isop", name])).trimEnd());
  } else {
    print("(no IsolationProfile)");
  }
  const result: StateResult = { predicted: true, packets: ctx.packets !== undefined };
  for (const step of state.steps) {
    const r = await walkStep(step, ctx);
    result.predicted &&= r.predicted;
    result.packets &&= r.packets;
  }
  print("");
  return result;
}

async function walkStep(step: Step, ctx: WalkContext): Promise<StateResult> {
  const { kubectl, print } = ctx;
  if (step.label) {
    const { namespace, pod, key, value } = step.label;
    print(`$ kubectl label pod ${pod} -n ${namespace} ${key}=${value}`);
    await kubectl.run(["label", "pod", pod, "-n", namespace, `${key}=${value}`]);
  }
  const probes = await loadProbes(ctx.root, step);
  const request = { input: { kubeconfig: ctx.kubeconfig }, namespaces: [...NAMESPACES], externals: [] };
  const icmp = await computeMatrix({ ...request, traffic: { protocol: "ICMP" } });
  const tcp = await computeMatrix({ ...request, traffic: { protocol: "TCP", port: "80" } });
  print(`$ netfence matrix -n ${NAMESPACES.join(",")} --protocol ICMP   # ${step.caption}`);
  const packets = ctx.packets ? await measureStep(ctx.packets, icmp.matrix, tcp.matrix, probes, print) : false;
  if (!ctx.packets) print(predictedGrid(formatTable(icmp.matrix)));
  const checks: ProtocolCheck[] = [
    { protocol: "ICMP", ...compare(matrixCells(icmp.matrix), probes, "ICMP") },
    { protocol: "TCP/80", ...compare(matrixCells(tcp.matrix), probes, "TCP") },
  ];
  for (const line of predictedCheckLines(checks)) print(line);
  return { predicted: checks.every((c) => c.mismatches.length === 0 && c.total > 0), packets };
}

/** Waits until felix enforces what was written, probes every pair (ping, TCP/80), prints both grids; true when the packets match the walkthrough. */
async function measureStep(plane: DataPlane, icmp: Matrix, tcp: Matrix, probes: readonly Probe[], print: (text: string) => void): Promise<boolean> {
  await plane.sync();
  await plane.forgetConnections();
  const pods = icmp.endpoints.map((e) => e.name);
  let ok = true;
  for (const [label, m, protocol] of [["ping (ICMP echo)", icmp, "ICMP"], ["TCP/80", tcp, "TCP"]] as const) {
    const measured: Measured = await measure(plane, pods, protocol);
    const predicted = matrixCells(m);
    print(formatSideBySide(label, pods, predicted, measured));
    const walk = compare(predicted.map((c) => ({ ...c, allowed: measured.get(`${c.from} ${c.to}`) ?? !c.allowed })), probes, protocol);
    const differ = disagreements(predicted, measured);
    ok &&= walk.mismatches.length === 0 && differ.length === 0 && walk.total > 0;
    print(`${differ.length === 0 ? "✓" : "✗"} real packets, ${label}: ${String(measured.size - differ.length)}/${String(measured.size)} pairs as predicted, ${String(walk.matched)}/${String(walk.total)} as in the walkthrough`);
    for (const d of differ) print(`  ! ${d}`);
  }
  return ok;
}

/** Until the operator has observed the profile's generation and reports Ready=True. */
async function settled(ctx: WalkContext, name: string): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const path = `/apis/${GROUP}/${VERSION}/${PLURAL}/${name}`;
  let last = "not read yet";
  for (;;) {
    ctx.signal.throwIfAborted();
    try {
      const profile = (await getJson(ctx.kc, path, { timeoutMs: 5000 })) as IsolationProfile;
      const ready = profile.status?.conditions?.find((c) => c.type === "Ready");
      if (profile.status?.observedGeneration === profile.metadata.generation && ready?.status === "True") return;
      last = ready ? `Ready=${ready.status} (${ready.reason}): ${ready.message}` : "no Ready condition yet";
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`IsolationProfile ${name} not Ready after ${String(SETTLE_TIMEOUT_MS / 1000)}s: ${last}\noperator logs:\n${ctx.operator.logs()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
