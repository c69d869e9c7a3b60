import { describe, expect, it } from "@jest/globals";
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from "../../../src/k8s/objects.js";
import { buildIndex, cellAllowed, cellAt, evaluate, matrix, type Traffic } from "../../../src/policy/reachability.js";
import { prng } from "../../../src/lib/prng.js";
import { modelCluster, NAMESPACES, policy } from "./reachability-model.js";

function randomPolicies(seed: number): NetworkPolicy[] {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const selector = (labelKey: string, values: readonly string[]): LabelSelector | undefined =>
    pick<LabelSelector | undefined>([undefined, {}, { matchLabels: { [labelKey]: pick(values) } }, { matchExpressions: [{ key: labelKey, operator: "NotIn", values: [pick(values)] }] }]);
  const peer = (): NetworkPolicyPeer => {
    if (rand() < 0.2) return { ipBlock: pick([{ cidr: "10.1.0.0/16", except: ["10.1.1.0/24"] }, { cidr: "10.1.2.2/31" }, { cidr: "0.0.0.0/0" }]) };
    const p: NetworkPolicyPeer = {};
    const pod = selector("pod", ["a", "b", "c"]);
    const ns = selector("ns", NAMESPACES);
    if (pod) p.podSelector = pod;
    if (ns) p.namespaceSelector = ns;
    return pod || ns ? p : { podSelector: {} };
  };
  const ports = (): NetworkPolicyPort[] | undefined =>
    pick<NetworkPolicyPort[] | undefined>([undefined, [], [{ port: 80 }], [{ port: "serve-81-tcp" }], [{ port: 80, endPort: 81, protocol: "UDP" }], [{ protocol: "TCP" }], [{ port: "serve-80-udp", protocol: "UDP" }, { port: 81 }]]);
  const rules = (): { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[] =>
    Array.from({ length: Math.floor(rand() * 3) }, () => {
      const peers = rand() < 0.3 ? undefined : Array.from({ length: 1 + Math.floor(rand() * 2) }, peer);
      const p = ports();
      return { ...(peers ? { peers } : {}), ...(p ? { ports: p } : {}) };
    });
  return Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, i) => {
    const types = pick<("Ingress" | "Egress")[] | undefined>([undefined, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]);
    return policy(pick(NAMESPACES), `p${i}`, {
      podSelector: selector("pod", ["a", "b", "c"]) ?? {},
      ...(types ? { policyTypes: types } : {}),
      ingress: rules().map((r) => ({ ...(r.peers ? { from: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
      egress: rules().map((r) => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })),
    });
  });
}

const traffics: Traffic[] = [
  { protocol: "TCP", port: 80 },
  { protocol: "TCP", port: 81 },
  { protocol: "UDP", port: 80 },
  { protocol: "ICMP" },
  { protocol: "TCP", port: "serve-81-tcp" },
  { protocol: "UDP", port: "serve-80-udp" },
];

describe("matrix agrees with evaluate on every pair", () => {
  it.each(Array.from({ length: 60 }, (_, seed) => [seed]))("random policy set #%i", (seed) => {
    const index = buildIndex(modelCluster(randomPolicies(seed)));
    for (const traffic of traffics) {
      const m = matrix(index, traffic, { externals: ["10.1.1.7", "192.0.2.1"] });
      const mismatches: string[] = [];
      m.endpoints.forEach((from, i) => {
        m.endpoints.forEach((to, j) => {
          if (from.endpoint.kind === "external" && to.endpoint.kind === "external") return;
          const want = evaluate(index, from.endpoint, to.endpoint, traffic).allowed;
          if (cellAllowed(cellAt(m, i, j)) !== want) mismatches.push(`${from.name} → ${to.name} ${JSON.stringify(traffic)}: evaluate says ${String(want)}`);
        });
      });
      expect(mismatches).toEqual([]);
    }
  });
});
