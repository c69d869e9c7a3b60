import { describe, expect, it } from "@jest/globals";
import { parseProfile } from "../../../src/api/parse.js";
import { bypassVerdict } from "../../../src/policy/bypass.js";
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from "../../../src/k8s/objects.js";
import { buildIndex, cellAllowed, matrix, type Traffic } from "../../../src/policy/reachability.js";
import { renderProfile } from "../../../src/policy/render.js";
import { prng } from "../../../src/lib/prng.js";
import { modelCluster, NAMESPACES, policy } from "./reachability-model.js";

/**
 * Whenever bypassVerdict says Isolated, the exact evaluator must agree: on the
 * e2e model cluster (plus outside addresses), the tenant policy added to the
 * profile's lets no pair through that the profile alone does not.
 */

const PROFILES: Record<string, unknown>[] = [
  { preset: "deny-ingress" },
  { preset: "deny-egress", allowDNS: false },
  { preset: "deny-all" },
  { preset: "allow-same-namespace" },
  { preset: "allow-same-namespace", ports: [{ port: 80 }], podSelector: { matchLabels: { pod: "a" } } },
  { preset: "allow-by-label", allowedPeers: [{ podSelector: { matchLabels: { pod: "a" } } }, { namespaceSelector: { matchLabels: { ns: "y" } } }] },
  { preset: "allow-by-label", allowedPeers: [{ ipBlock: { cidr: "10.1.0.0/16", except: ["10.1.1.0/24"] } }], ports: [{ port: 80, endPort: 81 }] },
  { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["z"] }] }, podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["a", "b"] }] } }], ports: [{ port: "serve-80-tcp" }] },
  { preset: "deny-egress", egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 80 }, { protocol: "UDP" }] }, { to: [{ ipBlock: { cidr: "10.1.2.0/24" } }] }] },
  // Peers the judged namespace x itself matches by its labels: its own pods are then admitted.
  { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchLabels: { ns: "x" } } }] },
  { preset: "allow-by-label", allowedPeers: [{ namespaceSelector: { matchExpressions: [{ key: "ns", operator: "In", values: ["x", "y"] }] }, podSelector: { matchLabels: { pod: "a" } } }], ports: [{ port: 80 }] },
];

/** x's labels in the model cluster: what the operator passes the verdict. */
const X_LABELS = { ns: "x", "kubernetes.io/metadata.name": "x" };

