import { describe, expect, it } from "@jest/globals";
import type { IsolationProfile } from "../../../src/api/types.js";
import { namespaceKeys, podKeys, policyKeys, profileKeys, ProfileIndex } from "../../../src/controller/mappers.js";
import type { ReadCache } from "../../../src/controller/ports.js";
import type { Namespace, NetworkPolicy, Pod } from "../../../src/k8s/objects.js";

function cache<T extends { metadata: { name: string; namespace?: string } }>(items: T[]): ReadCache<T> {
  return {
    get: (name, namespace) => items.find((i) => i.metadata.name === name && (namespace === undefined || i.metadata.namespace === namespace)),
    list: () => items,
    byNamespace: (namespace) => items.filter((i) => i.metadata.namespace === namespace),
  };
}

const profile = (name: string, spec: Record<string, unknown>, resourceVersion = "1"): IsolationProfile =>
  ({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name, resourceVersion }, spec }) as unknown as IsolationProfile;
const namespace = (name: string, labels: Record<string, string> = {}, deleting = false): Namespace => ({
  metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels }, ...(deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
});
const pod = (name: string, ns: string, labels: Record<string, string> = {}): Pod => ({ metadata: { name, namespace: ns, labels } });

const profiles = cache([
  profile("by-name", { preset: "deny-all", namespaces: { names: ["dev"] } }),
  profile("by-label", { preset: "deny-ingress", namespaces: { selector: { matchLabels: { team: "a" } } } }),
  profile("glob", { preset: "deny-ingress", namespaces: { names: ["team-*"] } }),
  profile("broken", { preset: "no-such-preset", namespaces: { names: ["dev"] } }),
]);
const index = new ProfileIndex(profiles, "netfence-system");

describe("namespaceKeys", () => {
  it.each<[string, Namespace, Namespace | undefined, string[]]>([
    ["a new namespace maps to the profiles that select it by name", namespace("dev"), undefined, ["by-name"]],
    ["a new namespace maps to profiles selecting its labels", namespace("x", { team: "a" }), undefined, ["by-label"]],
    ["a glob selects by name", namespace("team-blue"), undefined, ["glob"]],
    ["a label removed maps to the profile that selected the old labels", namespace("x"), namespace("x", { team: "a" }), ["by-label"]],
    ["an update without label change maps to nothing", namespace("dev"), namespace("dev"), []],
    ["a namespace starting to terminate is a change", namespace("dev", {}, true), namespace("dev"), ["by-name"]],
    ["a namespace nobody selects maps to nothing", namespace("other"), undefined, []],
    ["an invalid profile selects nothing", namespace("dev"), undefined, ["by-name"]],
  ])("%s", (_name, ns, old, expected) => {
    expect(namespaceKeys(index, ns, old).sort()).toEqual(expected.sort());
  });
});

describe("podKeys", () => {
  const namespaces = cache([namespace("dev"), namespace("other")]);
  it.each<[string, Pod, Pod | undefined, string[]]>([
    ["a new pod maps to the profiles selecting its namespace", pod("p", "dev"), undefined, ["by-name"]],
    ["a relabelled pod does too", pod("p", "dev", { a: "1" }), pod("p", "dev"), ["by-name"]],
    ["a pod update without label change maps to nothing", pod("p", "dev", { a: "1" }), pod("p", "dev", { a: "1" }), []],
    ["a pod in an unselected namespace maps to nothing", pod("p", "other"), undefined, []],
    ["a pod in an unknown namespace maps to nothing", pod("p", "ghost"), undefined, []],
  ])("%s", (_name, p, old, expected) => {
    expect(podKeys(index, namespaces, p, old)).toEqual(expected);
  });
});

describe("policyKeys", () => {
  const managed = (labels: Record<string, string>, owner?: string): NetworkPolicy => ({
    metadata: {
      name: "netfence-x",
      namespace: "dev",
      labels,
      ...(owner ? { ownerReferences: [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: owner, uid: "u" }] } : {}),
    },
    spec: { podSelector: {} },
  });
  it.each<[string, NetworkPolicy, NetworkPolicy | undefined, string[]]>([
    ["the owner reference names the profile (full name, even when the label is shortened)", managed({ "netfence.io/profile": "short-abc" }, "a-very-long-name"), undefined, ["a-very-long-name"]],
    ["without an owner reference the label names it", managed({ "netfence.io/profile": "p" }), undefined, ["p"]],
    ["a label moved between profiles maps to both", managed({ "netfence.io/profile": "q" }), managed({ "netfence.io/profile": "p" }), ["q", "p"]],
    ["a policy without either, in a namespace no profile selects, maps to nothing", managed({}), undefined, []],
  ])("%s", (_name, p, old, expected) => {
    const index = new ProfileIndex(cache([profile("other", { preset: "deny-ingress", namespaces: { names: ["test"] } })]), undefined);
    expect(policyKeys(index, cache([namespace("dev"), namespace("test")]), p, old)).toEqual({ owners: expected, rejudge: [] });
  });

  it("a tenant's policy asks every profile selecting its namespace to judge that namespace again (it may bypass them)", () => {
    const index = new ProfileIndex(
      cache([profile("by-name", { preset: "deny-ingress", namespaces: { names: ["dev"] } }), profile("elsewhere", { preset: "deny-ingress", namespaces: { names: ["test"] } })]),
      undefined,
    );
    const tenant: NetworkPolicy = { metadata: { name: "allow-all", namespace: "dev" }, spec: { podSelector: {}, ingress: [{}] } };
    expect(policyKeys(index, cache([namespace("dev"), namespace("test")]), tenant)).toEqual({ owners: [], rejudge: ["by-name"] });
  });

  it("another profile's policy is a full pass for its owner and a re-judgement for the other profiles there", () => {
    const index = new ProfileIndex(
      cache([profile("owner", { preset: "deny-ingress", namespaces: { names: ["dev"] } }), profile("neighbour", { preset: "allow-same-namespace", namespaces: { names: ["dev"] } })]),
      undefined,
    );
    expect(policyKeys(index, cache([namespace("dev")]), managed({ "netfence.io/profile": "owner" }, "owner"))).toEqual({ owners: ["owner"], rejudge: ["neighbour"] });
  });
});

describe("profileKeys", () => {
  const base = (meta: Partial<IsolationProfile["metadata"]> = {}, status?: IsolationProfile["status"]): IsolationProfile =>
    ({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "p", generation: 1, labels: { a: "1" }, finalizers: ["netfence.io/cleanup"], ...meta }, spec: {}, ...(status ? { status } : {}) }) as unknown as IsolationProfile;
  it.each<[string, IsolationProfile, string[]]>([
    ["a status write (netfence's own) is skipped", base({ resourceVersion: "2" }, { observedGeneration: 1 }), []],
    ["a spec change (new generation) re-enqueues", base({ generation: 2 }), ["p"]],
    ["a label change re-enqueues", base({ labels: { a: "2" } }), ["p"]],
    ["an annotation change re-enqueues", base({ annotations: { touch: "1" } }), ["p"]],
    ["a finalizer removed re-enqueues", base({ finalizers: [] }), ["p"]],
    ["deletion re-enqueues", base({ deletionTimestamp: "2026-12-01T00:00:00Z" }), ["p"]],
  ])("%s", (_name, updated, expected) => {
    expect(profileKeys(updated, base({ resourceVersion: "1" }))).toEqual(expected);
  });
});
