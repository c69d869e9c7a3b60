/**
 * The differential test's world: three namespaces of four pods (labels, named
 * container ports that differ between pods, addresses spread so ipBlocks cut
 * between them) and seeded random NetworkPolicy sets over it.
 */
import type { ContainerPort, LabelSelector, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod, PolicyType } from "../../../src/k8s/objects.js";
import type { Traffic } from "../../../src/policy/reachability.js";

import { prng } from "../../../src/lib/prng.js";

export const TEAMS = ["a", "b", "c"] as const;
const APPS = ["web", "db", "cache"] as const;
const PODS_PER_TEAM = 4;
/** Pods in the world: four per namespace. */
export const WORLD_PODS = TEAMS.length * PODS_PER_TEAM;

/** What every pair is probed with: TCP on two ports, UDP and ICMP. */
export const TRAFFICS: readonly Traffic[] = [{ protocol: "TCP", port: 80 }, { protocol: "TCP", port: 81 }, { protocol: "UDP", port: 53 }, { protocol: "ICMP" }];

export interface World {
  namespaces: Namespace[];
  pods: { pod: Pod; ip: string }[];
}

/** Named ports differ per pod: "web" is 80 on some and 81 on others, "dns" exists only on some. */
function containerPorts(i: number): ContainerPort[] {
  const ports: ContainerPort[] = [{ name: "web", containerPort: i % 2 === 0 ? 80 : 81, protocol: "TCP" }];
  if (i % 3 !== 2) ports.push({ name: "dns", containerPort: 53, protocol: "UDP" });
  if (i % 4 === 0) ports.push({ name: "metrics", containerPort: 81, protocol: "TCP" });
  return ports;
}

/** `names[team]` is the unique namespace name of this run. Addresses: 10.3.240.16+ for a, .32+ for b, 10.3.241.16+ for c. */
export function world(names: Record<(typeof TEAMS)[number], string>): World {
  const bases = { a: "10.3.240.16", b: "10.3.240.32", c: "10.3.241.16" } as const;
  const namespaces: Namespace[] = TEAMS.map((team, t) => ({
    metadata: { name: names[team], labels: { team, "kubernetes.io/metadata.name": names[team], ...(t < 2 ? { env: "prod" } : {}) } },
  }));
  const pods = TEAMS.flatMap((team, t) =>
    Array.from({ length: PODS_PER_TEAM }, (_, k) => {
      const i = t * PODS_PER_TEAM + k;
      const [o1, o2, o3, last] = bases[team].split(".");
      const labels: Record<string, string> = { app: APPS[i % 3] ?? "web", ...(k % 2 === 0 ? { role: "x" } : {}), ...(k === 3 ? { tier: "edge" } : {}) };
      return {
        pod: { metadata: { name: `p${String(k)}`, namespace: names[team], labels }, spec: { containers: [{ name: "main", ports: containerPorts(i) }] } } satisfies Pod,
        ip: `${o1 ?? ""}.${o2 ?? ""}.${o3 ?? ""}.${String(Number(last) + k)}`,
      };
    }),
  );
  return { namespaces, pods };
}

