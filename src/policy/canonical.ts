/**
 * One spelling per meaning: sorted keys, sorted and de-duplicated lists where
 * order carries no meaning, empty parts dropped, API defaults filled in. A
 * rendered NetworkPolicy goes through here so that rendering twice, or from a
 * reordered profile, gives byte-identical output and the same spec hash.
 */
import type {
  IPBlock,
  LabelSelector,
  LabelSelectorRequirement,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicySpec,
} from "../k8s/objects.js";

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted by canonical JSON, duplicates removed. */
function sortUnique<T>(items: readonly T[]): T[] {
  const byKey = new Map(items.map((item) => [canonicalJson(item), item] as const));
  return [...byKey.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, item]) => item);
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareStrings(a, b)));
}

function canonicalRequirement(req: LabelSelectorRequirement): LabelSelectorRequirement {
  const values = [...new Set(req.values ?? [])].sort(compareStrings);
  return values.length > 0 ? { key: req.key, operator: req.operator, values } : { key: req.key, operator: req.operator };
}

export function canonicalSelector(selector: LabelSelector): LabelSelector {
  const out: LabelSelector = {};
  if (selector.matchLabels && Object.keys(selector.matchLabels).length > 0) out.matchLabels = sortedRecord(selector.matchLabels);
  const expressions = sortUnique((selector.matchExpressions ?? []).map(canonicalRequirement));
  if (expressions.length > 0) out.matchExpressions = expressions;
  return out;
}

function canonicalIpBlock(block: IPBlock): IPBlock {
  const except = [...new Set(block.except ?? [])].sort(compareStrings);
  return except.length > 0 ? { cidr: block.cidr, except } : { cidr: block.cidr };
}

export function canonicalPeer(peer: NetworkPolicyPeer): NetworkPolicyPeer {
  const out: NetworkPolicyPeer = {};
  if (peer.podSelector) out.podSelector = canonicalSelector(peer.podSelector);
  if (peer.namespaceSelector) out.namespaceSelector = canonicalSelector(peer.namespaceSelector);
  if (peer.ipBlock) out.ipBlock = canonicalIpBlock(peer.ipBlock);
  return out;
}

/** The API server defaults protocol to TCP; saying it up front keeps server and render equal. */
export function canonicalPort(port: NetworkPolicyPort): NetworkPolicyPort {
  const out: NetworkPolicyPort = { protocol: port.protocol ?? "TCP" };
  if (port.port !== undefined) out.port = port.port;
  if (port.endPort !== undefined) out.endPort = port.endPort;
  return out;
}

export function canonicalPeers(peers: readonly NetworkPolicyPeer[]): NetworkPolicyPeer[] {
  return sortUnique(peers.map(canonicalPeer));
}

export function canonicalPorts(ports: readonly NetworkPolicyPort[]): NetworkPolicyPort[] {
  return sortUnique(ports.map(canonicalPort));
}

function canonicalIngressRule(rule: NetworkPolicyIngressRule): NetworkPolicyIngressRule {
  const out: NetworkPolicyIngressRule = {};
  const from = canonicalPeers(rule.from ?? []);
  const ports = canonicalPorts(rule.ports ?? []);
  if (from.length > 0) out.from = from;
  if (ports.length > 0) out.ports = ports;
  return out;
}

function canonicalEgressRule(rule: NetworkPolicyEgressRule): NetworkPolicyEgressRule {
  const out: NetworkPolicyEgressRule = {};
  const to = canonicalPeers(rule.to ?? []);
  const ports = canonicalPorts(rule.ports ?? []);
  if (to.length > 0) out.to = to;
  if (ports.length > 0) out.ports = ports;
  return out;
}

/**
 * Rules keep their order (they are the user's reading order and their union is
 * order-free anyway); inside a rule, peers and ports are sorted. policyTypes is
 * always explicit, Ingress before Egress.
 */
export function canonicalSpec(spec: NetworkPolicySpec): NetworkPolicySpec {
  const types = new Set(spec.policyTypes ?? (spec.egress && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"]));
  const out: NetworkPolicySpec = {
    podSelector: canonicalSelector(spec.podSelector),
    policyTypes: (["Ingress", "Egress"] as const).filter((t) => types.has(t)),
  };
  const ingress = (spec.ingress ?? []).map(canonicalIngressRule);
  const egress = (spec.egress ?? []).map(canonicalEgressRule);
  if (ingress.length > 0) out.ingress = ingress;
  if (egress.length > 0) out.egress = egress;
  return out;
}
