/**
 * Words for the evaluator's answers: selectors, peers and ports as a person
 * reads them (kubectl style), and what each rule of the policies isolating a
 * pod admits. Pure; the CLI only prints these.
 */
import { firstFew } from "../lib/first-few.js";
import { formatIp } from "../k8s/cidr.js";
import type { LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, PolicyType } from "../k8s/objects.js";
import { describePortEntry } from "./ports.js";
import type { Admission, PolicyEntry, ReachabilityIndex, RuleEntry, Verdict } from "./reachability.js";
import { describeTierMatch, explainTiers, tierLines, type TierPolicyExplanation } from "./tiers-explain.js";

/** How much of a selector a bounded description names: the rest is counted ("… and 75 more values"). */
export interface DescribeBound {
  values: number;
  requirements: number;
}

/**
 * `app=web,tier in (a,b),!legacy` — kubectl's selector syntax; `{}` is "<all>".
 * With a bound (status texts, which a tenant's selector must not overflow),
 * long value lists and long selectors name their first items and count the rest.
 */
export function describeSelector(selector: LabelSelector | undefined, bound?: DescribeBound): string {
  if (selector === undefined) return "<none>";
  const list = (values: readonly string[]) => (bound ? firstFew(values, bound.values, { separator: ",", and: " … and ", noun: "value" }) : values.join(","));
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = list(req.values ?? []);
    if (req.operator === "In") parts.push(`${req.key} in (${values})`);
    else if (req.operator === "NotIn") parts.push(`${req.key} notin (${values})`);
    else if (req.operator === "Exists") parts.push(req.key);
    else parts.push(`!${req.key}`);
  }
  if (parts.length === 0) return "<all>";
  return bound ? firstFew(parts, bound.requirements, { separator: ",", and: " … and ", noun: "requirement" }) : parts.join(",");
}

export function describePeer(peer: NetworkPolicyPeer, policyNamespace: string): string {
  if (peer.ipBlock) {
    const except = peer.ipBlock.except ?? [];
    return `ipBlock ${peer.ipBlock.cidr}${except.length > 0 ? ` except ${except.join(", ")}` : ""}`;
  }
  const pods = peer.podSelector === undefined ? "all pods" : `pods ${describeSelector(peer.podSelector)}`;
  const namespaces = peer.namespaceSelector === undefined ? `namespace ${policyNamespace}` : `namespaces ${describeSelector(peer.namespaceSelector)}`;
  return `${pods} in ${namespaces}`;
}

export function describePorts(ports: readonly NetworkPolicyPort[]): string {
  return ports.length === 0 ? "all ports and protocols (ICMP included)" : ports.map(describePortEntry).join(", ");
}

/** "dev/p ingress[1] from[0] (pods app=web in namespace dev), ports[0] (TCP/80)" */
export function describeAdmission(index: ReachabilityIndex, admission: Admission): string {
  const policy = index.policies.find((p) => p.key === admission.policy);
  const rules = admission.direction === "Ingress" ? policy?.ingress : policy?.egress;
  const rule = rules?.[admission.rule];
  const field = admission.direction === "Ingress" ? "ingress" : "egress";
  const peerField = admission.direction === "Ingress" ? "from" : "to";
  const peer = admission.peer === undefined ? undefined : rule?.peers?.[admission.peer];
  const peerText = peer === undefined ? `no ${peerField} (everyone)` : `${peerField}[${admission.peer ?? 0}] ${describePeer(peer.peer, policy?.namespace ?? "")}`;
  const port = admission.port === undefined ? undefined : rule?.ports[admission.port];
  const portText = port === undefined ? "no ports (all)" : `ports[${admission.port ?? 0}] ${describePortEntry(port)}`;
  return `${admission.policy} ${field}[${admission.rule}]: ${peerText}; ${portText}`;
}

/** Lines on a side of a probe: why it lets the traffic through or not, tiers included. */
export function describeVerdict(index: ReachabilityIndex, verdict: Verdict, peer: string, traffic: string): string[] {
  const [first = "", ...rest] = describeNetworkPolicyVerdict(index, verdict, peer, traffic);
  return [first, ...rest, ...tierLines(verdict)];
}