/** Random pieces of NetworkPolicies over the world, from one PRNG. */
function generators(rand: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const podSelector = (): LabelSelector =>
    pick<LabelSelector>([
      {},
      { matchLabels: { app: pick(APPS) } },
      { matchLabels: { role: "x" } },
      { matchExpressions: [{ key: "app", operator: "In", values: [pick(APPS), pick(APPS)] }] },
      { matchExpressions: [{ key: "app", operator: "NotIn", values: [pick(APPS)] }] },
      { matchExpressions: [{ key: "role", operator: "Exists" }] },
      { matchExpressions: [{ key: "role", operator: "DoesNotExist" }, { key: "app", operator: "NotIn", values: ["db"] }] },
      { matchLabels: { tier: "edge" } },
    ]);
  const namespaceSelector = (): LabelSelector =>
    pick<LabelSelector>([
      {},
      { matchLabels: { team: pick(TEAMS) } },
      { matchLabels: { env: "prod" } },
      { matchExpressions: [{ key: "team", operator: "NotIn", values: [pick(TEAMS)] }] },
      { matchExpressions: [{ key: "env", operator: "DoesNotExist" }] },
    ]);
  const ipBlocks = [
    { cidr: "10.3.240.0/24", except: ["10.3.240.32/30"] },
    { cidr: "10.3.240.16/29" },
    { cidr: "10.3.0.0/16", except: ["10.3.240.0/27", "10.3.241.18/32"] },
    { cidr: "0.0.0.0/0" },
    { cidr: "10.3.241.0/24", except: ["10.3.241.16/31"] },
    { cidr: "10.3.240.17/32" },
  ];
  const peer = (): NetworkPolicyPeer => {
    const r = rand();
    if (r < 0.25) return { ipBlock: pick(ipBlocks) };
    if (r < 0.5) return { podSelector: podSelector() };
    if (r < 0.7) return { namespaceSelector: namespaceSelector() };
    return { podSelector: podSelector(), namespaceSelector: namespaceSelector() };
  };
  const ports = (): NetworkPolicyPort[] | undefined =>
    pick<NetworkPolicyPort[] | undefined>([
      undefined,
      undefined,
      [{ port: 80 }],
      [{ protocol: "TCP", port: "web" }],
      [{ protocol: "UDP", port: 53 }],
      [{ protocol: "TCP", port: 80, endPort: 81 }],
      [{ protocol: "TCP" }],
      [{ protocol: "UDP", port: "dns" }, { port: 81 }],
      [{ protocol: "TCP", port: "metrics" }],
      [{ protocol: "UDP", port: 50, endPort: 60 }, { protocol: "TCP", port: 81 }],
    ]);
  const rules = (): { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[] =>
    Array.from({ length: Math.floor(rand() * 3) }, () => {
      const peers = rand() < 0.25 ? undefined : Array.from({ length: 1 + Math.floor(rand() * 2) }, peer);
      const p = ports();
      return { ...(peers ? { peers } : {}), ...(p ? { ports: p } : {}) };
    });
  return { pick, podSelector, namespaceSelector, peer, ports, rules };
}

/**
 * What a hostile tenant adds to a policy (odd seeds): netfence's labels for the
 * seed's profile copied onto it, and a peer's selector grown to 50+ values, a
 * few of them real. (Odd CIDR spellings are refused by today's API server; the
 * unit property test has them.)
 */
function hostile(rand: () => number, seed: number, policy: NetworkPolicy): NetworkPolicy {
  if (rand() < 0.5) policy.metadata.labels = { "app.kubernetes.io/managed-by": "netfence", "netfence.io/profile": `random-${String(seed)}` };
  const many = (real: readonly string[]) => [...Array.from({ length: 50 + Math.floor(rand() * 30) }, (_, i) => `v-${String(i)}`), ...real.filter(() => rand() < 0.6)];
  for (const peers of [...(policy.spec.ingress ?? []).map((r) => r.from), ...(policy.spec.egress ?? []).map((r) => r.to)]) {
    for (const peer of peers ?? []) {
      if (peer.namespaceSelector && rand() < 0.4) peer.namespaceSelector = { matchExpressions: [{ key: "team", operator: rand() < 0.5 ? "In" : "NotIn", values: many(TEAMS) }] };
      if (peer.podSelector && rand() < 0.4) peer.podSelector = { matchExpressions: [{ key: "app", operator: rand() < 0.5 ? "In" : "NotIn", values: many(APPS) }] };
    }
  }
  return policy;
}

export function randomPolicies(seed: number, names: Record<(typeof TEAMS)[number], string>): NetworkPolicy[] {
  const rand = prng(seed);
  const { pick, podSelector, rules } = generators(rand);
  const made = Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, i) => {
    const types = pick<PolicyType[] | undefined>([undefined, ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Ingress", "Egress"]]);
    const ingress = rules().map((r) => ({ ...(r.peers ? { from: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) }));
    const egress = rules().map((r) => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) }));
    return {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `random-${String(seed)}-${String(i)}`, namespace: names[pick(TEAMS)] },
      spec: {
        podSelector: podSelector(),
        ...(types ? { policyTypes: types } : {}),
        ...(ingress.length > 0 ? { ingress } : {}),
        ...(egress.length > 0 ? { egress } : {}),
      },
    } satisfies NetworkPolicy;
  });
  return seed % 2 === 1 ? made.map((p) => hostile(rand, seed, p)) : made;
}

/**
 * A random IsolationProfile spec over the world (preset, namespace selection by
 * name or label, pod selector, allowed peers, ports, raw egress): netfence
 * renders it (src/policy/render.ts) and the rendered policies join the set.
 */
export function randomProfileSpec(seed: number, names: Record<(typeof TEAMS)[number], string>): Record<string, unknown> {
  const rand = prng(seed ^ 0x5bd1e995);
  const { pick, podSelector, peer, ports, rules } = generators(rand);
  const preset = pick(["deny-ingress", "deny-egress", "deny-all", "allow-same-namespace", "allow-by-label"] as const);
  const isolatesEgress = preset === "deny-egress" || preset === "deny-all";
  const peers = preset === "deny-egress" ? [] : Array.from({ length: (preset === "allow-by-label" ? 1 : 0) + Math.floor(rand() * 2) }, peer);
  const p = preset === "deny-egress" ? undefined : ports();
  const egress = isolatesEgress && rand() < 0.5 ? rules().map((r) => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })) : [];
  return {
    preset,
    namespaces: pick([
      { names: TEAMS.filter(() => rand() < 0.6).map((t) => names[t]) },
      { selector: { matchLabels: { team: pick(TEAMS) } } },
      { selector: { matchLabels: { env: "prod" } }, exclude: [names[pick(TEAMS)]] },
    ]),
    ...(rand() < 0.5 ? { podSelector: podSelector() } : {}),
    ...(peers.length > 0 ? { allowedPeers: peers } : {}),
    ...(p ? { ports: p } : {}),
    ...(egress.length > 0 ? { egress } : {}),
    allowDNS: rand() < 0.5,
  };
}
