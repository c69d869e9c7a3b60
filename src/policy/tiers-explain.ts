/**
 * Words for the tiers: which rule decided, passed or conflicted, and what the
 * tier policies selecting a pod say, rule by rule. Pure; the CLI prints these.
 */
import type { LabelSelector, PolicyType } from "../k8s/objects.js";
import type { ReachabilityIndex, Verdict } from "./reachability.js";
import { verdictDoubts, type TierMatch, type TierName, type TierPolicyEntry, type TierRuleEntry } from "./tiers.js";
import type { TierPeer, TierPort, TierSelection } from "./tiers-parse.js";

/** `Admin tier ClusterNetworkPolicy/isolate-dev ingress[1] "deny-all" (priority 10)` */
export function describeTierMatch(match: TierMatch): string {
  const field = `${match.direction === "Ingress" ? "ingress" : "egress"}[${String(match.rule)}]`;
  const name = match.ruleName === undefined || match.ruleName === "" ? "" : ` ${JSON.stringify(match.ruleName)}`;
  const priority = match.policy.startsWith("BaselineAdminNetworkPolicy/") ? "" : ` (priority ${String(match.priority)})`;
  const closed = match.failClosed ? " — unreadable, applied as deny-all (fail closed)" : "";
  return `${match.tier} tier ${match.policy} ${field}${name}${priority}${closed}`;
}

/** Extra lines of a verdict: a Pass, a same-priority conflict, objects that make it only possible. */
export function tierLines(verdict: Verdict): string[] {
  const lines: string[] = [];
  const admin = verdict.tiers?.admin;
  if (admin?.passed) lines.push(`passed by ${describeTierMatch(admin.passed)}: the NetworkPolicies, then the Baseline tier, decide`);
  const baseline = verdict.tiers?.baseline;
  if (baseline?.passed) lines.push(`passed by ${describeTierMatch(baseline.passed)}: no decision in the Baseline tier, allowed`);
  const { uncertain, conflicts } = verdictDoubts(verdict);
  if (conflicts.length > 0) {
    lines.push(`conflict: same-priority rules match with different actions (upstream leaves the choice to the implementation; netfence assumes the most restrictive):`);
    for (const c of conflicts) lines.push(`  ${c.action}: ${describeTierMatch(c)}`);
  }
  if (uncertain.length > 0) lines.push(`possible only: ${uncertain.join(", ")} could not be fully read (see the notes)`);
  return lines;
}

/** "possibly" when a verdict depends on something unreadable or conflicting. */
export function isPossibleOnly(verdict: Verdict): boolean {
  const { uncertain, conflicts } = verdictDoubts(verdict);
  return uncertain.length > 0 || conflicts.length > 0;
}

function selector(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of s.matchExpressions ?? []) {
    const values = (req.values ?? []).join(",");
    parts.push(req.operator === "In" ? `${req.key} in (${values})` : req.operator === "NotIn" ? `${req.key} notin (${values})` : req.operator === "Exists" ? req.key : `!${req.key}`);
  }
  return parts.length === 0 ? "<all>" : parts.join(",");
}

export function describeSelection(selection: TierSelection): string {
  if ("namespaces" in selection) return `all pods in namespaces ${selector(selection.namespaces)}`;
  return `pods ${selector(selection.pods.podSelector)} in namespaces ${selector(selection.pods.namespaceSelector)}`;
}

function describeTierPeer(peer: TierPeer): string {
  return peer.kind === "networks" ? `networks ${peer.networks.map((n) => n.canonical).join(", ")}` : describeSelection(peer.selection);
}

function describeTierPort(port: TierPort): string {
  if (port.kind === "named") return `named port ${port.name}`;
  if (port.start === undefined) return `${port.protocol}/*`;
  return port.start === port.end ? `${port.protocol}/${String(port.start)}` : `${port.protocol}/${String(port.start)}-${String(port.end)}`;
}

export interface TierRuleExplanation {
  /** `ingress[1] "deny-all"` */
  field: string;
  action: string;
  peers: { description: string; pods: string[]; outside: boolean }[];
  ports: string;
}

export interface TierPolicyExplanation {
  key: string;
  tier: TierName;
  priority?: number;
  subject: string;
  rules: TierRuleExplanation[];
}

function explainRule(index: ReachabilityIndex, rule: TierRuleEntry): TierRuleExplanation {
  const field = `${rule.direction === "Ingress" ? "ingress" : "egress"}[${String(rule.index)}]${rule.name ? ` ${JSON.stringify(rule.name)}` : ""}`;
  if (rule.failClosed) return { field, action: "Deny (unreadable rule, fail closed)", peers: [{ description: "everyone", pods: ["every pod"], outside: true }], ports: "all ports and protocols (ICMP included)" };
  return {
    field,
    action: rule.action,
    peers: rule.peers.map((p) => ({ description: describeTierPeer(p.peer), pods: [...p.pods.members()].map((i) => index.pods[i]?.key ?? "?"), outside: p.networks !== undefined })),
    ports: rule.ports === undefined ? "all ports and protocols (ICMP included)" : rule.ports.map(describeTierPort).join(", "),
  };
}

function explainPolicy(index: ReachabilityIndex, policy: TierPolicyEntry, direction: PolicyType): TierPolicyExplanation {
  return {
    key: policy.key,
    tier: policy.tier,
    ...(policy.kind === "BaselineAdminNetworkPolicy" ? {} : { priority: policy.priority }),
    subject: policy.policy.subject ? describeSelection(policy.policy.subject) : "<unreadable>",
    rules: (direction === "Ingress" ? policy.ingress : policy.egress).map((r) => explainRule(index, r)),
  };
}

/** The tier policies selecting the pod for the direction, in evaluation order. */
export function explainTiers(index: ReachabilityIndex, pod: number, direction: PolicyType, tier: TierName): TierPolicyExplanation[] {
  return (index.tiers.selecting[tier][direction][pod] ?? []).flatMap((i) => {
    const policy = index.tiers.policies[i];
    return policy ? [explainPolicy(index, policy, direction)] : [];
  });
}
