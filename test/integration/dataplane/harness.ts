/**
 * The data plane for the packet tests: felix built (or found in the cache),
 * the machine checked, one data plane next to the run's control plane. When
 * the machine cannot run it, the test fails and says why.
 */
import * as k8s from "@kubernetes/client-node";
import { ensureFelix } from "../../../src/dataplane/binary.js";
import { DataPlane } from "../../../src/dataplane/dataplane.js";
import { unsupportedReason } from "../../../src/dataplane/host.js";
import type { ProbeResult, ProbeSpec } from "../../../src/dataplane/probe.js";
import { createLogger } from "../../../src/observability/logger.js";
import type { Traffic } from "../../../src/policy/reachability.js";
import { kubeconfigPath } from "../helpers.js";

export async function startDataPlane(): Promise<DataPlane> {
  const reason = unsupportedReason();
  if (reason) throw new Error(`the packet tests need a machine that can run the data plane: ${reason}`);
  const started = Date.now();
  const felix = await ensureFelix();
  const plane = await DataPlane.start({
    kubeconfig: kubeconfigPath(),
    felix,
    // Another data plane on this machine (a `netfence demo` or bench) may hold it for a while.
    waitForMachineMs: 5 * 60_000,
    log: createLogger({ name: "dataplane-test", level: "warn", destination: process.stderr }),
  });
  process.stderr.write(`[dataplane] run ${plane.runId} up in ${((Date.now() - started) / 1000).toFixed(1)}s (node ${plane.node})\n`);
  return plane;
}

export function probeSpec(from: string, to: string, traffic: Traffic): ProbeSpec {
  return traffic.protocol === "ICMP" ? { from, to, protocol: "ICMP" } : { from, to, protocol: traffic.protocol === "UDP" ? "UDP" : "TCP", port: Number(traffic.port) };
}

export function describeResult(r: ProbeResult): string {
  return `${r.from} → ${r.to} ${r.protocol}${r.port === undefined ? "" : `/${String(r.port)}`}`;
}

export async function createNamespace(kc: k8s.KubeConfig, name: string, labels: Record<string, string>): Promise<void> {
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name, labels } } });
}

/** Sets a pod label through the API, as `kubectl label pod` does. */
export async function labelPod(kc: k8s.KubeConfig, namespace: string, name: string, key: string, value: string | null): Promise<void> {
  await kc.makeApiClient(k8s.CoreV1Api).patchNamespacedPod(
    { namespace, name, body: { metadata: { labels: { [key]: value } } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}
