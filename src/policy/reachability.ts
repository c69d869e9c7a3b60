/**
 * An exact networking.k8s.io/v1 NetworkPolicy evaluator: which pod (or outside
 * IP) may open a connection to which, for a protocol and port. Pure: it reads
 * plain wire objects and performs no I/O.
 *
 * `buildIndex` does every selector evaluation once (which pods each policy
 * selects, which pods each rule peer matches, parsed ipBlocks); `evaluate`
 * answers one probe with the reasons; `matrix` answers every ordered pair with
 * per-destination unions of peer bitsets.
 */
import { LABEL_NAMESPACE_NAME } from "../api/constants.js";
import { formatIp, ipBlockContains, parseIp, type IpAddress, type IpBlockRange, type Parsed } from "../k8s/cidr.js";
import type { ContainerPort, LabelSelector, Labels, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod, PolicyType } from "../k8s/objects.js";
import { isNamedPortEntry, portEntryMatches, resolveTraffic, type ResolvedTraffic, type Traffic } from "./ports.js";
import { readPeer } from "./peers.js";
import { Bitset } from "./reach-bitset.js";
import { matchesSelector } from "./selectors.js";
import { buildTierIndex, sideTiers, tierBit, tieredVerdict, type SideTiers, type TierIndex, type TierTrace } from "./tiers.js";

export type { Traffic, ResolvedTraffic } from "./ports.js";

/** The objects the evaluator reads. Namespaces only matter for their labels. */
export interface ClusterState {
  namespaces: readonly Namespace[];
  pods: readonly Pod[];
  policies: readonly NetworkPolicy[];
  /** ClusterNetworkPolicy / AdminNetworkPolicy / BaselineAdminNetworkPolicy wire objects, read tolerantly (tiers-parse.ts). */
  tierPolicies?: readonly unknown[];
}

/** The label the API server sets on every namespace. */

export interface PodEntry {
  index: number;
  /** "namespace/name" */
  key: string;
  namespace: string;
  name: string;
  labels: Labels;
  ips: IpAddress[];
  containerPorts: ContainerPort[];
}

/** One peer of a rule; `pods` holds every pod it matches (ipBlock peers: by pod IP). */
export interface PeerEntry {
  index: number;
  peer: NetworkPolicyPeer;
  pods: Bitset;
  /** Set for ipBlock peers: the only kind that matches traffic from/to outside the cluster. */
  ipBlock?: IpBlockRange;
}

export interface RuleEntry {
  /** 0-based position in spec.ingress or spec.egress. */
  index: number;
  direction: PolicyType;
  /** undefined: the rule names no peers and admits everyone, outside IPs included. */
  peers: PeerEntry[] | undefined;
  /** Empty: every port and protocol, ICMP included. */
  ports: NetworkPolicyPort[];
}

export interface PolicyEntry {
  index: number;
  /** "namespace/name" */
  key: string;
  namespace: string;
  name: string;
  policy: NetworkPolicy;
  /** policyTypes after defaulting (absent: Ingress, plus Egress when there are egress rules). */
  types: PolicyType[];
  /** Pods spec.podSelector selects, by index. */
  selects: number[];
  ingress: RuleEntry[];
  egress: RuleEntry[];
}

export interface ReachabilityIndex {
  pods: readonly PodEntry[];
  policies: readonly PolicyEntry[];
  namespaceLabels: ReadonlyMap<string, Labels>;
  podByKey: ReadonlyMap<string, number>;
  /** canonical IP text → pod index */
  podByIp: ReadonlyMap<string, number>;
  /** Per pod: indices of the policies that isolate it for ingress / egress. */
  ingressPolicies: readonly (readonly number[])[];
  egressPolicies: readonly (readonly number[])[];
  /** Things the evaluator read around (invalid CIDRs, duplicate objects, empty peers). */
  warnings: readonly string[];
  /** The Admin and Baseline tiers (tiers.ts). */
  tiers: TierIndex;
}

