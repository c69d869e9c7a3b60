import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { installNetworkPolicyApiCrds } from "../../src/controlplane/network-policy-api.js";
import { requestJson } from "../../src/io/client.js";
import { eventually, kubeConfig } from "./helpers.js";
import { operatorSuite } from "./suite.js";

/**
 * The Admin tier in the operator's verdict, on the real control plane with the
 * upstream ClusterNetworkPolicy CRD served (installed before the operator
 * starts: discovery at start-up decides what it watches). An Admin-tier
 * Accept into an isolated namespace makes it Bypassed, named; an Admin Deny
 * never does; the Isolated condition says which kinds were read (AdminNetworkPolicy
 * too when an earlier test file, the data plane's, installed its CRD on the shared
 * control plane).
 */
const kc = kubeConfig();
const CNP = "/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies";
const written: string[] = [];

beforeAll(async () => {
  await installNetworkPolicyApiCrds(kc);
}, 300_000);

const { suite, profiles, namespace } = operatorSuite("tiers");

afterAll(async () => {
  await Promise.allSettled(written.map((name) => requestJson(kc, "DELETE", `${CNP}/${name}`)));
});

async function createCnp(name: string, spec: Record<string, unknown>): Promise<void> {
  await requestJson(kc, "POST", CNP, { body: { apiVersion: "policy.networking.k8s.io/v1beta1", kind: "ClusterNetworkPolicy", metadata: { name }, spec } });
  written.push(name);
}

describe("the Admin tier in the Bypassed verdict", () => {
  it("an Admin Accept into the isolated namespace is a bypass named by the policy; deleting it isolates again; an Admin Deny is none", async () => {
    const ns = await namespace("iso");
    const other = await namespace("other");
    const name = `${suite}-iso`;
    await profiles.create(name, { preset: "deny-ingress", namespaces: { names: [ns] } });
    const isolated = await eventually(async () => {
      const p = await profiles.settled(name);
      return p?.status?.isolatedNamespaces === 1 ? p : undefined;
    }, "isolated");
    expect(isolated.status?.conditions?.find((c) => c.type === "Isolated")?.message).toMatch(/\(NetworkPolicies(,| and) ClusterNetworkPolicies( and AdminNetworkPolicies)? read\)(; whether a data plane enforces NetworkPolicy is unverified \(see the Enforced condition\))?$/);

    const subject = { namespaces: { matchLabels: { "kubernetes.io/metadata.name": ns } } };
    await createCnp(`${suite}-deny`, { tier: "Admin", priority: 20, subject, ingress: [{ name: "deny-other", action: "Deny", from: [{ namespaces: { matchLabels: { "kubernetes.io/metadata.name": other } } }] }] });
    await createCnp(`${suite}-open`, { tier: "Admin", priority: 30, subject, ingress: [{ name: "from-anywhere", action: "Accept", from: [{ namespaces: {} }] }] });
    const bypassed = await eventually(async () => {
      const p = await profiles.get(name);
      return p?.status?.bypassedNamespaces === 1 ? p : undefined;
    }, "Bypassed by the Admin tier");
    const entry = bypassed.status?.namespaces?.find((n) => n.name === ns);
    expect(entry?.state).toBe("Bypassed");
    // The Deny at priority 20 comes first and may decide part of it: Possible, with the Deny named.
    expect(entry?.bypassedBy).toEqual([
      `ClusterNetworkPolicy/${suite}-open ingress[0]: any pod in any namespace, any port (possible: ClusterNetworkPolicy/${suite}-deny ingress[0] "deny-other" comes first in the Admin tier and may decide this traffic)`,
    ]);

    await requestJson(kc, "DELETE", `${CNP}/${suite}-open`);
    await eventually(async () => ((await profiles.get(name))?.status?.namespaces?.find((n) => n.name === ns)?.state === "Isolated" ? true : undefined), "Isolated again with only the Deny left");
  });
});
