import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import type { ParsedProfile } from "../../../src/api/types.js";
import { readManifests } from "../../../src/io/manifests.js";
import { canonicalSpec } from "../../../src/policy/canonical.js";
import { specHash } from "../../../src/policy/hash.js";
import type { Namespace, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicySpec } from "../../../src/k8s/objects.js";
import { renderProfiles } from "../../../src/cli/render-manifests.js";
import { renderProfile, renderSpec } from "../../../src/policy/render.js";
import { parse } from "yaml";

function parsed(spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "p", uid: "uid-1" }): ParsedProfile {
  const result = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata, spec });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({ metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } } });
const dev = { names: ["dev"] };
const DNS: NetworkPolicyEgressRule = {
  to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
  ports: [
    { protocol: "TCP", port: 53 },
    { protocol: "UDP", port: 53 },
  ],
};

describe("renderSpec per preset", () => {
  it.each<[string, Record<string, unknown>, NetworkPolicySpec]>([
    ["deny-ingress isolates ingress and admits nothing", { preset: "deny-ingress", namespaces: dev }, { podSelector: {}, policyTypes: ["Ingress"] }],
    ["deny-egress isolates egress and keeps DNS", { preset: "deny-egress", namespaces: dev }, { podSelector: {}, policyTypes: ["Egress"], egress: [DNS] }],
    ["deny-egress without DNS admits nothing", { preset: "deny-egress", namespaces: dev, allowDNS: false }, { podSelector: {}, policyTypes: ["Egress"] }],
    ["deny-all isolates both ways and keeps DNS", { preset: "deny-all", namespaces: dev }, { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [DNS] }],
    [
      "allow-same-namespace admits every pod of the namespace",
      { preset: "allow-same-namespace", namespaces: dev },
      { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
    ],
    [
      "allow-by-label admits exactly the allowed peers",
      { preset: "allow-by-label", namespaces: dev, allowedPeers: [{ podSelector: { matchLabels: { role: "fe" } } }] },
      { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { role: "fe" } } }] }] },
    ],
    [
      "allowedPeers add to allow-same-namespace",
      { preset: "allow-same-namespace", namespaces: dev, allowedPeers: [{ namespaceSelector: { matchLabels: { team: "a" } } }] },
      { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }, { podSelector: {} }] }] },
    ],
    [
      "ports alone open those ports to everyone",
      { preset: "deny-ingress", namespaces: dev, ports: [{ port: 443 }] },
      { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: 443 }] }] },
    ],
    [
      "ports restrict what the peers may reach",
      { preset: "allow-by-label", namespaces: dev, allowedPeers: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 8080, endPort: 8090, protocol: "UDP" }] },
      { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ protocol: "UDP", port: 8080, endPort: 8090 }] }] },
    ],
    [
      "egress allowances come before the DNS rule",
      { preset: "deny-egress", namespaces: dev, egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 443 }] }] },
      { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] }, DNS] },
    ],
    [
      "the pod selector is carried, sorted",
      { preset: "deny-ingress", namespaces: dev, podSelector: { matchLabels: { b: "2", a: "1" }, matchExpressions: [{ key: "z", operator: "In", values: ["y", "x"] }] } },
      { podSelector: { matchLabels: { a: "1", b: "2" }, matchExpressions: [{ key: "z", operator: "In", values: ["x", "y"] }] }, policyTypes: ["Ingress"] },
    ],
  ])("%s", (_name, spec, expected) => {
    expect(renderSpec(parsed(spec).spec)).toEqual(expected);
  });

  it("points DNS where the options say", () => {
    const spec = renderSpec(parsed({ preset: "deny-egress", namespaces: dev }).spec, { dns: { namespace: "dns", podSelector: { matchLabels: { app: "coredns" } } } });
    expect(spec.egress?.[0]?.to).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns" } }, podSelector: { matchLabels: { app: "coredns" } } }]);
  });

  it("gives the same output for a profile whose lists are reordered", () => {
    const a = parsed({ preset: "allow-by-label", namespaces: dev, allowedPeers: [{ podSelector: { matchLabels: { x: "1" } } }, { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "10.0.0.0/16"] } }] });
    const b = parsed({ preset: "allow-by-label", namespaces: dev, allowedPeers: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/16", "10.1.0.0/16"] } }, { podSelector: { matchLabels: { x: "1" } } }] });
    expect(JSON.stringify(renderSpec(a.spec))).toBe(JSON.stringify(renderSpec(b.spec)));
  });
});

