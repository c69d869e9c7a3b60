import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { ControlPlane } from "../../src/controlplane/controlplane.js";
import { createInformer, type Informer } from "../../src/io/informer.js";
import { silentLogger } from "../../src/observability/logger.js";
import { eventually, uniqueName } from "./helpers.js";

/**
 * The informer across a kube-apiserver restart, on a control plane of this file's
 * own (the shared one must not go down under other tests): the watch breaks, the
 * informer restarts with backoff, relists, and emits the deletes that happened
 * while it was not watching.
 */
let cp: ControlPlane;
let kc: k8s.KubeConfig;
let net: k8s.NetworkingV1Api;
let informer: Informer<k8s.V1NetworkPolicy> | undefined;
const ns = uniqueName("restart");
const SELECTOR = "app.kubernetes.io/managed-by=netfence";

function make<T extends object>(type: new () => T, fields: Partial<T>): T {
  return Object.assign(new type(), fields);
}

function policy(name: string): k8s.V1NetworkPolicy {
  const metadata = make(k8s.V1ObjectMeta, { name, labels: { "app.kubernetes.io/managed-by": "netfence" } });
  return make(k8s.V1NetworkPolicy, { metadata, spec: make(k8s.V1NetworkPolicySpec, { podSelector: new k8s.V1LabelSelector(), policyTypes: ["Ingress"] }) });
}

beforeAll(async () => {
  cp = await ControlPlane.start();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  net = kc.makeApiClient(k8s.NetworkingV1Api);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: make(k8s.V1Namespace, { metadata: make(k8s.V1ObjectMeta, { name: ns }) }) });
}, 90_000);

afterAll(async () => {
  await informer?.stop();
  await cp.stop();
}, 30_000);

describe("the informer across an API server restart", () => {
  it("restarts, relists and emits the deletes it missed; nothing is lost", async () => {
    for (const name of ["keep", "gone-1", "gone-2"]) await net.createNamespacedNetworkPolicy({ namespace: ns, body: policy(name) });
    const events: string[] = [];
    // A slow first retry leaves a window after the restart in which the informer is not watching.
    informer = createInformer<k8s.V1NetworkPolicy>(kc, {
      name: "networkpolicies",
      path: "/apis/networking.k8s.io/v1/networkpolicies",
      labelSelector: SELECTOR,
      logger: silentLogger(),
      restartBackoff: { baseMs: 4000, maxMs: 8000 },
    });
    for (const event of ["add", "update", "delete"] as const) informer.on(event, (obj) => events.push(`${event} ${obj.metadata?.name ?? ""}`));
    await informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    expect(events.sort()).toEqual(["add gone-1", "add gone-2", "add keep"]);
    events.length = 0;

    await cp.restartApiServer();
    await net.deleteNamespacedNetworkPolicy({ name: "gone-1", namespace: ns });
    await net.deleteNamespacedNetworkPolicy({ name: "gone-2", namespace: ns });
    await net.createNamespacedNetworkPolicy({ namespace: ns, body: policy("new") });

    await eventually(() => Promise.resolve(events.length >= 3 ? true : undefined), "the catch-up events", 40_000);
    expect(events.sort()).toEqual(["add new", "delete gone-1", "delete gone-2"]);
    expect(informer.restarts).toBeGreaterThanOrEqual(1);
    expect(informer.synced()).toBe(true);
    expect(informer.list().map((p) => p.metadata?.name).sort()).toEqual(["keep", "new"]);

    // And the new watch is live.
    await net.deleteNamespacedNetworkPolicy({ name: "keep", namespace: ns });
    await eventually(() => Promise.resolve(events.includes("delete keep") ? true : undefined), "a delete through the new watch");
  });
});
