/**
 * Enforcement in the Admin tier, on the real control plane, read back from
 * the API server. Both Admin-tier APIs are served — ClusterNetworkPolicy (the
 * upstream v0.3.0 CRD) and AdminNetworkPolicy (felix's CRD) — and the
 * operator is told the data plane enforces AdminNetworkPolicy only (as felix
 * v3.31.0 does): served is not enforced, so Auto must write an
 * AdminNetworkPolicy and never a ClusterNetworkPolicy.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { installAdminNetworkPolicyCrd, installNetworkPolicyApiCrds } from "../../src/controlplane/network-policy-api.js";
import { requestJson } from "../../src/io/client.js";
import { policyName } from "../../src/policy/naming.js";
import { eventually, kubeConfig, statusCode } from "./helpers.js";
import { operatorSuite } from "./suite.js";

const kc = kubeConfig();
const ANP = "/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies";
const CNP = "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies";

beforeAll(async () => {
  await installNetworkPolicyApiCrds(kc);
  await installAdminNetworkPolicyCrd(kc);
}, 900_000);

const { suite, profiles, namespace } = operatorSuite("admin", ["--data-plane=felix-3.31", "--data-plane-enforces=NetworkPolicy,AdminNetworkPolicy"]);

interface Live {
  metadata: { name: string; uid: string; resourceVersion: string; ownerReferences?: { uid: string }[] };
  spec: { priority: number; subject: unknown; ingress?: { name: string; action: string }[]; egress?: { name: string; action: string }[] };
}

async function read(path: string): Promise<Live | undefined> {
  try {
    return (await requestJson(kc, "GET", path)) as Live;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

describe("a profile enforced in the Admin tier", () => {
  it("Auto writes an AdminNetworkPolicy (the data plane enforces that, not the ClusterNetworkPolicy also served), heals it, and removes it when enforcement changes or the profile goes", async () => {
    const dev = await namespace("dev");
    const name = `${suite}-deny`;
    const object = policyName(name);
    const profile = await profiles.create(name, { preset: "deny-all", namespaces: { names: [dev] }, allowDNS: false });

    const written = await eventually(() => read(`${ANP}/${object}`), "the AdminNetworkPolicy");
    expect(written.metadata.ownerReferences?.map((r) => r.uid)).toEqual([profile.metadata.uid]);
    expect({ priority: written.spec.priority, subject: written.spec.subject, ingress: written.spec.ingress?.map((r) => [r.name, r.action]), egress: written.spec.egress?.map((r) => [r.name, r.action]) }).toEqual({
      priority: 100,
      subject: { namespaces: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [dev] }] } },
      ingress: [["deny-in-cluster", "Deny"]],
      egress: [["deny-all", "Deny"]],
    });
    expect(await read(`${CNP}/${object}`)).toBeUndefined();
    // The NetworkPolicy stays: ingress from outside the cluster is only ever judged by it.
    expect(await profiles.policy(name, dev)).toBeDefined();

    const settled = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.enforcement?.object === object && p.status.observedGeneration === p.metadata.generation ? p : undefined;
    }, "status.enforcement naming the object");
    expect(settled.status?.enforcement).toMatchObject({ requested: "Auto", mode: "AdminTier", kind: "AdminNetworkPolicy", apiVersion: "policy.networking.k8s.io/v1alpha1", reason: "AdminTierEnforced", dataPlane: { name: "felix-3.31", evidence: "declared", enforces: ["NetworkPolicy", "AdminNetworkPolicy"] } });
    expect(settled.status?.conditions?.find((c) => c.type === "Enforced")).toMatchObject({ status: "True", reason: "Declared" });
    expect(settled.status?.namespaces?.find((n) => n.name === dev)).toMatchObject({ state: "Isolated", tenantProof: "InCluster" });

    // A tenant's allow-all: in-cluster it reaches nothing (the Admin tier decides first); from outside the cluster it opens dev, and status says exactly that.
    await requestJson(kc, "POST", `/apis/networking.k8s.io/v1/namespaces/${dev}/networkpolicies`, {
      body: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "tenant-allow-all" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [{}] } },
    });
    const bypassed = await eventually(async () => (await profiles.get(name))?.status?.namespaces?.find((n) => n.name === dev && n.state === "Bypassed"), "Bypassed from outside the cluster");
    expect(bypassed.tenantProof).toBe("InCluster");
    expect(bypassed.message).toContain("from outside the cluster");
    expect(bypassed.bypassedBy).toEqual([expect.stringMatching(new RegExp(`^${dev}/tenant-allow-all ingress\\[0\\]: `))]);
    await requestJson(kc, "DELETE", `/apis/networking.k8s.io/v1/namespaces/${dev}/networkpolicies/tenant-allow-all`);
    await eventually(async () => ((await profiles.get(name))?.status?.namespaces?.find((n) => n.name === dev)?.state === "Isolated" ? true : undefined), "Isolated again");

    // Drift: an edit by another client is restored.
    await requestJson(kc, "PATCH", `${ANP}/${object}`, { body: { spec: { priority: 999 } }, contentType: "application/merge-patch+json" });
    await eventually(async () => ((await read(`${ANP}/${object}`))?.spec.priority === 100 ? true : undefined), "the edited AdminNetworkPolicy restored");

    // Changing enforcement converges both ways and leaves nothing behind.
    await profiles.patchSpec(name, { enforcement: "NetworkPolicy" });
    await eventually(async () => ((await read(`${ANP}/${object}`)) ? undefined : true), "the AdminNetworkPolicy deleted");
    const asNp = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.enforcement?.mode === "NetworkPolicy" && p.status.observedGeneration === p.metadata.generation ? p : undefined;
    }, "status.enforcement NetworkPolicy");
    expect(asNp.status?.namespaces?.find((n) => n.name === dev)?.tenantProof).toBeUndefined();
    await profiles.patchSpec(name, { enforcement: "AdminTier" });
    await eventually(() => read(`${ANP}/${object}`), "the AdminNetworkPolicy written again");

    // Deleting the profile removes its Admin-tier object with its NetworkPolicies.
    await profiles.delete(name);
    await eventually(async () => ((await profiles.get(name)) ? undefined : true), "the profile deleted through its finalizer");
    expect(await read(`${ANP}/${object}`)).toBeUndefined();
    expect(await profiles.policy(name, dev)).toBeUndefined();
  }, 180_000);

  it("two profiles selecting one namespace: at one priority the older keeps the Admin tier and the newer writes nothing (Degraded); at different priorities both write and both statuses say which decides first", async () => {
    const shared = await namespace("shared");
    const [first, second] = [`${suite}-first`, `${suite}-second`];
    await profiles.create(first, { preset: "deny-all", namespaces: { names: [shared] }, allowDNS: false });
    await eventually(() => read(`${ANP}/${policyName(first)}`), `${first}'s AdminNetworkPolicy`);
    await profiles.create(second, { preset: "deny-ingress", namespaces: { names: [shared] } });

    const degraded = await eventually(async () => (await profiles.get(second))?.status?.conditions?.find((c) => c.type === "Degraded" && c.reason === "AdminTierPriorityConflict"), `${second} Degraded AdminTierPriorityConflict`);
    expect(degraded.message).toContain(`profile ${first} also selects ${shared} at the same spec.priority 100 and was created first`);
    expect(await read(`${ANP}/${policyName(second)}`)).toBeUndefined();
    // Its NetworkPolicy still isolates the namespace.
    expect(await profiles.policy(second, shared)).toBeDefined();
    const keeper = await eventually(async () => {
      const notes = (await profiles.get(first))?.status?.enforcement?.notes ?? [];
      return notes.find((n) => n.startsWith(`profile ${second} `));
    }, `${first}'s status naming ${second}`);
    expect(keeper).toContain("at the same priority 100; this profile was created first and keeps it");
    expect((await profiles.get(first))?.status?.namespaces?.find((n) => n.name === shared)?.tenantProof).toBe("InCluster");

    await profiles.patchSpec(second, { priority: 50 });
    const written = await eventually(() => read(`${ANP}/${policyName(second)}`), `${second}'s AdminNetworkPolicy at priority 50`);
    expect(written.spec.priority).toBe(50);
    expect((await read(`${ANP}/${policyName(first)}`))?.spec.priority).toBe(100);
    const notes = async (name: string) => (await profiles.get(name))?.status?.enforcement?.notes ?? [];
    await eventually(async () => ((await notes(first)).some((n) => n === `profile ${second} (priority 50) also selects namespace ${shared} and decides their in-cluster traffic first; this profile's Admin-tier rules are not reached for the directions it isolates there`) ? true : undefined), `${first} saying ${second} decides first`);
    await eventually(async () => ((await notes(second)).some((n) => n === `profile ${first} (priority 100) also selects namespace ${shared}; this profile decides their in-cluster traffic first`) ? true : undefined), `${second} saying it decides first`);
    expect((await profiles.get(second))?.status?.conditions?.find((c) => c.type === "Degraded")?.status).toBe("False");
    // Where the other profile's object decides first, this one's rules are not reached: it claims no tenant-proof part there.
    const entry = async (name: string) => (await profiles.get(name))?.status?.namespaces?.find((n) => n.name === shared);
    expect({ first: (await entry(first))?.tenantProof, second: (await entry(second))?.tenantProof }).toEqual({ first: undefined, second: "InCluster" });

    for (const name of [first, second]) await profiles.delete(name);
    for (const name of [first, second]) await eventually(async () => ((await profiles.get(name)) ? undefined : true), `${name} deleted`);
    for (const name of [first, second]) expect(await read(`${ANP}/${policyName(name)}`)).toBeUndefined();
  }, 180_000);

  it("an Admin-tier object at the generated name that the profile does not own is left alone and reported", async () => {
    const ns = await namespace("held");
    const name = `${suite}-held`;
    const object = policyName(name);
    const foreign = { apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "AdminNetworkPolicy", metadata: { name: object }, spec: { priority: 7, subject: { namespaces: { matchLabels: { "kubernetes.io/metadata.name": ns } } }, ingress: [{ name: "theirs", action: "Pass", from: [{ namespaces: {} }] }] } };
    await requestJson(kc, "POST", ANP, { body: foreign });
    try {
      await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] } });
      const degraded = await eventually(async () => (await profiles.get(name))?.status?.conditions?.find((c) => c.type === "Degraded" && c.reason === "AdminTierConflict"), "Degraded AdminTierConflict");
      expect(degraded.message).toContain(`AdminNetworkPolicy ${object} exists and is not this profile's`);
      const live = await read(`${ANP}/${object}`);
      expect({ priority: live?.spec.priority, owners: live?.metadata.ownerReferences ?? [] }).toEqual({ priority: 7, owners: [] });
      // Its NetworkPolicy still isolates the namespace.
      expect(await profiles.policy(name, ns)).toBeDefined();
      await profiles.delete(name);
      await eventually(async () => ((await profiles.get(name)) ? undefined : true), "the profile deleted");
      expect((await read(`${ANP}/${object}`))?.spec.priority).toBe(7);
    } finally {
      await requestJson(kc, "DELETE", `${ANP}/${object}`);
    }
  }, 120_000);
});
