/**
 * A cluster manifest (namespaces, pods, NetworkPolicies — e.g. the walkthrough's
 * cluster.yaml) brought up on the data plane: namespaces and policies applied,
 * every pod wired as a network namespace at its status.podIP (or a free address).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { ManifestObject } from "../io/manifests.js";
import { toClusterInput } from "../policy/reach-input.js";
import { firstFew } from "../lib/first-few.js";
import { apply } from "./api.js";
import type { DataPlane, DataPlanePod } from "./dataplane.js";

function meta(o: ManifestObject): { name: string; namespace: string; labels: Record<string, string> } {
  const m = (o.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string> };
  return { name: m.name ?? "", namespace: m.namespace ?? "default", labels: m.labels ?? {} };
}

export async function applyNamespaces(kc: KubeConfig, objects: readonly ManifestObject[]): Promise<string[]> {
  const namespaces = objects.filter((o) => o.kind === "Namespace");
  for (const ns of namespaces) {
    const { name, labels } = meta(ns);
    await apply(kc, `/api/v1/namespaces/${name}`, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  }
  return namespaces.map((ns) => meta(ns).name);
}

export async function applyPolicies(kc: KubeConfig, objects: readonly ManifestObject[]): Promise<number> {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  for (const p of policies) {
    const { name, namespace } = meta(p);
    await apply(kc, `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies/${name}`, { ...p, metadata: { ...(p.metadata ?? {}), namespace } });
  }
  return policies.length;
}

/** The manifest's pods (read as the evaluator reads them) on the data plane, at their status.podIP when they have one. */
export function addManifestPods(plane: DataPlane, objects: readonly ManifestObject[]): Promise<DataPlanePod[]> {
  const input = toClusterInput(objects);
  if (input.errors.length) return Promise.reject(new Error(`the cluster manifest has objects netfence cannot read: ${firstFew(input.errors, 3)}`));
  return plane.addPods(input.cluster.pods.map((pod) => ({ pod, ...(pod.status?.podIP ? { ip: pod.status.podIP } : {}) })));
}
