/**
 * The reachability evaluator on a generated cluster: N pods in M namespaces,
 * P NetworkPolicies of the kinds people write (default deny, same namespace,
 * from labelled namespaces, named ports, port ranges, ipBlocks, egress with
 * DNS). Deterministic: a seeded PRNG. Times the index build and a full matrix,
 * then the same with --tier-policies Admin/Baseline tier policies (ClusterNetworkPolicy
 * and AdminNetworkPolicy/BaselineAdminNetworkPolicy) added: evaluator_tiers_ratio.
 */
import { parseArgs } from "node:util";
import type { LabelSelector, Namespace, NetworkPolicy, NetworkPolicySpec, Pod } from "../../src/k8s/objects.js";
import { buildIndex, CELL, matrix, type ClusterState, type Traffic } from "../../src/policy/reachability.js";
import { prng } from "../../src/lib/prng.js";
import type { Scenario } from "../index.js";


const APPS = ["web", "api", "db", "cache", "queue", "worker", "auth", "search", "mail", "metrics"];
const TIERS = ["frontend", "backend", "data"];
const TEAMS = ["red", "green", "blue", "gold", "grey"];

export function generateCluster(pods: number, namespaces: number, policies: number, seed: number): ClusterState {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const nsNames = Array.from({ length: namespaces }, (_, i) => `ns-${String(i).padStart(3, "0")}`);
  const nsObjects: Namespace[] = nsNames.map((name, i) => ({ metadata: { name, labels: { team: TEAMS[i % TEAMS.length] ?? "red", env: i % 4 === 0 ? "prod" : "dev" } } }));
  const podObjects: Pod[] = Array.from({ length: pods }, (_, i) => {
    const namespace = nsNames[i % namespaces] ?? "default";
    const app = pick(APPS);
    return {
      metadata: { name: `${app}-${String(i)}`, namespace, labels: { app, tier: pick(TIERS), ...(rand() < 0.3 ? { canary: "true" } : {}) } },
      spec: { containers: [{ name: app, ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }, { name: "metrics", containerPort: 9090, protocol: "TCP" }, { containerPort: 80, protocol: "TCP" }] }] },
      status: { podIP: `10.${String(Math.floor(i / 65536) + 10)}.${String(Math.floor(i / 256) % 256)}.${String(i % 256)}` },
    };
  });
  const appSelector = (): LabelSelector => ({ matchLabels: { app: pick(APPS) } });
  const makers: (() => NetworkPolicySpec)[] = [
    () => ({ podSelector: {}, policyTypes: ["Ingress"] }),
    () => ({ podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
    () => ({ podSelector: appSelector(), ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: pick(TEAMS) } } }], ports: [{ port: "http" }] }] }),
    () => ({
      podSelector: appSelector(),
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }] }, podSelector: { matchLabels: { tier: pick(TIERS) } } }], ports: [{ port: 80, endPort: 90 }] }],
    }),
    () => ({ podSelector: { matchExpressions: [{ key: "canary", operator: "Exists" }] }, ingress: [{ from: [{ ipBlock: { cidr: "10.10.0.0/17", except: ["10.10.1.0/24"] } }] }] }),
    () => ({
      podSelector: appSelector(),
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: appSelector() }, { podSelector: { matchLabels: { tier: "frontend" } } }] }],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ port: 53, protocol: "UDP" }, { port: 53 }] },
        { to: [{ namespaceSelector: { matchLabels: { team: pick(TEAMS) } } }], ports: [{ port: "http" }, { port: 80 }] },
      ],
    }),
    () => ({ podSelector: { matchLabels: { tier: pick(TIERS) } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }, { to: [{ podSelector: {} }] }] }),
  ];
  const policyObjects: NetworkPolicy[] = Array.from({ length: policies }, (_, i) => ({
    metadata: { name: `policy-${String(i)}`, namespace: nsNames[i % namespaces] ?? "default" },
    spec: pick(makers)(),
  }));
  return { namespaces: nsObjects, pods: podObjects, policies: policyObjects };
}