describe("renderProfile", () => {
  const namespaces = [ns("test"), ns("dev"), ns("kube-system"), ns("other")];

  it("writes one policy per selected namespace, with labels, hash and owner", () => {
    const profile = parsed({ preset: "deny-ingress", namespaces: { names: ["dev", "test", "kube-system"] } }, { name: "lockdown", uid: "u-42" });
    const policies = renderProfile(profile, namespaces);
    expect(policies.map((p) => p.metadata.namespace)).toEqual(["dev", "test"]);
    const expected: NetworkPolicy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "netfence-lockdown",
        namespace: "dev",
        labels: { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "lockdown" },
        annotations: { "netfence.io/spec-hash": specHash({ podSelector: {}, policyTypes: ["Ingress"] }) },
        ownerReferences: [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: "lockdown", uid: "u-42", controller: true, blockOwnerDeletion: false }],
      },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    };
    expect(policies[0]).toEqual(expected);
  });

  it("leaves out the owner reference of a profile that has no uid yet (read from a file)", () => {
    const [policy] = renderProfile(parsed({ preset: "deny-ingress", namespaces: dev }, { name: "p" }), namespaces);
    expect(policy?.metadata.ownerReferences).toBeUndefined();
  });

  it("skips the operator namespace", () => {
    const policies = renderProfile(parsed({ preset: "deny-ingress", namespaces: { selector: {} } }), [...namespaces, ns("netfence")], { operatorNamespace: "netfence" });
    expect(policies.map((p) => p.metadata.namespace)).toEqual(["dev", "other", "test"]);
  });

  it("renders identically twice", () => {
    const profile = parsed({ preset: "deny-all", namespaces: { selector: {} }, allowedPeers: [{ podSelector: {} }] });
    expect(JSON.stringify(renderProfile(profile, namespaces))).toBe(JSON.stringify(renderProfile(profile, namespaces)));
  });
});

describe("renderProfiles", () => {
  const profile = (name: string, spec: unknown): unknown => ({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name }, spec });

  it("renders the valid ones in (namespace, name) order and reports the invalid ones by name and field", () => {
    const { policies, errors } = renderProfiles(
      [
        profile("zeta", { preset: "deny-ingress", namespaces: { names: ["a", "b"] } }),
        profile("broken", { preset: "allow-by-label", namespaces: { names: ["a"] } }),
        profile("alpha", { preset: "deny-egress", namespaces: { names: ["b"] } }),
      ],
      [ns("b"), ns("a")],
    );
    expect(policies.map((p) => `${p.metadata.namespace ?? ""}/${p.metadata.name}`)).toEqual(["a/netfence-zeta", "b/netfence-alpha", "b/netfence-zeta"]);
    expect(errors).toEqual(["broken: spec.allowedPeers: preset allow-by-label needs at least one entry in allowedPeers"]);
  });

  it("names a profile without a name as (unnamed)", () => {
    expect(renderProfiles([{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", spec: {} }], []).errors[0]).toMatch(/^\(unnamed\): metadata: /);
  });
});

describe("the walkthrough samples", () => {
  const fixtures = "test/fixtures/walkthrough";
  it.each([
    ["s2-deny-ingress", "s2-deny-ingress"],
    ["s3-deny-all", "s3-deny-all"],
    ["s4-ipblock-except", "s4-ipblock-except"],
    ["s5-same-namespace-label", "s5-same-namespace-label"],
  ])("%s renders the walkthrough's policy in dev, and only there", async (sample, state) => {
    const objects = await readManifests([`deploy/samples/walkthrough/${sample}.yaml`, `${fixtures}/cluster.yaml`]);
    const namespaces = objects.filter((o) => o.kind === "Namespace") as unknown as Namespace[];
    const { policies, errors } = renderProfiles(objects.filter((o) => o.kind === "IsolationProfile"), namespaces);
    const expected = parse(readFileSync(`${fixtures}/${state}/policy.yaml`, "utf8")) as NetworkPolicy;
    expect(errors).toEqual([]);
    expect(policies.map((p) => p.metadata.namespace)).toEqual(["dev"]);
    expect(policies[0]?.spec).toEqual(canonicalSpec(expected.spec));
  });

  it("s3 with DNS allowed adds exactly the DNS egress rule", async () => {
    const [sample] = await readManifests(["deploy/samples/walkthrough/s3-deny-all.yaml"]);
    const withDns = parsed({ ...(sample?.spec as Record<string, unknown>), allowDNS: true });
    expect(renderSpec(withDns.spec)).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [DNS] });
  });
});