/** Effective policyTypes: as written, or Ingress plus Egress when the policy has egress rules. */
export function effectivePolicyTypes(policy: NetworkPolicy): PolicyType[] {
  if (policy.spec.policyTypes !== undefined) return [...policy.spec.policyTypes];
  return (policy.spec.egress ?? []).length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

function namespaceOf(meta: { namespace?: string }): string {
  return meta.namespace ?? "default";
}

function byKey<T extends { metadata: { name: string; namespace?: string } }>(objects: readonly T[], kind: string, warnings: string[], namespaced: boolean): T[] {
  const seen = new Map<string, T>();
  for (const obj of objects) {
    const key = namespaced ? `${namespaceOf(obj.metadata)}/${obj.metadata.name}` : obj.metadata.name;
    if (seen.has(key)) warnings.push(`${kind} ${key} appears more than once; the last one is used`);
    seen.set(key, obj);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, obj]) => obj);
}

function podIps(pod: Pod, key: string, warnings: string[]): IpAddress[] {
  const texts = new Set<string>();
  if (pod.status?.podIP) texts.add(pod.status.podIP);
  for (const { ip } of pod.status?.podIPs ?? []) texts.add(ip);
  const out: IpAddress[] = [];
  for (const text of texts) {
    const ip = parseIp(text);
    if (ip) out.push(ip);
    else warnings.push(`Pod ${key}: status.podIP ${text} is not an IP address; ignored`);
  }
  return out;
}