/** Admin and Baseline tier policies of the kinds administrators write; ids index priorities so some share one. */
export function generateTierPolicies(count: number, namespaces: number, seed: number): Record<string, unknown>[] {
  const rand = prng(seed + 7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const ns = (): Record<string, unknown> => ({ namespaces: { matchLabels: { "kubernetes.io/metadata.name": `ns-${String(Math.floor(rand() * namespaces)).padStart(3, "0")}` } } });
  const team = (): Record<string, unknown> => ({ namespaces: { matchLabels: { team: pick(TEAMS) } } });
  const app = (): Record<string, unknown> => ({ pods: { namespaceSelector: { matchLabels: { env: pick(["prod", "dev"]) } }, podSelector: { matchLabels: { app: pick(APPS) } } } });
  const port = (): Record<string, unknown> => pick([{ tcp: { destinationPort: { number: 80 } } }, { tcp: { destinationPort: { range: { start: 8000, end: 9000 } } } }, { udp: { destinationPort: { number: 53 } } }]);
  const rule = (direction: "ingress" | "egress", tier: string): Record<string, unknown> => {
    const action = pick(tier === "Admin" ? ["Accept", "Deny", "Pass"] : ["Accept", "Deny"]);
    const peers = direction === "egress" && rand() < 0.3 ? [{ networks: [pick(["0.0.0.0/0", "10.10.0.0/16", "192.0.2.0/24"])] }] : [pick([ns, team, app])()];
    return { name: `${action.toLowerCase()}-${String(Math.floor(rand() * 1000))}`, action, [direction === "ingress" ? "from" : "to"]: peers, ...(rand() < 0.5 ? { protocols: [port()] } : {}) };
  };
  return Array.from({ length: count }, (_, i) => {
    const tier = i % 5 === 4 ? "Baseline" : "Admin";
    const rules = (direction: "ingress" | "egress"): Record<string, unknown>[] => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => rule(direction, tier));
    return {
      apiVersion: "policy.networking.k8s.io/v1beta1",
      kind: "ClusterNetworkPolicy",
      metadata: { name: `tier-${String(i)}` },
      spec: { tier, priority: i * 10, subject: pick([ns, team, app])(), ingress: rules("ingress"), ...(rand() < 0.6 ? { egress: rules("egress") } : {}) },
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export const scenario: Scenario = {
  name: "evaluator",
  description: "reachability index build and full pod × pod matrix (options: --pods 1000 --namespaces 50 --policies 500 --runs 5 --seed 1)",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        pods: { type: "string", default: "1000" },
        namespaces: { type: "string", default: "50" },
        policies: { type: "string", default: "500" },
        "tier-policies": { type: "string", default: "50" },
        runs: { type: "string", default: "5" },
        seed: { type: "string", default: "1" },
      },
    });
    const [pods, namespaces, policies, tierPolicies, runs, seed] = [values.pods, values.namespaces, values.policies, values["tier-policies"], values.runs, values.seed].map(Number) as [number, number, number, number, number, number];
    const plain = generateCluster(pods, namespaces, policies, seed);
    const tiered: ClusterState = { ...plain, tierPolicies: generateTierPolicies(tierPolicies, namespaces, seed) };
    const traffics: [string, ClusterState, Traffic][] = [
      ["TCP/80", plain, { protocol: "TCP", port: 80 }],
      ["ICMP", plain, { protocol: "ICMP" }],
      ["TCP/http (named)", plain, { protocol: "TCP", port: "http" }],
      [`TCP/80 + ${String(tierPolicies)} tier`, tiered, { protocol: "TCP", port: 80 }],
    ];
    const rows: string[][] = [];
    const results: Record<string, number> = {};
    for (const [label, cluster, traffic] of traffics) {
      const buildTimes: number[] = [];
      const matrixTimes: number[] = [];
      let allowed = 0;
      for (let r = 0; r < runs + 1; r++) {
        const t0 = performance.now();
        const index = buildIndex(cluster);
        const t1 = performance.now();
        const m = matrix(index, traffic);
        const t2 = performance.now();
        if (r === 0) {
          allowed = m.cells.reduce((n, c) => n + ((c & (CELL.EGRESS | CELL.INGRESS)) === (CELL.EGRESS | CELL.INGRESS) && (c & CELL.SELF) === 0 ? 1 : 0), 0);
          continue; // warm-up
        }
        buildTimes.push(t1 - t0);
        matrixTimes.push(t2 - t1);
      }
      const build = median(buildTimes);
      const mat = median(matrixTimes);
      const pairs = pods * (pods - 1);
      rows.push([label, String(pods), String(namespaces), String(policies), build.toFixed(1), mat.toFixed(1), (build + mat).toFixed(1), Math.round(pairs / ((build + mat) / 1000)).toLocaleString("en-US"), `${((allowed / pairs) * 100).toFixed(1)}%`]);
      results[label] = build + mat;
      if (label === "TCP/80") {
        results.index_ms = build;
        results.matrix_only_ms = mat;
      }
    }
    const tiersMs = results[`TCP/80 + ${String(tierPolicies)} tier`] ?? 0;
    const header = ["traffic", "pods", "namespaces", "policies", "index ms", "matrix ms", "total ms", "pairs/s", "allowed"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(`\nmedian of ${String(runs)} runs after one warm-up; total = index build + matrix (what one 'netfence matrix' pays after loading)`);
    console.log(`with ${String(tierPolicies)} Admin/Baseline tier policies: ${tiersMs.toFixed(1)} ms, ${(tiersMs / (results["TCP/80"] ?? 1)).toFixed(2)}× the NetworkPolicies alone (target ≤ 1.5×)\n`);
    await Promise.resolve();
    const round = (n: number | undefined): number => Math.round((n ?? 0) * 10) / 10;
    return {
      evaluator_matrix_ms: round(results["TCP/80"]),
      evaluator_index_ms: round(results.index_ms),
      evaluator_matrix_only_ms: round(results.matrix_only_ms),
      evaluator_icmp_ms: round(results.ICMP),
      evaluator_named_port_ms: round(results["TCP/http (named)"]),
      evaluator_tiers_ms: round(tiersMs),
      evaluator_tiers_ratio: Math.round((tiersMs / (results["TCP/80"] ?? 1)) * 100) / 100,
      tier_policies: tierPolicies,
      pods,
      namespaces,
      policies,
    };
  },
};
