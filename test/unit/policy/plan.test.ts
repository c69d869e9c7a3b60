import { describe, expect, it } from "@jest/globals";
import type { NetworkPolicy, NetworkPolicyPeer } from "../../../src/k8s/objects.js";
import { specHash } from "../../../src/policy/hash.js";
import { policyName, profileLabelValue } from "../../../src/policy/naming.js";
import { planChanges, type Plan } from "../../../src/policy/plan.js";
import { ownedBy } from "../../../src/policy/ownership.js";

const LABELS = (profile: string): Record<string, string> => ({ "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": profile });
const OWNER = [{ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", name: "p", uid: "u1", controller: true, blockOwnerDeletion: false }];

function policy(namespace: string, opts: { name?: string; hash?: string; labels?: Record<string, string> | null; owner?: boolean; allow?: boolean } = {}): NetworkPolicy {
  const { name = "netfence-p", labels = LABELS("p"), owner = true, allow = false } = opts;
  const spec: NetworkPolicy["spec"] = allow ? { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] } : { podSelector: {}, policyTypes: ["Ingress"] };
  const hash = opts.hash ?? specHash(spec);
  return {
    metadata: {
      name,
      namespace,
      ...(labels ? { labels } : {}),
      annotations: { "netfence.io/spec-hash": hash },
      ...(owner ? { ownerReferences: OWNER } : {}),
    },
    spec,
  };
}

/** An owned policy whose spec was edited by hand: the annotation still carries the old hash. */
function edited(namespace: string): NetworkPolicy {
  const p = policy(namespace);
  return { ...p, spec: { ...p.spec, policyTypes: ["Ingress", "Egress"] } };
}

/** `p` with `extra` merged into its live spec, the stamp left as netfence wrote it. */
function stamped(p: NetworkPolicy, extra: Partial<NetworkPolicy["spec"]>): NetworkPolicy {
  return { ...p, spec: { ...p.spec, ...extra } };
}

/** `p` with `extra` merged into its spec and the stamp re-computed to match. */
function restamped(p: NetworkPolicy, extra: Partial<NetworkPolicy["spec"]>): NetworkPolicy {
  const spec = { ...p.spec, ...extra };
  return { ...p, metadata: { ...p.metadata, annotations: { "netfence.io/spec-hash": specHash(spec) } }, spec };
}

function unstamped(p: NetworkPolicy): NetworkPolicy {
  return { ...p, metadata: { ...p.metadata, annotations: {} } };
}

/** An allow rule with two peers, in canonical order or reversed. */
function twoPeers(namespace: string, reversed: boolean): NetworkPolicy {
  const peers: NetworkPolicyPeer[] = [{ podSelector: { matchLabels: { a: "1" } } }, { podSelector: { matchLabels: { b: "1" } } }];
  const spec: NetworkPolicy["spec"] = { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: reversed ? peers.reverse() : peers }] };
  const p = policy(namespace);
  return { ...p, metadata: { ...p.metadata, annotations: { "netfence.io/spec-hash": specHash(spec) } }, spec };
}

/** A plan as short strings: "create a", "update b", "unchanged c", "delete d", "conflict e". */
function summary(plan: Plan): string[] {
  return [
    ...plan.apply.map((a) => `${a.action} ${a.policy.metadata.namespace ?? ""}${a.drift ? ` (${a.drift})` : ""}`),
    ...plan.unchanged.map((p) => `unchanged ${p.metadata.namespace ?? ""}`),
    ...plan.delete.map((p) => `delete ${p.metadata.namespace ?? ""}`),
    ...plan.conflicts.map((c) => `conflict ${c.namespace}`),
  ];
}