/** Precomputes every selection once; the index answers any number of probes. */
export function buildIndex(cluster: ClusterState): ReachabilityIndex {
  const warnings: string[] = [];
  const namespaceLabels = new Map<string, Labels>();
  for (const ns of byKey(cluster.namespaces, "Namespace", warnings, false)) {
    namespaceLabels.set(ns.metadata.name, { ...ns.metadata.labels, [LABEL_NAMESPACE_NAME]: ns.metadata.name });
  }
  const ensureNamespace = (name: string): void => {
    if (!namespaceLabels.has(name)) namespaceLabels.set(name, { [LABEL_NAMESPACE_NAME]: name });
  };

  const pods: PodEntry[] = byKey(cluster.pods, "Pod", warnings, true).map((pod, index) => {
    const namespace = namespaceOf(pod.metadata);
    ensureNamespace(namespace);
    const key = `${namespace}/${pod.metadata.name}`;
    return {
      index,
      key,
      namespace,
      name: pod.metadata.name,
      labels: pod.metadata.labels ?? {},
      ips: podIps(pod, key, warnings),
      containerPorts: (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
    };
  });
  const size = pods.length;
  const podByKey = new Map(pods.map((p) => [p.key, p.index]));
  const podByIp = new Map<string, number>();
  for (const pod of pods) for (const ip of pod.ips) podByIp.set(formatIp(ip), pod.index);
  const podsByNamespace = new Map<string, number[]>();
  for (const pod of pods) {
    const list = podsByNamespace.get(pod.namespace);
    if (list) list.push(pod.index);
    else podsByNamespace.set(pod.namespace, [pod.index]);
  }

  // Selector results are memoised by the selector's JSON: policies repeat selectors a lot.
  const namespaceSelections = new Map<string, string[]>();
  const selectNamespaces = (selector: LabelSelector): string[] => {
    const memoKey = JSON.stringify(selector);
    let hit = namespaceSelections.get(memoKey);
    if (!hit) {
      hit = [...namespaceLabels.entries()].filter(([, labels]) => matchesSelector(selector, labels)).map(([name]) => name);
      namespaceSelections.set(memoKey, hit);
    }
    return hit;
  };
  const podSelections = new Map<string, number[]>();
  const selectPods = (namespace: string, selector: LabelSelector | undefined): number[] => {
    const memoKey = `${namespace}\u0000${selector === undefined ? "undefined" : JSON.stringify(selector)}`;
    let hit = podSelections.get(memoKey);
    if (!hit) {
      hit = (podsByNamespace.get(namespace) ?? []).filter((i) => matchesSelector(selector, pods[i]?.labels));
      podSelections.set(memoKey, hit);
    }
    return hit;
  };

  const buildPeer = (peer: NetworkPolicyPeer, index: number, namespace: string, where: string): PeerEntry => {
    const set = new Bitset(size);
    const meaning = readPeer(peer);
    switch (meaning.kind) {
      case "unreadable":
        warnings.push(`${where}.ipBlock.${meaning.error}; the peer matches nothing`);
        return { index, peer, pods: set };
      case "empty":
        warnings.push(`${where}: a peer needs podSelector, namespaceSelector or ipBlock; this one matches nothing`);
        return { index, peer, pods: set };
      case "addresses":
        if (meaning.withSelector) warnings.push(`${where}: ipBlock cannot be combined with a selector; only the ipBlock is used`);
        for (const pod of pods) if (pod.ips.some((ip) => ipBlockContains(meaning.block, ip))) set.add(pod.index);
        return { index, peer, pods: set, ipBlock: meaning.block };
      case "pods": {
        const namespaces = meaning.namespaceSelector === "same" ? [namespace] : selectNamespaces(meaning.namespaceSelector);
        for (const ns of namespaces) for (const i of selectPods(ns, meaning.podSelector)) set.add(i);
        return { index, peer, pods: set };
      }
    }
  };

  const buildRules = (
    rules: readonly { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[],
    direction: PolicyType,
    namespace: string,
    where: string,
  ): RuleEntry[] =>
    rules.map((rule, index) => {
      const field = direction === "Ingress" ? "from" : "to";
      const peers = direction === "Ingress" ? rule.from : rule.to;
      const ruleWhere = `${where}.${direction === "Ingress" ? "ingress" : "egress"}[${index}]`;
      return {
        index,
        direction,
        peers: peers === undefined || peers.length === 0 ? undefined : peers.map((p, i) => buildPeer(p, i, namespace, `${ruleWhere}.${field}[${i}]`)),
        ports: rule.ports ?? [],
      };
    });

  const ingressPolicies: number[][] = pods.map(() => []);
  const egressPolicies: number[][] = pods.map(() => []);
  const policies: PolicyEntry[] = byKey(cluster.policies, "NetworkPolicy", warnings, true).map((policy, index) => {
    const namespace = namespaceOf(policy.metadata);
    const key = `${namespace}/${policy.metadata.name}`;
    const where = `NetworkPolicy ${key}: spec`;
    const types = effectivePolicyTypes(policy);
    const selects = selectPods(namespace, policy.spec.podSelector);
    const isIngress = types.includes("Ingress");
    const isEgress = types.includes("Egress");
    for (const pod of selects) {
      if (isIngress) ingressPolicies[pod]?.push(index);
      if (isEgress) egressPolicies[pod]?.push(index);
    }
    return {
      index,
      key,
      namespace,
      name: policy.metadata.name,
      policy,
      types,
      selects,
      ingress: isIngress ? buildRules(policy.spec.ingress ?? [], "Ingress", namespace, where) : [],
      egress: isEgress ? buildRules(policy.spec.egress ?? [], "Egress", namespace, where) : [],
    };
  });

  const tiers = buildTierIndex(cluster.tierPolicies ?? [], pods, namespaceLabels);
  warnings.push(...tiers.warnings);
  return { pods, policies, namespaceLabels, podByKey, podByIp, ingressPolicies, egressPolicies, warnings, tiers };
}

// ---------------------------------------------------------------------------
// Endpoints

/** A probe's end: a pod of the index, or an address outside the cluster. */
export type Endpoint = { kind: "pod"; pod: number } | { kind: "external"; ip: IpAddress };

/**
 * Reads "namespace/pod" or an IP address. An IP that belongs to a pod of the
 * index is that pod (its traffic is the pod's traffic).
 */
export function resolveEndpoint(index: ReachabilityIndex, text: string): Parsed<Endpoint> {
  const ip = parseIp(text);
  if (ip) {
    const pod = index.podByIp.get(formatIp(ip));
    return { ok: true, value: pod === undefined ? { kind: "external", ip } : { kind: "pod", pod } };
  }
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1 || text.indexOf("/", slash + 1) >= 0) {
    return { ok: false, error: `'${text}' is neither namespace/pod nor an IP address` };
  }
  const pod = index.podByKey.get(text);
  if (pod === undefined) {
    const namespace = text.slice(0, slash);
    const known = index.pods.filter((p) => p.namespace === namespace).map((p) => p.name);
    const hint = known.length > 0 ? ` (pods in ${namespace}: ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", …" : ""})` : ` (no pods in namespace ${namespace})`;
    return { ok: false, error: `unknown pod ${text}${hint}` };
  }
  return { ok: true, value: { kind: "pod", pod } };
}

export function endpointName(index: ReachabilityIndex, endpoint: Endpoint): string {
  return endpoint.kind === "pod" ? (index.pods[endpoint.pod]?.key ?? "?") : formatIp(endpoint.ip);
}

function containerPortsOf(index: ReachabilityIndex, endpoint: Endpoint): readonly ContainerPort[] | undefined {
  return endpoint.kind === "pod" ? index.pods[endpoint.pod]?.containerPorts : undefined;
}

function peerMatches(peer: PeerEntry, endpoint: Endpoint): boolean {
  if (endpoint.kind === "pod") return peer.pods.has(endpoint.pod);
  return peer.ipBlock !== undefined && ipBlockContains(peer.ipBlock, endpoint.ip);
}

// ---------------------------------------------------------------------------
// One probe, with reasons

export interface Admission {
  policy: string;
  direction: PolicyType;
  /** 0-based index in spec.ingress / spec.egress */
  rule: number;
  /** 0-based index of the first matching peer; undefined when the rule names no peers (everyone). */
  peer?: number;
  /** 0-based index of the first matching port entry; undefined when the rule names no ports (all). */
  port?: number;
}

export type VerdictReason =
  /** a pod may always talk to itself */
  | "self"
  /** the end is outside the cluster: no policy applies to it */
  | "external"
  /** no policy selects the pod for this direction */
  | "not-isolated"
  /** isolated, and at least one rule admits the traffic */
  | "admitted"
  /** isolated, and no rule admits the traffic */
  | "no-rule-admits"
  /** the probe names a port the destination pod does not have */
  | "unresolved-port"
  /** an Admin tier rule decided (Accept or Deny): see `tiers.admin.decided` */
  | "admin-tier"
  /** no NetworkPolicy isolates the pod and a Baseline tier rule decided: see `tiers.baseline.decided` */
  | "baseline-tier";

export interface Verdict {
  direction: PolicyType;
  /** The end whose policies decide: the source for egress, the destination for ingress. */
  endpoint: string;
  allowed: boolean;
  isolated: boolean;
  reason: VerdictReason;
  /** Keys of the policies that select the pod for this direction. */
  isolatedBy: string[];
  /** Every rule that admits the traffic (empty unless reason is "admitted"). */
  admittedBy: Admission[];
  /** What the Admin and Baseline tiers did; absent when no tier policy selects the pod. */
  tiers?: TierTrace;
}

export interface Evaluation {
  from: string;
  to: string;
  allowed: boolean;
  /** The probe as asked (a named port stays a name). */
  traffic: Traffic;
  /** The probe after the destination resolved a named port; undefined when it could not. */
  resolved: ResolvedTraffic | undefined;
  egress: Verdict;
  ingress: Verdict;
}

function ruleAdmission(rule: RuleEntry, policy: PolicyEntry, peerEnd: Endpoint, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): Admission | undefined {
  let peer: number | undefined;
  if (rule.peers !== undefined) {
    peer = rule.peers.find((p) => peerMatches(p, peerEnd))?.index;
    if (peer === undefined) return undefined;
  }
  let port: number | undefined;
  if (rule.ports.length > 0) {
    const found = rule.ports.findIndex((entry) => portEntryMatches(entry, traffic, destinationPorts));
    if (found < 0) return undefined;
    port = found;
  }
  return { policy: policy.key, direction: rule.direction, rule: rule.index, ...(peer === undefined ? {} : { peer }), ...(port === undefined ? {} : { port }) };
}

function directionVerdict(
  index: ReachabilityIndex,
  direction: PolicyType,
  subject: Endpoint,
  peerEnd: Endpoint,
  traffic: ResolvedTraffic,
  destinationPorts: readonly ContainerPort[] | undefined,
): Verdict {
  const endpoint = endpointName(index, subject);
  if (subject.kind === "external") return { direction, endpoint, allowed: true, isolated: false, reason: "external", isolatedBy: [], admittedBy: [] };
  const policyIndices = (direction === "Ingress" ? index.ingressPolicies : index.egressPolicies)[subject.pod] ?? [];
  if (policyIndices.length === 0) return { direction, endpoint, allowed: true, isolated: false, reason: "not-isolated", isolatedBy: [], admittedBy: [] };
  const isolatedBy: string[] = [];
  const admittedBy: Admission[] = [];
  for (const p of policyIndices) {
    const policy = index.policies[p];
    if (!policy) continue;
    isolatedBy.push(policy.key);
    for (const rule of direction === "Ingress" ? policy.ingress : policy.egress) {
      const admission = ruleAdmission(rule, policy, peerEnd, traffic, destinationPorts);
      if (admission) admittedBy.push(admission);
    }
  }
  const allowed = admittedBy.length > 0;
  return { direction, endpoint, allowed, isolated: true, reason: allowed ? "admitted" : "no-rule-admits", isolatedBy, admittedBy };
}

/**
 * Whether `from` may open a connection to `to`: the source's egress and the
 * destination's ingress must both allow it. A pod may always reach itself.
 */
export function evaluate(index: ReachabilityIndex, from: Endpoint, to: Endpoint, traffic: Traffic): Evaluation {
  const names = { from: endpointName(index, from), to: endpointName(index, to) };
  const plain = (direction: PolicyType, reason: VerdictReason, allowed: boolean): Verdict => ({
    direction,
    endpoint: direction === "Egress" ? names.from : names.to,
    allowed,
    isolated: false,
    reason,
    isolatedBy: [],
    admittedBy: [],
  });
  const destinationPorts = containerPortsOf(index, to);
  const resolved = resolveTraffic(traffic, destinationPorts);
  if (from.kind === "pod" && to.kind === "pod" && from.pod === to.pod) {
    return { ...names, allowed: true, traffic, resolved, egress: plain("Egress", "self", true), ingress: plain("Ingress", "self", true) };
  }
  if (resolved === undefined) {
    return { ...names, allowed: false, traffic, resolved, egress: plain("Egress", "unresolved-port", false), ingress: plain("Ingress", "unresolved-port", false) };
  }
  const egress = tieredVerdict(index, "Egress", from, to, resolved, destinationPorts, () => directionVerdict(index, "Egress", from, to, resolved, destinationPorts));
  const ingress = tieredVerdict(index, "Ingress", to, from, resolved, destinationPorts, () => directionVerdict(index, "Ingress", to, from, resolved, destinationPorts));
  return { ...names, allowed: egress.allowed && ingress.allowed, traffic, resolved, egress, ingress };
}

// ---------------------------------------------------------------------------
// Every pair at once

export interface MatrixOptions {
  /** Only pods in these namespaces (all when absent or empty). */
  namespaces?: readonly string[];
  /** Addresses outside the cluster to include as sources and destinations. */
  externals?: readonly string[];
}

export interface MatrixEndpoint {
  /** "namespace/pod" or the IP as given */
  name: string;
  endpoint: Endpoint;
}

/** Bits of one matrix cell. A connection is allowed when both EGRESS and INGRESS are set. */
export const CELL = { EGRESS: 1, INGRESS: 2, SELF: 4, UNRESOLVED_PORT: 8 } as const;

export interface Matrix {
  traffic: Traffic;
  endpoints: MatrixEndpoint[];
  /** endpoints.length² cells, row = source, column = destination. */
  cells: Uint8Array;
  /** Per destination: the port after resolving a named port (undefined for ICMP or when unresolved). */
  destinationPorts: (number | undefined)[];
}

export function cellAt(m: Matrix, from: number, to: number): number {
  return m.cells[from * m.endpoints.length + to] ?? 0;
}

export function cellAllowed(cell: number): boolean {
  return (cell & CELL.SELF) !== 0 || (cell & (CELL.EGRESS | CELL.INGRESS)) === (CELL.EGRESS | CELL.INGRESS);
}

/** What one side (a pod's egress or ingress) admits for fixed traffic, as sets. */
interface Admits {
  everything: boolean;
  pods: Bitset;
  everyExternal: boolean;
  ipBlocks: IpBlockRange[];
  /** egress rules whose only matching port entries are named: decided per destination */
  namedRules: RuleEntry[];
}

function admitsFor(index: ReachabilityIndex, pod: number, direction: PolicyType, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): Admits {
  const size = index.pods.length;
  const policyIndices = (direction === "Ingress" ? index.ingressPolicies : index.egressPolicies)[pod] ?? [];
  const admits: Admits = { everything: policyIndices.length === 0, pods: new Bitset(size), everyExternal: false, ipBlocks: [], namedRules: [] };
  if (admits.everything) return admits;
  for (const p of policyIndices) {
    const policy = index.policies[p];
    if (!policy) continue;
    for (const rule of direction === "Ingress" ? policy.ingress : policy.egress) {
      let portsOk = rule.ports.length === 0;
      if (!portsOk) {
        // Ingress knows its destination (the pod itself); egress defers named ports to each destination.
        const fixed = direction === "Ingress" ? rule.ports : rule.ports.filter((e) => !isNamedPortEntry(e));
        portsOk = fixed.some((e) => portEntryMatches(e, traffic, destinationPorts));
        if (!portsOk && direction === "Egress" && traffic.protocol !== "ICMP" && rule.ports.some(isNamedPortEntry)) {
          admits.namedRules.push(rule);
          continue;
        }
      }
      if (!portsOk) continue;
      if (rule.peers === undefined) {
        admits.pods = Bitset.full(size);
        admits.everyExternal = true;
        continue;
      }
      for (const peer of rule.peers) {
        admits.pods.orWith(peer.pods);
        if (peer.ipBlock) admits.ipBlocks.push(peer.ipBlock);
      }
    }
  }
  return admits;
}

function admitsEndpoint(admits: Admits, endpoint: Endpoint): boolean {
  if (admits.everything) return true;
  if (endpoint.kind === "pod") return admits.pods.has(endpoint.pod);
  return admits.everyExternal || admits.ipBlocks.some((b) => ipBlockContains(b, endpoint.ip));
}

function namedRulesAdmit(rules: readonly RuleEntry[], destination: Endpoint, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): boolean {
  if (destination.kind !== "pod" || rules.length === 0) return false;
  return rules.some(
    (rule) =>
      (rule.peers === undefined || rule.peers.some((p) => p.pods.has(destination.pod))) &&
      rule.ports.some((e) => isNamedPortEntry(e) && portEntryMatches(e, traffic, destinationPorts)),
  );
}

function trafficKey(traffic: ResolvedTraffic): string {
  return traffic.protocol === "ICMP" ? "ICMP" : `${traffic.protocol}/${String(traffic.port)}`;
}

/**
 * Every ordered pair of the selected pods (and the given outside addresses).
 * Outside addresses are neither sources nor destinations of each other.
 * Throws no error: an unparsable external is reported by `resolveEndpoint`; call
 * it first (the CLI does).
 */
export function matrix(index: ReachabilityIndex, traffic: Traffic, options: MatrixOptions = {}): Matrix {
  const wanted = options.namespaces && options.namespaces.length > 0 ? new Set(options.namespaces) : undefined;
  const endpoints: MatrixEndpoint[] = index.pods.filter((p) => !wanted || wanted.has(p.namespace)).map((p) => ({ name: p.key, endpoint: { kind: "pod", pod: p.index } }));
  for (const text of options.externals ?? []) {
    const resolved = resolveEndpoint(index, text);
    if (resolved.ok) endpoints.push({ name: text, endpoint: resolved.value });
  }
  const n = endpoints.length;
  const cells = new Uint8Array(n * n);
  const destinationPorts: (number | undefined)[] = [];
  const egressCache = new Map<string, (Admits | undefined)[]>();
  const egressTierCache = new Map<string, (SideTiers | null | undefined)[]>();

  for (let j = 0; j < n; j++) {
    const to = endpoints[j];
    if (!to) continue;
    const dstPorts = containerPortsOf(index, to.endpoint);
    const resolved = resolveTraffic(traffic, dstPorts);
    destinationPorts.push(resolved && resolved.protocol !== "ICMP" ? resolved.port : undefined);
    const ingress = resolved && to.endpoint.kind === "pod" ? admitsFor(index, to.endpoint.pod, "Ingress", resolved, dstPorts) : undefined;
    const ingressTiers = resolved && ingress && to.endpoint.kind === "pod" ? sideTiers(index, "Ingress", to.endpoint.pod, resolved, dstPorts, !ingress.everything) : undefined;
    const key = resolved ? trafficKey(resolved) : "";
    let egressByPod = egressCache.get(key);
    if (!egressByPod) {
      egressByPod = [];
      egressCache.set(key, egressByPod);
    }
    let egressTiersByPod = egressTierCache.get(key);
    if (!egressTiersByPod) {
      egressTiersByPod = [];
      egressTierCache.set(key, egressTiersByPod);
    }
    for (let i = 0; i < n; i++) {
      const from = endpoints[i];
      if (!from) continue;
      const at = i * n + j;
      if (from.endpoint.kind === "pod" && to.endpoint.kind === "pod" && from.endpoint.pod === to.endpoint.pod) {
        cells[at] = CELL.SELF | CELL.EGRESS | CELL.INGRESS;
        continue;
      }
      if (from.endpoint.kind === "external" && to.endpoint.kind === "external") continue;
      if (!resolved) {
        cells[at] = CELL.UNRESOLVED_PORT;
        continue;
      }
      let cell = 0;
      const ingressByTier = ingressTiers ? tierBit(index, ingressTiers, from.endpoint, resolved, dstPorts) : undefined;
      if (ingressByTier ?? (!ingress || admitsEndpoint(ingress, from.endpoint))) cell |= CELL.INGRESS;
      if (from.endpoint.kind === "external") cell |= CELL.EGRESS;
      else {
        const src = from.endpoint.pod;
        let egress = egressByPod[src];
        if (!egress) {
          egress = admitsFor(index, src, "Egress", resolved, dstPorts);
          egressByPod[src] = egress;
        }
        let egressTiers = egressTiersByPod[src];
        if (egressTiers === undefined) {
          egressTiers = sideTiers(index, "Egress", src, resolved, dstPorts, !egress.everything) ?? null;
          egressTiersByPod[src] = egressTiers;
        }
        const egressByTier = egressTiers ? tierBit(index, egressTiers, to.endpoint, resolved, dstPorts) : undefined;
        if (egressByTier ?? (admitsEndpoint(egress, to.endpoint) || namedRulesAdmit(egress.namedRules, to.endpoint, resolved, dstPorts))) cell |= CELL.EGRESS;
      }
      cells[at] = cell;
    }
  }
  return { traffic, endpoints, cells, destinationPorts };
}

/** One cell as a plain record (the `matrix -o json` shape, plus the two sides). */
export interface MatrixCell {
  from: string;
  to: string;
  protocol: Traffic["protocol"];
  port?: number | string;
  allowed: boolean;
  egress: boolean;
  ingress: boolean;
  unresolvedPort?: boolean;
}

/** Every ordered pair except an endpoint with itself and outside-to-outside. */
export function matrixCells(m: Matrix): MatrixCell[] {
  const out: MatrixCell[] = [];
  const n = m.endpoints.length;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const from = m.endpoints[i];
      const to = m.endpoints[j];
      if (!from || !to || (from.endpoint.kind === "external" && to.endpoint.kind === "external")) continue;
      const cell = cellAt(m, i, j);
      const port = m.traffic.protocol === "ICMP" ? undefined : (m.destinationPorts[j] ?? m.traffic.port);
      out.push({
        from: from.name,
        to: to.name,
        protocol: m.traffic.protocol,
        ...(port === undefined ? {} : { port }),
        allowed: cellAllowed(cell),
        egress: (cell & CELL.EGRESS) !== 0,
        ingress: (cell & CELL.INGRESS) !== 0,
        ...((cell & CELL.UNRESOLVED_PORT) !== 0 ? { unresolvedPort: true } : {}),
      });
    }
  }
  return out;
}
