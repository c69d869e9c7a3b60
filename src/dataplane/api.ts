/**
 * What the data plane writes to the API server: Calico's CRDs and the objects
 * calico-node would create at start-up, the Node felix runs as, and pods bound
 * to that node with their IP written through the status subresource.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { requestJson } from "../io/client.js";
import { readManifests, withoutSource } from "../io/manifests.js";
import type { Pod } from "../k8s/objects.js";

const FIELD_MANAGER = "netfence-dataplane";
const CALICO = "/apis/crd.projectcalico.org/v1";

/** Server-side apply of one object at `path` (its own URL). */
export function apply(kc: KubeConfig, path: string, body: unknown): Promise<unknown> {
  return requestJson(kc, "PATCH", path, {
    body,
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: FIELD_MANAGER, force: true },
    timeoutMs: 30_000,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Crd {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Installs every CRD of a file or directory (Calico's from the felix build) and waits until each is Established. */
export async function installCalicoCrds(kc: KubeConfig, path: string, timeoutMs = 60_000): Promise<number> {
  const crds = (await readManifests([path])).map(withoutSource).filter((o) => o.kind === "CustomResourceDefinition");
  const nameOf = (crd: (typeof crds)[number]): string => (crd.metadata as { name?: string } | undefined)?.name ?? "";
  const base = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  await Promise.all(crds.map((crd) => apply(kc, `${base}/${nameOf(crd)}`, crd)));
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const read = (await requestJson(kc, "GET", `${base}/${nameOf(crd)}`)) as Crd;
      if (read.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`CRD ${read.metadata.name} not Established after ${String(timeoutMs / 1000)}s`);
      await sleep(100);
    }
  }
  return crds.length;
}

/** The Calico release the data plane builds (tools/dataplane/build.sh), as calico-node records it in ClusterInformation. */
export const CALICO_VERSION = "v3.31.0";

/** ClusterInformation (datastoreReady, calicoVersion), the three Tiers and FelixConfiguration `default`, as calico-node creates them. */
export async function applyCalicoStartupObjects(kc: KubeConfig): Promise<void> {
  const obj = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: "crd.projectcalico.org/v1", kind, metadata: { name }, spec });
  await apply(kc, `${CALICO}/clusterinformations/default`, obj("ClusterInformation", "default", { datastoreReady: true, clusterType: "k8s", calicoVersion: CALICO_VERSION }));
  const tiers: [string, number, string][] = [
    ["default", 1_000_000, "Deny"],
    ["adminnetworkpolicy", 1000, "Pass"],
    ["baselineadminnetworkpolicy", 10_000_000, "Pass"],
  ];
  for (const [name, order, defaultAction] of tiers) await apply(kc, `${CALICO}/tiers/${name}`, obj("Tier", name, { order, defaultAction }));
  await apply(kc, `${CALICO}/felixconfigurations/default`, obj("FelixConfiguration", "default", { bpfEnabled: false, usageReportingEnabled: false }));
}

export async function createNode(kc: KubeConfig, name: string): Promise<void> {
  await apply(kc, `/api/v1/nodes/${name}`, { apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name, "netfence.io/dataplane": "true" } } });
}

export async function deleteNode(kc: KubeConfig, name: string): Promise<void> {
  await requestJson(kc, "DELETE", `/api/v1/nodes/${name}`, { timeoutMs: 5000 }).catch(() => undefined);
}

/** Creates (or updates) the pod bound to `node`, then sets its IP and phase through the status subresource. */
export async function createBoundPod(kc: KubeConfig, pod: Pod, node: string, ip: string): Promise<void> {
  const namespace = pod.metadata.namespace ?? "default";
  const path = `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}`;
  const containers = pod.spec?.containers ?? [{ name: "main", image: "netfence.io/dataplane-agent" }];
  const { status: _status, ...rest } = pod;
  await apply(kc, path, {
    ...rest,
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.metadata.name, namespace, labels: pod.metadata.labels ?? {} },
    spec: { ...(pod.spec ?? {}), containers: containers.map((c) => ({ image: "netfence.io/dataplane-agent", ...c })), nodeName: node },
  });
  await requestJson(kc, "PATCH", `${path}/status`, {
    body: { status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } },
    contentType: "application/merge-patch+json",
    timeoutMs: 30_000,
  });
}
