import { describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { LABEL_MANAGED_BY, LABEL_PROFILE } from "../../src/api/constants.js";
import { policyName } from "../../src/policy/naming.js";
import { eventually, kubeconfigPath } from "./helpers.js";
import { operatorSuite } from "./suite.js";

/**
 * A tenant who writes NetworkPolicies in its own namespace is hostile input:
 * on the real control plane, nothing it writes makes the status lie or stops
 * it from being written, and what the profile owns is decided by the
 * generated name and the owner uid, never by labels anyone can copy.
 */
const { net, suite, profiles, namespace, restart } = operatorSuite("hostile");
const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../bin/netfence.js", import.meta.url));

const explainLive = async (ns: string) => (await run(process.execPath, [BIN, "explain", `--kubeconfig=${kubeconfigPath()}`, "--namespace", ns])).stdout;

describe("hostile tenant input", () => {
  it("a rule with 80 selector values makes the namespace Bypassed, and a profile change after it is still observed", async () => {
    const ns = await namespace("wide");
    const name = `${suite}-wide`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] } });
    await eventually(async () => ((await profiles.settled(name))?.status?.isolatedNamespaces === 1 ? true : undefined), "isolated");
    const values = Array.from({ length: 80 }, (_, i) => `team-${String(i).padStart(3, "0")}-${"v".repeat(40)}`);
    await net.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: "eighty" }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ _from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "In", values }] } }] }] } },
    });
    const bypassed = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.bypassedNamespaces === 1 ? p : undefined;
    }, "Bypassed");
    const [item] = bypassed.status?.namespaces?.find((n) => n.name === ns)?.bypassedBy ?? [];
    expect(item).toMatch(new RegExp(`^${ns}/eighty ingress\\[0\\]: any pod in namespaces team in \\(team-000-v+,.* … and 75 more values\\)`));

    await profiles.patchSpec(name, { preset: "deny-all" });
    const changed = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.observedGeneration === 2 ? p : undefined;
    }, "generation 2 observed", 15_000);
    expect(changed.status?.namespaces?.find((n) => n.name === ns)?.state).toBe("Bypassed");
    expect((await profiles.policy(name, ns))?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("a policy with copies of netfence's labels is a bypass, named, and never the profile's", async () => {
    const ns = await namespace("copy");
    const name = `${suite}-copy`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] } });
    await eventually(async () => ((await profiles.settled(name))?.status?.isolatedNamespaces === 1 ? true : undefined), "isolated");
    const generated = await profiles.policy(name, ns);
    await net.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { metadata: { name: "looks-generated", labels: generated?.metadata.labels }, spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] } },
    });
    const bypassed = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.bypassedNamespaces === 1 ? p : undefined;
    }, "Bypassed");
    expect(bypassed.status?.namespaces?.find((n) => n.name === ns)?.bypassedBy?.[0]).toMatch(new RegExp(`^${ns}/looks-generated ingress\\[0\\]: any pod in any namespace and any address, any port`));
    expect(await explainLive(ns)).toMatch(new RegExp(`bypassed by ${ns}/looks-generated`));

    // Deleting the profile deletes its own object only (a copied owner reference would be the garbage collector's business).
    await profiles.delete(name);
    await eventually(async () => ((await profiles.get(name)) === undefined ? true : undefined), "profile gone");
    expect(await profiles.policy(name, ns)).toBeUndefined();
    expect((await profiles.readPolicy(ns, "looks-generated"))?.metadata.name).toBe("looks-generated");
  });

  it("an Orphan profile deleted after its policy lost netfence's labels leaves the policy in place, detached", async () => {
    const ns = await namespace("orphan");
    const name = `${suite}-orphan`;
    const created = await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] }, deletionPolicy: "Orphan" });
    await eventually(async () => ((await profiles.settled(name))?.status?.isolatedNamespaces === 1 ? true : undefined), "isolated");
    await restart(async () => {
      // While no operator runs: someone strips the labels, then the profile is deleted (the finalizer holds it).
      const body = [{ op: "remove", path: `/metadata/labels/${LABEL_MANAGED_BY.replace("/", "~1")}` }, { op: "remove", path: `/metadata/labels/${LABEL_PROFILE.replace("/", "~1")}` }];
      await net.patchNamespacedNetworkPolicy({ namespace: ns, name: policyName(name), body }, k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch));
      await profiles.delete(name);
    });
    await eventually(async () => ((await profiles.get(name)) === undefined ? true : undefined), "profile gone");
    const left = await profiles.policy(name, ns);
    expect(left?.metadata.ownerReferences?.some((o) => o.uid === created.metadata.uid) ?? false).toBe(false);
    expect(left?.spec.policyTypes).toEqual(["Ingress"]);
  });
});