describe("planChanges", () => {
  it.each<[string, NetworkPolicy[], NetworkPolicy[], string[]]>([
    ["a desired policy that does not exist is created", [policy("a")], [], ["create a"]],
    ["an owned policy with the same hash is unchanged", [policy("a")], [policy("a")], ["unchanged a"]],
    ["an owned policy with another hash is updated", [policy("a", { hash: "h2" })], [policy("a")], ["update a"]],
    ["an owned policy missing its owner reference is updated", [policy("a")], [policy("a", { owner: false })], ["update a"]],
    ["an owned policy whose spec was edited by hand (annotation kept) is updated as drift", [policy("a")], [edited("a")], ["update a (edited)"]],
    ["an owned policy no longer desired is deleted", [], [policy("a")], ["delete a"]],
    ["an unowned policy of the desired name is a conflict", [policy("a")], [policy("a", { labels: null })], ["conflict a"]],
    ["a policy of another profile with the desired name is a conflict", [policy("a")], [policy("a", { labels: LABELS("q") })], ["conflict a"]],
    ["an unowned policy not desired is left alone", [], [policy("a", { labels: null }), policy("b", { labels: LABELS("q") })], []],
    ["another policy in the same namespace is left alone", [policy("a")], [policy("a", { name: "mine", labels: null })], ["create a"]],
    [
      "everything at once, each list sorted",
      [policy("b"), policy("a", { hash: "h2" }), policy("c"), policy("d")],
      [policy("z"), policy("a"), policy("c"), policy("d", { labels: null }), policy("y")],
      ["update a", "create b", "unchanged c", "delete y", "delete z", "conflict d"],
    ],
    ["allowing policies are applied before denying ones", [policy("a"), policy("b", { allow: true }), policy("c", { allow: true })], [], ["create b", "create c", "create a"]],
  ])("%s", (_name, desired, existing, expected) => {
    const got = summary(planChanges("p", desired, existing));
    expect(got).toEqual(expected);
  });

  it.each<[string, NetworkPolicy[], NetworkPolicy[], string[], string[]]>([
    ["a missing policy the previous status had in place was deleted outside netfence", [policy("a")], [], ["a"], ["create a (deleted)"]],
    ["a missing policy in a namespace that had none (new, or selected again) is a plain create", [policy("a")], [], ["b"], ["create a"]],
    ["a narrowed profile: the live allow rule netfence wrote is replaced, not drift", [policy("a")], [policy("a", { allow: true })], ["a"], ["update a"]],
    ["a widening hand edit (the live spec no longer matches its stamp) is drift", [policy("a")], [stamped(policy("a"), { ingress: [{}] })], ["a"], ["update a (edited)"]],
    ["a hand edit that also re-stamped the hash is still behind the render: updated", [policy("a")], [restamped(policy("a"), { ingress: [{}] })], ["a"], ["update a"]],
    ["the managed-by label removed, owner reference kept: restored as drift", [policy("a")], [policy("a", { labels: { "netfence.io/profile": "p" } })], ["a"], ["update a (edited)"]],
    ["the profile label removed, owner reference kept: restored as drift", [policy("a")], [policy("a", { labels: { "app.kubernetes.io/managed-by": "netfence" } })], ["a"], ["update a (edited)"]],
    ["the stamp removed: restored as drift", [policy("a")], [unstamped(policy("a"))], ["a"], ["update a (edited)"]],
    ["labels for this profile but no owner reference to it: not ours, a conflict", [policy("a")], [policy("a", { owner: false })], ["a"], ["conflict a"]],
    ["reordered peers are a different spec: written back in netfence's order", [twoPeers("a", false)], [twoPeers("a", true)], ["a"], ["update a"]],
  ])("with the profile's uid: %s", (_name, desired, existing, inPlace, expected) => {
    const plan = planChanges({ name: "p", uid: "u1" }, desired, existing, (ns) => inPlace.includes(ns));
    expect(summary(plan)).toEqual(expected);
  });

  it("keeps the live object to replace on an update", () => {
    const current = policy("a", { allow: true });
    expect(planChanges({ name: "p", uid: "u1" }, [policy("a")], [current]).apply[0]?.current).toBe(current);
  });

  it("explains a conflict", () => {
    expect(planChanges("p", [policy("a")], [policy("a", { labels: LABELS("q") })]).conflicts).toEqual([
      { namespace: "a", name: "netfence-p", reason: "NetworkPolicy a/netfence-p belongs to IsolationProfile q" },
    ]);
    expect(planChanges("p", [policy("a")], [policy("a", { labels: null })]).conflicts[0]?.reason).toBe("NetworkPolicy a/netfence-p exists and is not managed by netfence");
  });

  it("applies the desired object, not the existing one", () => {
    const desired = policy("a", { hash: "h2" });
    expect(planChanges("p", [desired], [policy("a")]).apply[0]?.policy).toBe(desired);
  });
});

describe("ownedBy: the generated name and the owner uid, never labels alone", () => {
  it.each<[string, NetworkPolicy, string, string | undefined, boolean]>([
    ["the owner reference to this profile object", policy("a"), "p", "u1", true],
    ["the owner reference with every label stripped", policy("a", { labels: null }), "p", "u1", true],
    ["labels but another owner uid (a recreated profile)", policy("a"), "p", "u2", false],
    ["labels but no owner reference, uid asked", policy("a", { owner: false }), "p", "u1", false],
    ["the owner reference and labels under another name (copied)", policy("a", { name: "copy" }), "p", "u1", false],
    ["offline (no uid): labels for this profile at the generated name", policy("a", { owner: false }), "p", undefined, true],
    ["offline: labels for this profile under another name", policy("a", { name: "copy", owner: false }), "p", undefined, false],
    ["offline: labels for another profile", policy("a", { labels: LABELS("q") }), "p", undefined, false],
    ["offline: the profile label without managed-by", policy("a", { labels: { "netfence.io/profile": "p" } }), "p", undefined, false],
    ["offline: no labels", policy("a", { labels: null }), "p", undefined, false],
    ["offline: a long profile name by its shortened label value", policy("a", { name: policyName("l".repeat(70)), labels: LABELS(profileLabelValue("l".repeat(70))) }), "l".repeat(70), undefined, true],
    ["offline: a long profile name by its full name (not a valid label value)", policy("a", { name: policyName("l".repeat(70)), labels: LABELS("l".repeat(70)) }), "l".repeat(70), undefined, false],
  ])("%s", (_name, p, profile, uid, expected) => {
    expect(ownedBy(p, uid === undefined ? { name: profile } : { name: profile, uid })).toBe(expected);
  });
});
