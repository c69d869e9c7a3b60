/**
 * What of a tenant's NetworkPolicy still matters once the profile is enforced
 * in the Admin tier (src/policy/admin-envelope.ts). In a direction with no
 * surplus (admin-render.ts) the tier decides every pod: ingress rules keep
 * only their ipBlock peers (a rule with no `from`: every address), egress
 * rules reach nothing. The oracle for "still matters" is netfence's own
 * evaluator: the reduced policies admit exactly what the whole ones admit
 * under the profile's Admin-tier object.
 */
import { describe, expect, it } from "@jest/globals";
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicySpec } from "../../../src/k8s/objects.js";
import { TenantReachMemo, tenantProofOf, tenantReach, type TenantProof } from "../../../src/policy/admin-envelope.js";
import { adminTable, renderAdminTier, type Surplus } from "../../../src/policy/admin-render.js";
import { bypassVerdict, formatBypass } from "../../../src/policy/bypass.js";
import { describeTraffic } from "../../../src/policy/ports.js";
import { buildIndex, matrix, matrixCells, type ClusterState, type Traffic } from "../../../src/policy/reachability.js";
import { matchesSelector } from "../../../src/policy/selectors.js";
import { ADMIN_CASES, adminWorld, parsedProfile } from "./admin-model.js";

const NONE: TenantProof = { ingress: false, egress: false };
const INGRESS: TenantProof = { ingress: true, egress: false };
const EGRESS: TenantProof = { ingress: false, egress: true };
const BOTH: TenantProof = { ingress: true, egress: true };

/** What a peer the tier decides becomes: a selector no pod matches. */
const NOTHING_SELECTOR: LabelSelector = {
  matchExpressions: [
    { key: "netfence.io/unreachable", operator: "Exists" },
    { key: "netfence.io/unreachable", operator: "DoesNotExist" },
  ],
};
const NOTHING: NetworkPolicyPeer = { podSelector: NOTHING_SELECTOR };
const EVERY_ADDRESS: NetworkPolicyPeer[] = [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }];

const FROM_Z: NetworkPolicyPeer = { namespaceSelector: { matchLabels: { ns: "z" } } };
const POD_B: NetworkPolicyPeer = { podSelector: { matchLabels: { pod: "b" } } };
const TEAM_B_POD_C: NetworkPolicyPeer = { namespaceSelector: { matchLabels: { team: "b" } }, podSelector: { matchLabels: { pod: "c" } } };
const DOC_NET: NetworkPolicyPeer = { ipBlock: { cidr: "192.0.2.0/24", except: ["192.0.2.128/25"] } };
const OTHER_NET: NetworkPolicyPeer = { ipBlock: { cidr: "198.51.100.0/24" } };
const PORT_80 = [{ protocol: "TCP" as const, port: 80 }];

