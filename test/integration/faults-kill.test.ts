import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { LABEL_MANAGED_BY, LABEL_PROFILE, MANAGED_BY_VALUE } from "../../src/api/constants.js";
import { getJson } from "../../src/io/client.js";
import type { NetworkPolicy } from "../../src/k8s/objects.js";
import { profileLabelValue } from "../../src/policy/naming.js";
import { call, callIdempotent, closeTransports, MERGE_PATCH, pool } from "../../bench/lib/kube.js";
import { PROFILES_PATH } from "../../bench/lib/profile.js";
import { installCrd } from "./crd.js";
import { eventually, kubeConfig, uniqueName } from "./helpers.js";
import { Operator } from "./operator.js";
import { Profiles } from "./profiles.js";

/**
 * kill -9 during a 2,000-namespace rollout, five times at random points, with
 * the selection shrinking in between; then one clean start must leave exactly
 * one policy per selected namespace, none elsewhere, and users' policies as
 * they were. (`npm run bench -- --scenario killrollout --kills 20` does more.)
 */
const N = Number(process.env.NETFENCE_FAULTS_KILL_NAMESPACES ?? 2000);
const KILLS = Number(process.env.NETFENCE_FAULTS_KILLS ?? 5);
const DESELECT = Math.floor(N / 20);
const kc = kubeConfig();
const suite = uniqueName("kill");
const label = `netfence.io/test=${suite}`;
const profiles = new Profiles(kc, label);
const operatorNs = uniqueName("netfence-kill");
const nsLabel = "faults.netfence.io/kill";
const names = Array.from({ length: N }, (_, i) => `${suite}-${String(i).padStart(4, "0")}`);
const userPolicies = new Map<string, string>();
const profile = `${suite}-rollout`;
let operator: Operator | undefined;

beforeAll(async () => {
  await installCrd(kc);
  await call(kc, "POST", "/api/v1/namespaces", { metadata: { name: operatorNs } });
  await pool(names, 48, (name) => callIdempotent(kc, "POST", "/api/v1/namespaces", { metadata: { name, labels: { [nsLabel]: suite } } }));
  // Users' own policies (some in namespaces that will be deselected): never to be touched.
  for (const ns of [...names.slice(0, 19), names[N - 1] ?? ""]) {
    const created = (await call(kc, "POST", `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, {
      metadata: { name: "allow-web", labels: { owner: "alice" } },
      spec: { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ podSelector: {} }] }] },
    })) as NetworkPolicy;
    userPolicies.set(ns, created.metadata.resourceVersion ?? "");
  }
}, 180_000);

afterAll(async () => {
  await operator?.stop("SIGKILL");
  // Drop the finalizer rather than wait for 2,000 deletes: the namespaces take the policies with them.
  await callIdempotent(kc, "PATCH", `${PROFILES_PATH}/${profile}`, { metadata: { finalizers: null } }, MERGE_PATCH);
  await profiles.delete(profile);
  await pool([...names, operatorNs], 48, (name) => callIdempotent(kc, "DELETE", `/api/v1/namespaces/${name}`));
  closeTransports();
}, 180_000);

async function managed(): Promise<NetworkPolicy[]> {
  const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_PROFILE}=${profileLabelValue(profile)}`;
  const list = (await getJson(kc, "/apis/networking.k8s.io/v1/networkpolicies", { query: { labelSelector: selector } })) as { items: NetworkPolicy[] };
  return list.items;
}

const start = async () => (await Operator.start({ namespace: operatorNs, profileSelector: label, extraArgs: ["--qps=100", "--burst=100", "--log-level=info"] })).ready(60_000);

describe("kill -9 during a rollout", () => {
  it("ends with exactly one policy per selected namespace, no orphans, users' policies untouched", async () => {
    await profiles.create(profile, { preset: "deny-all", namespaces: { selector: { matchLabels: { [nsLabel]: suite } } } });
    // The first namespaces in the rollout's order: their policies exist by then and must be deleted.
    const deselected = names.slice(0, DESELECT);
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      operator = await start();
      const wait = 300 + Math.random() * 2200;
      await new Promise((r) => setTimeout(r, wait));
      if (k === Math.floor(KILLS / 2)) {
        // Mid-rollout, the selection shrinks: those policies must go, even across kills.
        await pool(deselected, 32, (name) => call(kc, "PATCH", `/api/v1/namespaces/${name}`, { metadata: { labels: { [nsLabel]: null } } }, MERGE_PATCH));
      }
      await operator.stop("SIGKILL");
      kills.push(`kill ${String(k + 1)} after ${(wait / 1000).toFixed(1)}s: ${String((await managed()).length)} policies`);
    }
    console.log(`kill -9 points (N = ${String(N)}):\n${kills.join("\n")}`);

    operator = await start();
    const t0 = Date.now();
    await eventually(async () => {
      const p = await profiles.settled(profile);
      return p?.status?.selectedNamespaces === N - DESELECT ? p : undefined;
    }, "Ready with every selected namespace", 180_000, 500);
    console.log(`converged ${((Date.now() - t0) / 1000).toFixed(1)}s after the last start`);

    const policies = await managed();
    const perNamespace = new Map<string, number>();
    for (const p of policies) perNamespace.set(p.metadata.namespace ?? "", (perNamespace.get(p.metadata.namespace ?? "") ?? 0) + 1);
    const selected = new Set(names.slice(DESELECT));
    const missing = [...selected].filter((ns) => !perNamespace.has(ns));
    const orphaned = [...perNamespace.keys()].filter((ns) => !selected.has(ns));
    const duplicates = [...perNamespace].filter(([, count]) => count > 1).map(([ns]) => ns);
    expect({ missing, orphaned, duplicates }).toEqual({ missing: [], orphaned: [], duplicates: [] });

    for (const [ns, rv] of userPolicies) {
      const p = (await getJson(kc, `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/allow-web`)) as NetworkPolicy;
      expect({ ns, rv: p.metadata.resourceVersion }).toEqual({ ns, rv });
    }
  }, 420_000);
});
