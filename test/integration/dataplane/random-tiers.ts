/**
 * Seeded random AdminNetworkPolicies and a BaselineAdminNetworkPolicy (v1alpha1,
 * what felix v3.31.0 enforces) over the differential test's world. Subjects
 * and peers select by the world's namespace labels (team, env) and pod labels,
 * so nothing outside the run's namespaces is selected; priorities are distinct
 * (same-priority overlap is undefined upstream).
 */
import { prng } from "../../../src/lib/prng.js";
import { TEAMS } from "./random-cluster.js";

export type TierObject = Record<string, unknown> & { kind: string; metadata: { name: string } };

const APPS = ["web", "db", "cache"] as const;

export function randomTierPolicies(seed: number, names: Record<(typeof TEAMS)[number], string>): TierObject[] {
  const rand = prng(seed ^ 0x2545f491);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const team = (): Record<string, unknown> => ({ matchLabels: { team: pick(TEAMS) } });
  const ours = (): Record<string, unknown> => pick([team(), { matchLabels: { env: "prod" } }, { matchExpressions: [{ key: "team", operator: "In", values: [pick(TEAMS), pick(TEAMS)] }] }, { matchLabels: { "kubernetes.io/metadata.name": names[pick(TEAMS)] } }]);
  const podSel = (): Record<string, unknown> => pick([{ matchLabels: { app: pick(APPS) } }, { matchLabels: { role: "x" } }, {}, { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }]);
  const subject = (): Record<string, unknown> => (rand() < 0.5 ? { namespaces: ours() } : { pods: { namespaceSelector: ours(), podSelector: podSel() } });
  const peer = (egress: boolean): Record<string, unknown> => {
    const r = rand();
    if (egress && r < 0.2) return { networks: [pick(["10.3.240.0/24", "10.3.240.16/28", "10.3.241.16/30", "10.3.240.32/32"])] };
    return r < 0.6 ? { namespaces: ours() } : { pods: { namespaceSelector: ours(), podSelector: podSel() } };
  };
  const ports = (): Record<string, unknown>[] | undefined =>
    pick<Record<string, unknown>[] | undefined>([
      undefined,
      undefined,
      [{ portNumber: { protocol: "TCP", port: 80 } }],
      [{ portNumber: { protocol: "UDP", port: 53 } }],
      [{ portRange: { protocol: "TCP", start: 80, end: 81 } }],
      [{ portNumber: { protocol: "TCP", port: 81 } }, { portNumber: { protocol: "UDP", port: 53 } }],
      // No namedPort: felix v3.31.0 converts an ANP namedPort to no port at all, so the rule
      // matches every protocol and port (docs/tiers.md, "What the data plane here does").
    ]);
  const rules = (egress: boolean, actions: readonly string[]): Record<string, unknown>[] =>
    Array.from({ length: Math.floor(rand() * 3) }, (_, i) => {
      const p = ports();
      return { name: `r${String(i)}`, action: pick(actions), [egress ? "to" : "from"]: Array.from({ length: 1 + Math.floor(rand() * 2) }, () => peer(egress)), ...(p ? { ports: p } : {}) };
    });
  const spec = (actions: readonly string[]): Record<string, unknown> => {
    const ingress = rules(false, actions);
    const egress = rules(true, actions);
    return { subject: subject(), ...(ingress.length > 0 ? { ingress } : {}), ...(egress.length > 0 ? { egress } : {}) };
  };
  const count = Math.floor(rand() * 3) + 1;
  const priorities = [...new Set(Array.from({ length: count }, () => Math.floor(rand() * 100)))];
  const out: TierObject[] = priorities.map((priority, i) => ({
    apiVersion: "policy.networking.k8s.io/v1alpha1",
    kind: "AdminNetworkPolicy",
    metadata: { name: `random-${String(seed)}-${String(i)}` },
    spec: { priority, ...spec(["Allow", "Deny", "Pass"]) },
  }));
  if (rand() < 0.7) out.push({ apiVersion: "policy.networking.k8s.io/v1alpha1", kind: "BaselineAdminNetworkPolicy", metadata: { name: "default" }, spec: spec(["Allow", "Deny"]) });
  return out;
}
