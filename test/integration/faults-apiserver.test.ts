import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as k8s from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../../src/api/constants.js";
import { ControlPlane } from "../../src/controlplane/controlplane.js";
import { getJson } from "../../src/io/client.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { policyName, profileLabelValue } from "../../src/policy/naming.js";
import { call, callIdempotent, closeTransports, MERGE_PATCH, pool } from "../../bench/lib/kube.js";
import { installCrd } from "./crd.js";
import { eventually, uniqueName } from "./helpers.js";
import { Operator } from "./operator.js";
import { Profiles } from "./profiles.js";

/**
 * kube-apiserver restarts in the middle of a rollout, on a control plane of
 * this file's own. Right after it is back — before the operator's watches are
 * — another client deletes managed policies, deselects namespaces and deletes
 * a profile, and etcd is compacted so every watch resuming from an old
 * resourceVersion gets 410 Gone. The operator must relist, miss none of those
 * deletes, and converge within 30 s.
 */
const N = 300;
const suite = uniqueName("apisrv");
const label = `netfence.io/test=${suite}`;
const nsLabel = "faults.netfence.io/apiserver";
const names = Array.from({ length: N }, (_, i) => `${suite}-${String(i).padStart(3, "0")}`);
const operatorNs = `${suite}-system`;
let cp: ControlPlane;
let kc: k8s.KubeConfig;
let profiles: Profiles;
let operator: Operator | undefined;

beforeAll(async () => {
  cp = await ControlPlane.start();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  profiles = new Profiles(kc, label);
  await installCrd(kc);
  await pool([operatorNs, ...names], 48, (name) => call(kc, "POST", "/api/v1/namespaces", { metadata: { name, labels: { [nsLabel]: "yes" } } }));
  operator = await (await Operator.start({ kubeconfig: cp.kubeconfigPath, namespace: operatorNs, profileSelector: label, extraArgs: ["--qps=50", "--burst=50", "--log-level=info"] })).ready();
}, 120_000);

afterAll(async () => {
  await operator?.stop("SIGKILL");
  closeTransports();
  await cp.stop();
}, 60_000);

async function owned(profile: string): Promise<string[]> {
  const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_PROFILE}=${profileLabelValue(profile)}`;
  const list = (await getJson(kc, "/apis/networking.k8s.io/v1/networkpolicies", { query: { labelSelector: selector } })) as { items: NetworkPolicy[] };
  return list.items.map((p) => p.metadata.namespace ?? "").sort();
}

/** Compacts etcd to its current revision (the etcd v3 JSON gateway): resuming any older watch is 410 Gone. */
async function compactEtcd(): Promise<void> {
  const args = (cp.etcd as unknown as { args: string[] }).args;
  const url = args.find((a) => a.startsWith("--listen-client-urls="))?.split("=")[1] ?? "";
  const list = (await getJson(kc, "/api/v1/namespaces", { query: { limit: 1 } })) as { metadata: { resourceVersion: string } };
  const res = await fetch(`${url}/v3/kv/compaction`, { method: "POST", body: JSON.stringify({ revision: list.metadata.resourceVersion, physical: true }) });
  expect(res.status).toBe(200);
}

describe("an API server restart during a rollout", () => {
  it("relists after 410, misses no delete and converges within 30 s", async () => {
    const side = `${suite}-side`;
    await profiles.create(side, { preset: "deny-ingress", namespaces: { names: names.slice(0, 10) } });
    await eventually(() => profiles.settled(side), "the side profile Ready", 30_000);

    const main = `${suite}-main`;
    await profiles.create(main, { preset: "deny-all", namespaces: { selector: { matchLabels: { [nsLabel]: "yes" } }, exclude: [operatorNs] } });
    await eventually(async () => ((await owned(main)).length > 50 ? true : undefined), "the rollout to be under way", 30_000);
    const before = (await owned(main)).length;
    await cp.restartApiServer(2000);
    const up = Date.now();

    // While the operator's watches are still down: deletes it must not miss.
    const deleted = (await owned(main)).slice(0, 10);
    await pool(deleted, 10, (ns) => callIdempotent(kc, "DELETE", `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/${policyName(main)}`));
    const deselected = names.slice(0, 20);
    await pool(deselected, 20, (ns) => call(kc, "PATCH", `/api/v1/namespaces/${ns}`, { metadata: { labels: { [nsLabel]: null } } }, MERGE_PATCH));
    await profiles.delete(side);
    await compactEtcd();

    const selected = names.slice(20).sort();
    await eventually(async () => ((await owned(main)).join(",") === selected.join(",") ? true : undefined), "exactly the selected namespaces to have policies", 30_000, 200);
    await eventually(async () => ((await profiles.get(side)) === undefined && (await owned(side)).length === 0 ? true : undefined), "the deleted profile and its policies to be gone", 30_000, 200);
    await eventually(async () => ((await profiles.settled(main))?.status?.selectedNamespaces === selected.length ? true : undefined), "Ready with the new selection", 30_000, 200);
    const seconds = (Date.now() - up) / 1000;
    const restarts = await operator?.metric("netfence_informer_restarts");
    console.log(`apiserver restarted with ${String(before)} of ${String(N)} policies rolled out; converged ${seconds.toFixed(1)}s after it was back (informer restarts: ${String(restarts)})`);
    for (const ns of deleted.filter((n) => !deselected.includes(n))) expect((await owned(main)).includes(ns)).toBe(true);
  }, 150_000);
});
