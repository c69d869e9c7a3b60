/**
 * The Admin tier in the Bypassed verdict. An Admin-tier `Accept` (v1alpha1
 * `Allow`) decides before every NetworkPolicy, so one that selects the pods a
 * profile isolates and admits a peer × port the profile does not is a bypass,
 * named like a NetworkPolicy (`ClusterNetworkPolicy/open-dev ingress[0]: …`).
 * A `Deny` or `Pass` never is (it narrows, or hands the traffic to the
 * NetworkPolicies), and the Baseline tier never decides for a pod a
 * NetworkPolicy selects, which the profile's own policy does.
 *
 * An Accept that an earlier Admin rule (lower priority number, or an earlier
 * rule of the same policy) may decide first is judged Possible with that rule
 * named, never Certain. A policy or rule that cannot be read is a Possible
 * bypass with the problem as its reason. Pure.
 */
import type { NetworkPolicyPeer, NetworkPolicyPort, PolicyType } from "../k8s/objects.js";
import type { NamespaceContext } from "./bypass-space.js";
import { matchesSelector } from "./selectors.js";
import { Conjunction, requirementsOf } from "./selector-logic.js";
import { PROTOCOLS } from "../k8s/objects.js";
import type { TierPolicy, TierPort, TierRule, TierSelection, TierPeer } from "./tiers-parse.js";

/** A tier rule in the shape the verdict compares against the profile (a NetworkPolicy rule's peers and ports). */
export interface TierRuleForVerdict {
  /** "ClusterNetworkPolicy/open-dev" */
  policy: string;
  direction: PolicyType;
  rule: number;
  peers: NetworkPolicyPeer[];
  /** undefined: every protocol and port */
  ports: NetworkPolicyPort[] | undefined;
  /** The rule cannot be read, or the policy cannot be placed: a Possible bypass with this reason. */
  unreadable?: string;
  /** An earlier Admin-tier rule that may decide first (the Accept is then only possibly reached). */
  shadowedBy?: string;
}

function asPeer(peer: TierPeer): NetworkPolicyPeer[] {
  if (peer.kind === "networks") return peer.networks.map((n) => ({ ipBlock: { cidr: n.canonical } }));
  const s = peer.selection;
  return "namespaces" in s ? [{ namespaceSelector: s.namespaces }] : [{ namespaceSelector: s.pods.namespaceSelector, podSelector: s.pods.podSelector }];
}

/** A named port in the tiers has no protocol: it names the port whatever its protocol. */
function asPorts(ports: readonly TierPort[] | undefined): NetworkPolicyPort[] | undefined {
  if (ports === undefined) return undefined;
  return ports.flatMap((p): NetworkPolicyPort[] => {
    if (p.kind === "named") return PROTOCOLS.map((protocol) => ({ protocol, port: p.name }));
    if (p.start === undefined) return [{ protocol: p.protocol }];
    return [{ protocol: p.protocol, port: p.start, ...(p.end !== undefined && p.end !== p.start ? { endPort: p.end } : {}) }];
  });
}

/** Whether the subject may select a pod the profile isolates in this namespace (undefined subject: it may). */
function maySelect(subject: TierSelection | undefined, isolated: Conjunction, ns: NamespaceContext): boolean {
  if (subject === undefined) return true;
  if ("namespaces" in subject) return matchesSelector(subject.namespaces, ns.labels);
  return matchesSelector(subject.pods.namespaceSelector, ns.labels) && isolated.andAll(requirementsOf(subject.pods.podSelector)) !== undefined;
}

function ruleWords(policy: TierPolicy, rule: TierRule): string {
  const field = `${rule.direction === "Ingress" ? "ingress" : "egress"}[${String(rule.index)}]`;
  return `${policy.key} ${field}${rule.name ? ` "${rule.name}"` : ""}`;
}

/**
 * The Admin-tier rules that may admit traffic to (Ingress) or from (Egress)
 * the pods the profile isolates in one namespace, in the tier's order: each
 * Accept, and each rule or policy that cannot be read. `directions` are the
 * ones the profile isolates.
 */
export function adminAccepts(policies: readonly TierPolicy[], isolated: Conjunction, ns: NamespaceContext, directions: readonly PolicyType[]): TierRuleForVerdict[] {
  const admin = policies
    .filter((p) => p.tier !== "Baseline" && maySelect(p.subject, isolated, ns))
    .sort((a, b) => (a.priority ?? -1) - (b.priority ?? -1) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: TierRuleForVerdict[] = [];
  for (const direction of directions) {
    let earlier: string | undefined;
    for (const policy of admin) {
      // Problems name the object and field already ("ClusterNetworkPolicy odd: spec.priority: …").
      const placed = policy.problems.length === 0 ? undefined : policy.problems.join("; ");
      const rules = direction === "Ingress" ? policy.ingress : policy.egress;
      for (const rule of rules) {
        const unreadable = placed ?? (rule.problems.length > 0 || rule.action === undefined ? rule.problems.join("; ") || `${ruleWords(policy, rule)}: no action` : undefined);
        // A readable tier rule has at least one peer; none left means it admits nothing.
        const peers = rule.peers.flatMap(asPeer);
        if (unreadable !== undefined || (rule.action === "Accept" && peers.length > 0)) {
          out.push({
            policy: policy.key,
            direction,
            rule: rule.index,
            peers,
            ports: asPorts(rule.ports),
            ...(unreadable !== undefined ? { unreadable } : {}),
            ...(earlier !== undefined ? { shadowedBy: earlier } : {}),
          });
        }
        earlier ??= rule.action === "Accept" ? undefined : ruleWords(policy, rule);
      }
    }
  }
  return out;
}