function tenant(name: string, spec: Partial<NetworkPolicySpec>, namespace = "x"): NetworkPolicy {
  return { metadata: { name, namespace, labels: { owner: "tenant" } }, spec: { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Ingress", "Egress"], ...spec } };
}

/** [sentence, proof, the tenant's spec, the spec that is still judged]. */
type Row = [string, TenantProof, Partial<NetworkPolicySpec>, Partial<NetworkPolicySpec>];

const rows: Row[] = [
  ["nothing tenant-proof: the policy is judged whole", NONE, { ingress: [{ from: [FROM_Z] }], egress: [{}] }, { ingress: [{ from: [FROM_Z] }], egress: [{}] }],
  ["an ingress rule with no from is every address, its ports kept", INGRESS, { ingress: [{ ports: PORT_80 }] }, { ingress: [{ ports: PORT_80, from: EVERY_ADDRESS }] }],
  ["an ingress rule with an empty from is every address too", INGRESS, { ingress: [{ from: [] }] }, { ingress: [{ from: EVERY_ADDRESS }] }],
  ["an empty ingress rule (allow all) is every address", INGRESS, { ingress: [{}] }, { ingress: [{ from: EVERY_ADDRESS }] }],
  ["an ingress rule from a namespace reaches nothing", INGRESS, { ingress: [{ from: [FROM_Z], ports: PORT_80 }] }, { ingress: [{ from: [NOTHING], ports: PORT_80 }] }],
  ["an ingress rule from pods of its namespace reaches nothing", INGRESS, { ingress: [{ from: [POD_B] }] }, { ingress: [{ from: [NOTHING] }] }],
  ["an ingress rule from pods in other namespaces reaches nothing", INGRESS, { ingress: [{ from: [TEAM_B_POD_C] }] }, { ingress: [{ from: [NOTHING] }] }],
  ["an ingress rule from pods and addresses keeps only the addresses, except and order kept", INGRESS, { ingress: [{ from: [POD_B, DOC_NET, FROM_Z, OTHER_NET] }] }, { ingress: [{ from: [DOC_NET, OTHER_NET] }] }],
  [
    "every ingress rule keeps its index, so the verdict names the tenant's rules",
    INGRESS,
    { ingress: [{ from: [FROM_Z] }, { ports: PORT_80 }, { from: [OTHER_NET] }] },
    { ingress: [{ from: [NOTHING] }, { ports: PORT_80, from: EVERY_ADDRESS }, { from: [OTHER_NET] }] },
  ],
  ["ingress tenant-proof leaves egress whole", INGRESS, { ingress: [{ from: [FROM_Z] }], egress: [{ to: [FROM_Z] }, {}] }, { ingress: [{ from: [NOTHING] }], egress: [{ to: [FROM_Z] }, {}] }],
  ["an ingress deny-all (no rules) stays a deny-all", INGRESS, { ingress: [] }, { ingress: [] }],
  ["an egress-only policy has no ingress to reduce", INGRESS, { policyTypes: ["Egress"], egress: [{ to: [FROM_Z] }] }, { policyTypes: ["Egress"], egress: [{ to: [FROM_Z] }] }],
  ["an empty egress rule (allow all) reaches nothing", EGRESS, { egress: [{}] }, { egress: [{ to: [NOTHING] }] }],
  ["an egress rule to outside addresses reaches nothing: the tier denies every address", EGRESS, { egress: [{ to: [OTHER_NET], ports: PORT_80 }] }, { egress: [{ to: [NOTHING], ports: PORT_80 }] }],
  ["every egress rule reaches nothing, its index and ports kept", EGRESS, { egress: [{ to: [FROM_Z] }, { ports: PORT_80 }] }, { egress: [{ to: [NOTHING] }, { to: [NOTHING], ports: PORT_80 }] }],
  ["egress tenant-proof leaves ingress whole", EGRESS, { ingress: [{ from: [FROM_Z] }], egress: [{}] }, { ingress: [{ from: [FROM_Z] }], egress: [{ to: [NOTHING] }] }],
  ["both directions tenant-proof: ingress from outside only, egress nothing", BOTH, { ingress: [{ from: [POD_B, OTHER_NET] }, {}], egress: [{ to: [DOC_NET] }] }, { ingress: [{ from: [OTHER_NET] }, { from: EVERY_ADDRESS }], egress: [{ to: [NOTHING] }] }],
];

describe("tenantReach", () => {
  it.each(rows)("%s", (_name, proof, spec, expected) => {
    const policy = tenant("t", spec);
    const before = structuredClone(policy);
    const reach = tenantReach(policy, proof);
    expect(reach).toEqual(tenant("t", expected));
    // The tenant's object is the informer's: never written to.
    expect(policy).toEqual(before);
  });

  it("returns the policy itself when nothing is tenant-proof", () => {
    const policy = tenant("t", { ingress: [{}] });
    expect(tenantReach(policy, NONE)).toBe(policy);
  });

  it.each([
    ["no labels", {}],
    ["the key set", { "netfence.io/unreachable": "" }],
    ["other labels", { pod: "a", ns: "x" }],
  ])("the peer that replaces what the tier decides selects no pod: %s", (_name, labels) => {
    const reduced = tenantReach(tenant("t", { ingress: [{ from: [POD_B] }], egress: [{}] }), BOTH);
    const peers = [...(reduced.spec.ingress?.[0]?.from ?? []), ...(reduced.spec.egress?.[0]?.to ?? [])];
    expect(peers).toHaveLength(2);
    for (const peer of peers) {
      expect(peer.ipBlock).toBeUndefined();
      expect(peer.namespaceSelector).toBeUndefined();
      expect(matchesSelector(peer.podSelector, labels)).toBe(false);
    }
  });
});

describe("tenantProofOf: a direction is tenant-proof when the tier isolates it and passes no surplus", () => {
  it.each([
    ["both isolated, no surplus", { ingress: true, egress: true }, { ingress: false, egress: false }, BOTH],
    ["both isolated, an ingress surplus", { ingress: true, egress: true }, { ingress: true, egress: false }, EGRESS],
    ["both isolated, an egress surplus", { ingress: true, egress: true }, { ingress: false, egress: true }, INGRESS],
    ["both isolated, both with surplus", { ingress: true, egress: true }, { ingress: true, egress: true }, NONE],
    ["ingress isolated only", { ingress: true, egress: false }, { ingress: false, egress: false }, INGRESS],
    ["nothing isolated", { ingress: false, egress: false }, { ingress: false, egress: false }, NONE],
  ] as [string, { ingress: boolean; egress: boolean }, Surplus, TenantProof][])("%s", (_name, isolates, surplus, expected) => {
    expect(tenantProofOf(isolates, surplus)).toEqual(expected);
  });

  const WORLD = adminWorld();
  const OPERATOR = { operatorNamespace: "netfence-system" };
  it.each([
    ["deny-all, labels", BOTH],
    ["deny-ingress, labels", INGRESS],
    ["deny-egress with DNS, labels", EGRESS],
    ["deny-egress with allowances, one name", EGRESS],
    // Passed beyond the profile (the notes say where): the tenant's egress is judged whole.
    ["deny-egress with allowances, labels", NONE],
    ["deny-egress to a named port, labels", NONE],
    ["deny-egress to an ipBlock with except (pods by IP), labels", NONE],
  ] as [string, TenantProof][])("as the controller has it from the render: %s", (name, expected) => {
    const c = ADMIN_CASES.find((a) => a.name === name);
    if (!c) throw new Error(`no case ${name}`);
    const { table, surplus } = adminTable(parsedProfile(c.spec), WORLD.namespaces, OPERATOR);
    if (!table) throw new Error("no table");
    expect(tenantProofOf({ ingress: table.ingress !== undefined, egress: table.egress !== undefined }, surplus)).toEqual(expected);
  });
});

describe("for the profile's pods, the reduced policies admit what the whole ones admit under its Admin-tier object", () => {
  const WORLD = adminWorld();
  const OPERATOR = { operatorNamespace: "netfence-system" };
  const TRAFFIC: Traffic[] = [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 81 }, { protocol: "UDP", port: 53 }, { protocol: "ICMP" }];
  const EXTERNALS = ["192.0.2.10", "192.0.2.200", "198.51.100.7"];

  /** What tenants write in every namespace the profile renders into; `podSelector: {}` also selects pods the profile leaves alone. */
  const TENANTS: [string, Partial<NetworkPolicySpec>][] = [
    ["allow-all", { podSelector: {}, ingress: [{}], egress: [{}] }],
    ["from-z-and-doc-net", { podSelector: {}, ingress: [{ from: [FROM_Z, DOC_NET], ports: PORT_80 }], egress: [{ to: [OTHER_NET] }, { to: [FROM_Z] }] }],
    ["pod-a-from-pods", { ingress: [{ from: [TEAM_B_POD_C, POD_B] }, { from: [OTHER_NET] }], egress: [{ to: [POD_B] }] }],
  ];

  /**
   * The tenant-proof sides of the profile's pods, every peer and probe: the
   * ingress of a pod it selects when ingress is tenant-proof, its egress when
   * egress is. (Pods it does not select are no concern of its verdict.)
   */
  function sides(cluster: ClusterState, subject: ReadonlySet<string>, proof: TenantProof): string[] {
    const index = buildIndex(cluster);
    expect(index.tiers.warnings).toEqual([]);
    return TRAFFIC.flatMap((traffic) =>
      matrixCells(matrix(index, traffic, { externals: EXTERNALS })).flatMap((c) => [
        ...(proof.ingress && subject.has(c.to) ? [`${describeTraffic(traffic)} ${c.from} → ${c.to} ingress: ${String(c.ingress)}`] : []),
        ...(proof.egress && subject.has(c.from) ? [`${describeTraffic(traffic)} ${c.from} → ${c.to} egress: ${String(c.egress)}`] : []),
      ]),
    );
  }

  const proven = ADMIN_CASES.flatMap((c) => {
    const out = renderAdminTier(parsedProfile(c.spec), WORLD.namespaces, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    if (!out.ok || !out.object || !out.table) return [];
    const proof = tenantProofOf({ ingress: out.table.ingress !== undefined, egress: out.table.egress !== undefined }, out.surplus);
    return proof.ingress || proof.egress ? [{ name: c.name, proof, object: out.object, residual: out.residual }] : [];
  });

  it("covers every case of the render with a tenant-proof direction (64 today)", () => {
    expect(proven.length).toBeGreaterThanOrEqual(60);
  });

  it.each(proven.map((p) => [p.name, p] as const))("%s", (_name, { proof, object, residual }) => {
    const subject = new Set(WORLD.pods.filter((pod) => residual.some((r) => r.metadata.namespace === pod.metadata.namespace && matchesSelector(r.spec.podSelector, pod.metadata.labels))).map((pod) => `${pod.metadata.namespace ?? ""}/${pod.metadata.name}`));
    expect(subject.size).toBeGreaterThan(0);
    // One tenant policy at a time: an allow-all would hide what the others still open.
    for (const [n, spec] of TENANTS) {
      const tenants = residual.map((r) => tenant(n, spec, r.metadata.namespace));
      const reduced = tenants.map((t) => tenantReach(t, proof));
      expect(reduced).not.toEqual(tenants);
      const whole = sides({ ...WORLD, policies: [...residual, ...tenants], tierPolicies: [object] }, subject, proof);
      expect(sides({ ...WORLD, policies: [...residual, ...reduced], tierPolicies: [object] }, subject, proof)).toEqual(whole);
    }
  });
});

describe("the Bypassed verdict on the reduced policies names only what reaches past the tier", () => {
  const WORLD = adminWorld();
  const OPERATOR = { operatorNamespace: "netfence-system" };

  function judged(caseName: string, policies: NetworkPolicy[], proof: TenantProof): string[] {
    const c = ADMIN_CASES.find((a) => a.name === caseName);
    if (!c) throw new Error(`no case ${caseName}`);
    const render = renderAdminTier(parsedProfile(c.spec), WORLD.namespaces, "ClusterNetworkPolicy/v1beta1", OPERATOR);
    const own = render.residual.find((p) => p.metadata.namespace === "x");
    if (!own) throw new Error("no policy in x");
    const v = bypassVerdict({ profileName: "p", profileUid: "uid-1", namespace: "x", desired: own, policies: [own, ...policies.map((p) => tenantReach(p, proof))] });
    return v.bypassedBy.map(formatBypass);
  }

  it.each([
    ["a rule from other namespaces' pods bypasses NetworkPolicies alone", NONE, [tenant("from-z", { podSelector: {}, ingress: [{ from: [FROM_Z] }] })], ["x/from-z ingress[0]"]],
    ["the same rule is tenant-proof under the tier: Isolated", BOTH, [tenant("from-z", { podSelector: {}, ingress: [{ from: [FROM_Z] }] })], []],
    ["an allow-all still admits ingress from outside the cluster: named, egress not", BOTH, [tenant("allow-all", { podSelector: {}, ingress: [{}], egress: [{}] })], ["x/allow-all ingress[0]"]],
    ["an ipBlock rule is named by its original index", BOTH, [tenant("mixed", { podSelector: {}, ingress: [{ from: [POD_B] }, { from: [OTHER_NET] }] })], ["x/mixed ingress[1]"]],
  ] as [string, TenantProof, NetworkPolicy[], string[]][])("%s", (_name, proof, policies, names) => {
    const lines = judged("deny-all, labels", policies, proof);
    expect(lines.map((l) => l.split(":")[0])).toEqual(names);
  });
});

describe("TenantReachMemo", () => {
  const policy = tenant("t", { ingress: [{ from: [POD_B, OTHER_NET] }], egress: [{}] });

  it("gives the same object back for the same policy and proof, even a proof spelled anew", () => {
    const memo = new TenantReachMemo();
    const first = memo.of(policy, BOTH);
    expect(first).toEqual(tenantReach(policy, BOTH));
    expect(memo.of(policy, BOTH)).toBe(first);
    expect(memo.of(policy, { ingress: true, egress: true })).toBe(first);
  });

  it("gives the policy itself back when nothing is tenant-proof", () => {
    expect(new TenantReachMemo().of(policy, NONE)).toBe(policy);
  });

  it("recomputes for another proof, and keeps each", () => {
    const memo = new TenantReachMemo();
    const both = memo.of(policy, BOTH);
    const ingress = memo.of(policy, INGRESS);
    const egress = memo.of(policy, EGRESS);
    expect(ingress).not.toBe(both);
    expect(ingress).toEqual(tenantReach(policy, INGRESS));
    expect(egress).toEqual(tenantReach(policy, EGRESS));
    expect(new Set([both, ingress, egress]).size).toBe(3);
    expect(memo.of(policy, BOTH)).toBe(both);
    expect(memo.of(policy, INGRESS)).toBe(ingress);
  });

  it("recomputes when the policy changes (the informer hands over a new object)", () => {
    const memo = new TenantReachMemo();
    const before = memo.of(policy, BOTH);
    const updated: NetworkPolicy = { ...policy, spec: { ...policy.spec, ingress: [{ from: [FROM_Z] }] } };
    const after = memo.of(updated, BOTH);
    expect(after).not.toBe(before);
    expect(after).toEqual(tenantReach(updated, BOTH));
    expect(after.spec.ingress).toEqual([{ from: [NOTHING] }]);
    // An equal copy is a new object too: judged afresh, to the same result.
    const copy = structuredClone(policy);
    const again = memo.of(copy, BOTH);
    expect(again).not.toBe(before);
    expect(again).toEqual(before);
  });

  it("keeps one memo per instance", () => {
    expect(new TenantReachMemo().of(policy, BOTH)).not.toBe(new TenantReachMemo().of(policy, BOTH));
  });
});
