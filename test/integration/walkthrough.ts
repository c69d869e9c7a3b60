/**
 * The walkthrough's cluster (namespaces dev and test, pods nginx1–4 with their
 * IPs) created through the API under unique namespace names. There is no
 * kubelet: pod IPs are written through the status subresource.
 */
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { readManifests, withoutSource } from "../../src/io/manifests.js";
import type { Pod } from "../../src/k8s/objects.js";
import { uniqueName } from "./helpers.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/walkthrough/", import.meta.url));
export const SAMPLES = fileURLToPath(new URL("../../deploy/samples/walkthrough/", import.meta.url));

export interface WalkthroughCluster {
  /** The walkthrough's namespace name → the unique name used in this test. */
  names: Record<string, string>;
  /** Rewrites "dev/nginx1" to "<unique dev>/nginx1". */
  rename(ref: string): string;
}

export async function createPod(kc: k8s.KubeConfig, pod: Pod): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = pod.metadata.namespace ?? "";
  const { status, ...rest } = pod;
  const created = await core.createNamespacedPod({ namespace, body: rest as k8s.V1Pod });
  if (status) {
    created.status = status;
    await core.replaceNamespacedPodStatus({ namespace, name: pod.metadata.name, body: created });
  }
}

export async function createWalkthroughCluster(kc: k8s.KubeConfig): Promise<WalkthroughCluster> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = (await readManifests([`${FIXTURES}cluster.yaml`])).map(withoutSource);
  const names: Record<string, string> = {};
  for (const ns of objects.filter((o) => o.kind === "Namespace")) {
    const original = (ns.metadata as { name?: string } | undefined)?.name ?? "";
    const name = uniqueName(original);
    names[original] = name;
    await core.createNamespace({ body: { metadata: { name, labels: { walkthrough: original } } } });
  }
  for (const pod of objects.filter((o) => o.kind === "Pod") as unknown as Pod[]) {
    await createPod(kc, { ...pod, metadata: { ...pod.metadata, namespace: names[pod.metadata.namespace ?? ""] ?? "" } });
  }
  return {
    names,
    rename: (ref) => {
      const [ns, pod] = ref.split("/");
      return `${names[ns ?? ""] ?? ns ?? ""}/${pod ?? ""}`;
    },
  };
}

export async function deleteNamespaces(kc: k8s.KubeConfig, names: string[]): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await Promise.all(names.map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
}