function desiredIn(spec: Record<string, unknown>): NetworkPolicy {
  const parsed = parseProfile({ apiVersion: "netfence.io/v1alpha1", kind: "IsolationProfile", metadata: { name: "iso" }, spec: { namespaces: { names: ["x"] }, ...spec } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const [p] = renderProfile(parsed.value, [{ metadata: { name: "x", labels: { ns: "x", "kubernetes.io/metadata.name": "x" } } }]);
  if (!p) throw new Error("no policy for x");
  return p;
}

/**
 * What a hostile tenant adds: netfence's labels copied onto its policy, CIDR
 * spellings an older API server stored that netfence cannot read, selectors
 * with 50+ values (a few of them real).
 */
function adversarial(rand: () => number, tenant: NetworkPolicy): NetworkPolicy {
  const out = structuredClone<NetworkPolicy>(tenant);
  if (rand() < 0.5) out.metadata.labels = { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": "iso" };
  const odd = ["010.1.0.0/16", "10.1.0.0/016", "0.0.0.0/00", "10.1.2.3/16"];
  const many = (real: readonly string[]) => [...Array.from({ length: 50 + Math.floor(rand() * 30) }, (_, i) => `v-${String(i)}`), ...real.filter(() => rand() < 0.5)];
  for (const rule of [...(out.spec.ingress ?? []).map((r) => r.from), ...(out.spec.egress ?? []).map((r) => r.to)]) {
    for (const peer of rule ?? []) {
      const r = rand();
      if (peer.ipBlock && r < 0.5) peer.ipBlock = { cidr: odd[Math.floor(rand() * odd.length)] ?? "010.1.0.0/16" };
      else if (peer.namespaceSelector && r < 0.5) peer.namespaceSelector = { matchExpressions: [{ key: "ns", operator: rand() < 0.5 ? "In" : "NotIn", values: many(NAMESPACES) }] };
      else if (peer.podSelector && r < 0.5) peer.podSelector = { matchExpressions: [{ key: "pod", operator: rand() < 0.5 ? "In" : "NotIn", values: many(["a", "b", "c"]) }] };
    }
  }
  return out;
}

/** A tenant policy in x, drawn from pieces close to the profiles' so that some are contained. */
function tenantPolicy(rand: () => number): NetworkPolicy {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const selector = (key: string, values: readonly string[]): LabelSelector | undefined =>
    pick<LabelSelector | undefined>([
      undefined,
      {},
      { matchLabels: { [key]: pick(values) } },
      { matchExpressions: [{ key, operator: "NotIn", values: [pick(values)] }] },
      { matchExpressions: [{ key, operator: "In", values: [pick(values), pick(values)] }] },
      { matchExpressions: [{ key, operator: "Exists" }] },
    ]);
  const peer = (): NetworkPolicyPeer => {
    if (rand() < 0.25) return { ipBlock: pick([{ cidr: "10.1.0.0/16", except: ["10.1.1.0/24"] }, { cidr: "10.1.2.2/31" }, { cidr: "10.1.1.0/24" }, { cidr: "0.0.0.0/0" }, { cidr: "10.1.2.0/24" }]) };
    const pod = selector("pod", ["a", "b", "c"]);
    const ns = pick<LabelSelector | undefined>([selector("ns", NAMESPACES), { matchLabels: { "kubernetes.io/metadata.name": pick(NAMESPACES) } }]);
    if (!pod && !ns) return { podSelector: {} };
    return { ...(pod ? { podSelector: pod } : {}), ...(ns ? { namespaceSelector: ns } : {}) };
  };
  const ports = (): NetworkPolicyPort[] | undefined =>
    pick<NetworkPolicyPort[] | undefined>([undefined, [{ port: 80 }], [{ port: 81 }], [{ port: "serve-80-tcp" }], [{ port: "serve-81-tcp" }], [{ port: 80, endPort: 81 }], [{ protocol: "UDP", port: 80 }], [{ protocol: "UDP" }]]);
  const rules = (): { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[] =>
    Array.from({ length: Math.floor(rand() * 3) }, () => {
      const peers = rand() < 0.15 ? undefined : Array.from({ length: 1 + Math.floor(rand() * 2) }, peer);
      const p = ports();
      return { ...(peers ? { peers } : {}), ...(p ? { ports: p } : {}) };
    });
  const types = pick<("Ingress" | "Egress")[] | undefined>([undefined, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]);
  return policy("x", "tenant", {
    podSelector: selector("pod", ["a", "b", "c"]) ?? {},
    ...(types ? { policyTypes: types } : {}),
    ingress: rules().map((r) => ({ ...(r.peers ? { from: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
    egress: rules().map((r) => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
  });
}

const TRAFFICS: Traffic[] = [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 81 }, { protocol: "UDP", port: 80 }, { protocol: "SCTP", port: 80 }, { protocol: "ICMP" }];
const EXTERNALS = ["10.1.1.200", "10.1.2.3", "10.9.0.1", "192.0.2.1"];

/** Pairs the tenant policy lets through that the profile alone does not ("from → to proto/port"). */
function extraPairs(desired: NetworkPolicy, tenant: NetworkPolicy): string[] {
  const alone = buildIndex(modelCluster([desired]));
  const both = buildIndex(modelCluster([desired, tenant]));
  const out: string[] = [];
  for (const traffic of TRAFFICS) {
    const a = matrix(alone, traffic, { externals: EXTERNALS });
    const b = matrix(both, traffic, { externals: EXTERNALS });
    const n = a.endpoints.length;
    for (let i = 0; i < n * n; i++) {
      if (cellAllowed(b.cells[i] ?? 0) && !cellAllowed(a.cells[i] ?? 0)) {
        out.push(`${a.endpoints[Math.floor(i / n)]?.name ?? "?"} → ${a.endpoints[i % n]?.name ?? "?"} ${traffic.protocol}/${traffic.protocol === "ICMP" ? "" : String(traffic.port)}`);
      }
    }
  }
  return out;
}

describe("an Isolated verdict never hides a pair the evaluator lets through", () => {
  const SEEDS = 400;
  const verdicts = { Isolated: 0, Bypassed: 0 };
  it.each(Array.from({ length: SEEDS }, (_, seed) => [seed]))("random tenant policy #%i", (seed) => {
    const rand = prng(seed);
    const desired = desiredIn(PROFILES[seed % PROFILES.length] ?? {});
    const plain = tenantPolicy(rand);
    // Every other seed is hostile.
    const tenant = seed % 2 === 1 ? adversarial(rand, plain) : plain;
    const verdict = bypassVerdict({ profileName: "iso", namespace: "x", namespaceLabels: X_LABELS, desired, policies: [desired, tenant] });
    verdicts[verdict.state]++;
    if (verdict.state === "Isolated") expect({ tenant: tenant.spec, extra: extraPairs(desired, tenant) }).toEqual({ tenant: tenant.spec, extra: [] });
  });

  it("the random policies exercise both verdicts", () => {
    expect(verdicts.Isolated).toBeGreaterThan(SEEDS / 5);
    expect(verdicts.Bypassed).toBeGreaterThan(SEEDS / 5);
  });
});