function describeNetworkPolicyVerdict(index: ReachabilityIndex, verdict: Verdict, peer: string, traffic: string): string[] {
  const side = verdict.direction === "Ingress" ? "ingress" : "egress";
  const namespace = verdict.endpoint.split("/")[0] ?? "";
  switch (verdict.reason) {
    case "self":
      return ["a pod may always reach itself"];
    case "external":
      return [`${verdict.endpoint} is outside the cluster: no NetworkPolicy applies to it`];
    case "not-isolated":
      return [`not isolated for ${side}: no NetworkPolicy in ${namespace} selects it with policyType ${verdict.direction}`];
    case "unresolved-port":
      return [`the destination has no ${traffic} container port`];
    case "admitted":
      return [`isolated for ${side} by ${verdict.isolatedBy.join(", ")}; admitted by:`, ...verdict.admittedBy.map((a) => `  ${describeAdmission(index, a)}`)];
    case "no-rule-admits":
      return [`isolated for ${side} by ${verdict.isolatedBy.join(", ")}; no ${side} rule admits ${peer} on ${traffic}`];
    case "admin-tier":
    case "baseline-tier": {
      const match = verdict.reason === "admin-tier" ? verdict.tiers?.admin?.decided : verdict.tiers?.baseline?.decided;
      return [match ? `${verdict.allowed ? "allowed" : "denied"} by ${describeTierMatch(match)}` : `${verdict.allowed ? "allowed" : "denied"} by the ${verdict.reason === "admin-tier" ? "Admin" : "Baseline"} tier`];
    }
  }
}

export interface PeerExplanation {
  description: string;
  /** Pods the peer matches ("namespace/name"), in index order. */
  pods: string[];
  /** True for ipBlock peers: outside addresses in the block match too. */
  outside: boolean;
}

export interface RuleExplanation {
  /** "ingress[0]" or "egress[2]" */
  field: string;
  /** undefined: the rule names no peers, everyone matches (outside IPs too). */
  peers: PeerExplanation[] | undefined;
  ports: string;
}

export interface PolicyExplanation {
  key: string;
  types: PolicyType[];
  podSelector: string;
  rules: RuleExplanation[];
}

export interface DirectionExplanation {
  isolated: boolean;
  policies: PolicyExplanation[];
  /** Admin tier policies selecting the pod, in evaluation order (before the NetworkPolicies). */
  admin: TierPolicyExplanation[];
  /** Baseline tier policies selecting the pod (after the NetworkPolicies, only when none isolates it). */
  baseline: TierPolicyExplanation[];
}

export interface PodExplanation {
  pod: string;
  labels: Record<string, string>;
  ips: string[];
  ports: string[];
  namespaceLabels: Record<string, string>;
  ingress: DirectionExplanation;
  egress: DirectionExplanation;
}

function explainRule(index: ReachabilityIndex, policy: PolicyEntry, rule: RuleEntry): RuleExplanation {
  const field = `${rule.direction === "Ingress" ? "ingress" : "egress"}[${rule.index}]`;
  const peers = rule.peers?.map((peer) => ({
    description: describePeer(peer.peer, policy.namespace),
    pods: [...peer.pods.members()].map((i) => index.pods[i]?.key ?? "?"),
    outside: peer.ipBlock !== undefined,
  }));
  return { field, peers, ports: describePorts(rule.ports) };
}

function explainDirection(index: ReachabilityIndex, pod: number, direction: PolicyType): DirectionExplanation {
  const indices = (direction === "Ingress" ? index.ingressPolicies : index.egressPolicies)[pod] ?? [];
  const policies = indices.flatMap((p) => {
    const policy = index.policies[p];
    if (!policy) return [];
    const rules = direction === "Ingress" ? policy.ingress : policy.egress;
    return [{ key: policy.key, types: policy.types, podSelector: describeSelector(policy.policy.spec.podSelector), rules: rules.map((r) => explainRule(index, policy, r)) }];
  });
  return { isolated: policies.length > 0, policies, admin: explainTiers(index, pod, direction, "Admin"), baseline: explainTiers(index, pod, direction, "Baseline") };
}

/** Which policies isolate the pod, each direction, and whom each of their rules admits on which ports. */
export function explainPod(index: ReachabilityIndex, pod: number): PodExplanation | undefined {
  const entry = index.pods[pod];
  if (!entry) return undefined;
  return {
    pod: entry.key,
    labels: { ...entry.labels },
    ips: entry.ips.map(formatIp),
    ports: entry.containerPorts.map((p) => `${p.name ? `${p.name} ` : ""}${p.protocol ?? "TCP"}/${p.containerPort}`),
    namespaceLabels: { ...index.namespaceLabels.get(entry.namespace) },
    ingress: explainDirection(index, pod, "Ingress"),
    egress: explainDirection(index, pod, "Egress"),
  };
}
