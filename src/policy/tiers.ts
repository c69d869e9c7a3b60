/**
 * The Admin and Baseline tiers around the NetworkPolicy evaluator. Pure.
 *
 * Per direction (the source's egress, the destination's ingress): the Admin
 * tier policies selecting the pod, ascending priority, rules in order — the
 * first matching rule decides (Accept allows, Deny denies, Pass skips the rest
 * of the tier); then the NetworkPolicies, if any selects the pod for that
 * direction; then the Baseline tier the same way; then allowed.
 *
 * Two choices upstream leaves open, made here and reported:
 * - Same-priority policies of a tier that both match a probe with different
 *   actions: upstream says any may apply. The evaluator takes the most
 *   restrictive (Deny, then Pass, then Accept) for the bit and reports the
 *   conflict naming every matching rule, so nothing is picked silently.
 * - A rule it cannot read fails closed, as upstream asks of unknown peers: an
 *   unreadable Accept rule matches nothing; an unreadable Deny, Pass or
 *   unknown-action rule denies everything. Verdicts that consulted it (or a
 *   policy whose tier, priority or subject could not be read) are "possible".
 */
import { cidrContains, type CidrRange } from "../k8s/cidr.js";
import type { ContainerPort, LabelSelector, Labels, PolicyType } from "../k8s/objects.js";
import { resolveNamedPort, type ResolvedTraffic } from "./ports.js";
import type { Endpoint, PodEntry, ReachabilityIndex, Verdict } from "./reachability.js";
import { Bitset } from "./reach-bitset.js";
import { matchesSelector } from "./selectors.js";
import { parseTierPolicy, tierProblems, type TierAction, type TierKind, type TierName, type TierPeer, type TierPolicy, type TierPort, type TierSelection } from "./tiers-parse.js";

export type { TierAction, TierName } from "./tiers-parse.js";

export interface TierPeerEntry {
  index: number;
  peer: TierPeer;
  /** Pods the peer matches (networks peers: by pod IP). */
  pods: Bitset;
  networks?: CidrRange[];
}

export interface TierRuleEntry {
  index: number;
  direction: PolicyType;
  name?: string;
  /** The action the evaluator applies (an unreadable rule: Deny, see failClosed). */
  action: TierAction;
  peers: TierPeerEntry[];
  /** undefined: every protocol, ICMP included */
  ports: TierPort[] | undefined;
  /** The rule could not be read: it matches everything (as Deny) — or, for Accept, nothing. */
  failClosed: boolean;
}

export interface TierPolicyEntry {
  index: number;
  /** "ClusterNetworkPolicy/isolate-dev" */
  key: string;
  kind: TierKind;
  name: string;
  tier: TierName;
  priority: number;
  selects: number[];
  ingress: TierRuleEntry[];
  egress: TierRuleEntry[];
  /** Every problem read in the object; non-empty makes its verdicts "possible". */
  problems: string[];
  policy: TierPolicy;
}

export interface TierIndex {
  policies: readonly TierPolicyEntry[];
  /** Per tier, direction and pod: indices of the policies selecting the pod, in evaluation order. */
  selecting: Record<TierName, Record<PolicyType, readonly (readonly number[])[]>>;
  /** Policies whose tier, priority or subject could not be read: they might select any pod. */
  unplaced: readonly string[];
  warnings: readonly string[];
}

export const EMPTY_TIERS: TierIndex = {
  policies: [],
  selecting: { Admin: { Ingress: [], Egress: [] }, Baseline: { Ingress: [], Egress: [] } },
  unplaced: [],
  warnings: [],
};

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads the tier objects and precomputes subjects and peer bitsets once. */
export function buildTierIndex(objects: readonly unknown[], pods: readonly PodEntry[], namespaceLabels: ReadonlyMap<string, Labels>): TierIndex {
  if (objects.length === 0) return EMPTY_TIERS;
  const warnings: string[] = [];
  const size = pods.length;
  const byKey = new Map<string, TierPolicy>();
  for (const obj of objects) {
    const policy = parseTierPolicy(obj);
    if (!policy) continue;
    if (byKey.has(policy.key)) warnings.push(`${policy.key} appears more than once; the last one is used`);
    byKey.set(policy.key, policy);
  }
  const memo = new Map<string, Bitset>();
  const select = (selection: TierSelection): Bitset => {
    const memoKey = JSON.stringify(selection);
    let hit = memo.get(memoKey);
    if (hit) return hit;
    hit = new Bitset(size);
    const [nsSelector, podSelector]: [LabelSelector, LabelSelector | undefined] = "namespaces" in selection ? [selection.namespaces, undefined] : [selection.pods.namespaceSelector, selection.pods.podSelector];
    const namespaces = new Set([...namespaceLabels.entries()].filter(([, labels]) => matchesSelector(nsSelector, labels)).map(([name]) => name));
    for (const pod of pods) if (namespaces.has(pod.namespace) && (podSelector === undefined || matchesSelector(podSelector, pod.labels))) hit.add(pod.index);
    memo.set(memoKey, hit);
    return hit;
  };
  const buildPeer = (peer: TierPeer, index: number): TierPeerEntry => {
    if (peer.kind === "selection") return { index, peer, pods: select(peer.selection) };
    const set = new Bitset(size);
    for (const pod of pods) if (pod.ips.some((ip) => peer.networks.some((n) => cidrContains(n, ip)))) set.add(pod.index);
    return { index, peer, pods: set, networks: peer.networks };
  };

  const unplaced: string[] = [];
  const policies: TierPolicyEntry[] = [];
  for (const policy of [...byKey.values()].sort((a, b) => compareKeys(a.key, b.key))) {
    const problems = tierProblems(policy);
    for (const p of problems) warnings.push(p);
    if (policy.tier === undefined || policy.priority === undefined || policy.subject === undefined) {
      unplaced.push(policy.key);
      warnings.push(`${policy.key} cannot be placed in a tier; every verdict is possible until it is fixed`);
      continue;
    }
    const rules = (list: TierPolicy["ingress"]): TierRuleEntry[] =>
      list.flatMap((rule): TierRuleEntry[] => {
        const failClosed = rule.problems.length > 0;
        // An unreadable Accept cannot admit anything; an unreadable Deny/Pass denies everything.
        if (failClosed && rule.action === "Accept") return [];
        return [
          {
            index: rule.index,
            direction: rule.direction,
            ...(rule.name === undefined ? {} : { name: rule.name }),
            action: failClosed ? "Deny" : (rule.action ?? "Deny"),
            peers: failClosed ? [] : rule.peers.map(buildPeer),
            ports: failClosed ? undefined : rule.ports,
            failClosed,
          },
        ];
      });
    policies.push({
      index: policies.length,
      key: policy.key,
      kind: policy.kind,
      name: policy.name,
      tier: policy.tier,
      priority: policy.priority,
      selects: [...select(policy.subject).members()],
      ingress: rules(policy.ingress),
      egress: rules(policy.egress),
      problems,
      policy,
    });
  }
  const order = [...policies].sort((a, b) => a.priority - b.priority || compareKeys(a.key, b.key));
  const lists = (): number[][] => pods.map(() => []);
  const selecting = { Admin: { Ingress: lists(), Egress: lists() }, Baseline: { Ingress: lists(), Egress: lists() } };
  for (const policy of order) {
    // A policy without rules for a direction does not affect it.
    for (const pod of policy.selects) {
      if (policy.ingress.length > 0 || policy.policy.ingress.length > 0) selecting[policy.tier].Ingress[pod]?.push(policy.index);
      if (policy.egress.length > 0 || policy.policy.egress.length > 0) selecting[policy.tier].Egress[pod]?.push(policy.index);
    }
  }
  return { policies, selecting, unplaced, warnings };
}

// ---------------------------------------------------------------------------
// One probe

/** A rule that matched the probe. */
export interface TierMatch {
  tier: TierName;
  /** "ClusterNetworkPolicy/isolate-dev" */
  policy: string;
  priority: number;
  direction: PolicyType;
  /** 0-based index in spec.ingress / spec.egress */
  rule: number;
  ruleName?: string;
  action: TierAction;
  /** the rule could not be read and was applied as deny-all */
  failClosed?: boolean;
}

/** What one tier did for one direction of a probe. */
export interface TierOutcome {
  /** The deciding Accept or Deny; undefined when nothing matched or a Pass skipped the tier. */
  decided?: TierMatch;
  /** The Pass that skipped the rest of the tier. */
  passed?: TierMatch;
  /** Same-priority policies whose rules matched with different actions (all of them). */
  conflicts: TierMatch[];
  /** Objects whose problems make this outcome a "possible" one. */
  uncertain: string[];
}

export function tierPortsMatch(ports: readonly TierPort[] | undefined, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): boolean {
  if (ports === undefined) return true;
  if (traffic.protocol === "ICMP") return false;
  return ports.some((p) =>
    p.kind === "port"
      ? p.protocol === traffic.protocol && (p.start === undefined || (traffic.port >= p.start && traffic.port <= (p.end ?? p.start)))
      : resolveNamedPort(p.name, traffic.protocol, destinationPorts ?? []) === traffic.port,
  );
}

function peerMatches(peer: TierPeerEntry, endpoint: Endpoint): boolean {
  if (endpoint.kind === "pod") return peer.pods.has(endpoint.pod);
  return peer.networks !== undefined && peer.networks.some((n) => cidrContains(n, endpoint.ip));
}

function ruleMatches(rule: TierRuleEntry, peerEnd: Endpoint, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): boolean {
  if (rule.failClosed) return true;
  return tierPortsMatch(rule.ports, traffic, destinationPorts) && rule.peers.some((p) => peerMatches(p, peerEnd));
}

const RESTRICTIVE: Record<TierAction, number> = { Deny: 2, Pass: 1, Accept: 0 };

function matchOf(policy: TierPolicyEntry, rule: TierRuleEntry): TierMatch {
  return {
    tier: policy.tier,
    policy: policy.key,
    priority: policy.priority,
    direction: rule.direction,
    rule: rule.index,
    ...(rule.name === undefined ? {} : { ruleName: rule.name }),
    action: rule.action,
    ...(rule.failClosed ? { failClosed: true } : {}),
  };
}

/** The tier's outcome for the pod `subject` in `direction` against `peerEnd`. */
export function tierOutcome(
  tiers: TierIndex,
  tier: TierName,
  direction: PolicyType,
  subject: number,
  peerEnd: Endpoint,
  traffic: ResolvedTraffic,
  destinationPorts: readonly ContainerPort[] | undefined,
): TierOutcome {
  const outcome: TierOutcome = { conflicts: [], uncertain: [...tiers.unplaced] };
  const list = tiers.selecting[tier][direction][subject] ?? [];
  for (let i = 0; i < list.length; ) {
    const first = tiers.policies[list[i] ?? -1];
    if (!first) break;
    const matches: TierMatch[] = [];
    for (; i < list.length; i++) {
      const policy = tiers.policies[list[i] ?? -1];
      if (!policy || policy.priority !== first.priority) break;
      if (policy.problems.length > 0) outcome.uncertain.push(policy.key);
      const rule = (direction === "Ingress" ? policy.ingress : policy.egress).find((r) => ruleMatches(r, peerEnd, traffic, destinationPorts));
      if (rule) matches.push(matchOf(policy, rule));
    }
    if (matches.length === 0) continue;
    const chosen = matches.reduce((a, b) => (RESTRICTIVE[b.action] > RESTRICTIVE[a.action] ? b : a));
    if (matches.some((m) => m.action !== chosen.action)) outcome.conflicts = matches;
    if (chosen.action === "Pass") outcome.passed = chosen;
    else outcome.decided = chosen;
    return outcome;
  }
  return outcome;
}

/** Tier traces a verdict carries. */
export interface TierTrace {
  admin?: TierOutcome;
  baseline?: TierOutcome;
}

function hasAny(tiers: TierIndex, tier: TierName, direction: PolicyType, pod: number): boolean {
  return (tiers.selecting[tier][direction][pod]?.length ?? 0) > 0 || tiers.unplaced.length > 0;
}

/**
 * The verdict of one direction with the tiers around it: Admin, then the
 * NetworkPolicy verdict `networkPolicies` computes (only asked when the Admin
 * tier decides nothing), then Baseline when no NetworkPolicy selects the pod.
 */
export function tieredVerdict(
  index: ReachabilityIndex,
  direction: PolicyType,
  subject: Endpoint,
  peerEnd: Endpoint,
  traffic: ResolvedTraffic,
  destinationPorts: readonly ContainerPort[] | undefined,
  networkPolicies: () => Verdict,
): Verdict {
  const tiers = index.tiers;
  if (subject.kind !== "pod" || (!hasAny(tiers, "Admin", direction, subject.pod) && !hasAny(tiers, "Baseline", direction, subject.pod))) return networkPolicies();
  const trace: TierTrace = {};
  if (hasAny(tiers, "Admin", direction, subject.pod)) {
    const admin = tierOutcome(tiers, "Admin", direction, subject.pod, peerEnd, traffic, destinationPorts);
    trace.admin = admin;
    if (admin.decided) return { ...decidedVerdict(networkPolicies(), admin.decided), tiers: trace };
  }
  const np = networkPolicies();
  if (np.isolated || !hasAny(tiers, "Baseline", direction, subject.pod)) return { ...np, tiers: trace };
  const baseline = tierOutcome(tiers, "Baseline", direction, subject.pod, peerEnd, traffic, destinationPorts);
  trace.baseline = baseline;
  if (baseline.decided) return { ...decidedVerdict(np, baseline.decided), tiers: trace };
  return { ...np, tiers: trace };
}

function decidedVerdict(np: Verdict, match: TierMatch): Verdict {
  return { ...np, allowed: match.action === "Accept", reason: match.tier === "Admin" ? "admin-tier" : "baseline-tier", admittedBy: [] };
}

/** Every object that makes the verdict a "possible" one, and every conflicting rule. */
export function verdictDoubts(verdict: Verdict): { uncertain: string[]; conflicts: TierMatch[] } {
  const outcomes = [verdict.tiers?.admin, verdict.tiers?.baseline].filter((o): o is TierOutcome => o !== undefined);
  return { uncertain: [...new Set(outcomes.flatMap((o) => o.uncertain))], conflicts: outcomes.flatMap((o) => o.conflicts) };
}

// ---------------------------------------------------------------------------
// Every pair: the tiers of one side as sets

function orInto(target: Bitset, source: Bitset, mask?: Bitset): void {
  const t = target.words;
  const s = source.words;
  const m = mask?.words;
  for (let w = 0; w < t.length; w++) t[w] = (t[w] ?? 0) | ((s[w] ?? 0) & (m ? ~(m[w] ?? 0) : 0xffffffff));
}

/** What one tier does for one side (a pod's egress or ingress) and fixed traffic, per peer pod. */
export interface TierSets {
  accept: Bitset;
  deny: Bitset;
}

/** Pods selected by the same policies share their sets: memoised per index, tier, direction, policy list and traffic. */
const setsMemo = new WeakMap<TierIndex, Map<string, TierSets | "per-destination">>();

function hasNamedPort(tiers: TierIndex, list: readonly number[], direction: PolicyType): boolean {
  return list.some((i) => (direction === "Ingress" ? tiers.policies[i]?.ingress : tiers.policies[i]?.egress)?.some((r) => r.ports?.some((p) => p.kind === "named")));
}

/**
 * The tier's decisions for every peer pod at once, or "per-destination" when
 * the side's rules depend on the destination (a named port on egress): then
 * the caller asks `tierOutcome` per destination. Outside addresses are few:
 * callers ask `tierOutcome` for them.
 */
export function tierSets(
  tiers: TierIndex,
  tier: TierName,
  direction: PolicyType,
  subject: number,
  traffic: ResolvedTraffic,
  destinationPorts: readonly ContainerPort[] | undefined,
  size: number,
): TierSets | "per-destination" | undefined {
  const list = tiers.selecting[tier][direction][subject] ?? [];
  if (list.length === 0) return undefined;
  const named = traffic.protocol !== "ICMP" && hasNamedPort(tiers, list, direction);
  if (named && direction === "Egress") return "per-destination";
  // Ingress named ports resolve on the subject itself: not shareable between pods.
  const memoKey = named ? undefined : `${tier}|${direction}|${traffic.protocol === "ICMP" ? "ICMP" : `${traffic.protocol}/${String(traffic.port)}`}|${list.join(",")}`;
  let memo = setsMemo.get(tiers);
  if (!memo) {
    memo = new Map();
    setsMemo.set(tiers, memo);
  }
  const hit = memoKey === undefined ? undefined : memo.get(memoKey);
  if (hit) return hit;
  const sets = computeSets(tiers, list, direction, traffic, destinationPorts, size);
  if (memoKey !== undefined) memo.set(memoKey, sets);
  return sets;
}

function computeSets(tiers: TierIndex, list: readonly number[], direction: PolicyType, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined, size: number): TierSets {
  const sets: TierSets = { accept: new Bitset(size), deny: new Bitset(size) };
  // Scratch sets, cleared instead of allocated per group and rule.
  const decided = new Bitset(size);
  const group = { Accept: new Bitset(size), Deny: new Bitset(size), Pass: new Bitset(size) };
  const seen = new Bitset(size);
  const matched = new Bitset(size);
  const acceptOnly = new Bitset(size);
  for (let i = 0; i < list.length; ) {
    const first = tiers.policies[list[i] ?? -1];
    if (!first) break;
    group.Accept.words.fill(0);
    group.Deny.words.fill(0);
    group.Pass.words.fill(0);
    for (; i < list.length; i++) {
      const policy = tiers.policies[list[i] ?? -1];
      if (!policy || policy.priority !== first.priority) break;
      seen.words.fill(0);
      for (const rule of direction === "Ingress" ? policy.ingress : policy.egress) {
        if (!rule.failClosed && !tierPortsMatch(rule.ports, traffic, destinationPorts)) continue;
        matched.words.fill(rule.failClosed ? 0xffffffff : 0);
        if (!rule.failClosed) for (const peer of rule.peers) orInto(matched, peer.pods);
        orInto(group[rule.action], matched, seen);
        orInto(seen, matched);
      }
    }
    // Same priority, different actions: the most restrictive (as tierOutcome does): Deny, then Pass, then Accept.
    acceptOnly.words.fill(0);
    orInto(acceptOnly, group.Accept, group.Deny);
    andNotInto(acceptOnly, group.Pass);
    orInto(sets.deny, group.Deny, decided);
    orInto(sets.accept, acceptOnly, decided);
    orInto(decided, group.Deny);
    orInto(decided, group.Pass);
    orInto(decided, acceptOnly);
  }
  return sets;
}

function andNotInto(target: Bitset, mask: Bitset): void {
  const t = target.words;
  const m = mask.words;
  for (let w = 0; w < t.length; w++) t[w] = (t[w] ?? 0) & ~(m[w] ?? 0);
}

/** The decision of a tier's sets for a peer pod: "Accept", "Deny", or undefined (passed or nothing matched). */
export function setsDecision(sets: TierSets, pod: number): TierAction | undefined {
  if (sets.accept.has(pod)) return "Accept";
  if (sets.deny.has(pod)) return "Deny";
  return undefined;
}

/** Both tiers of one side, ready for every peer; undefined when no tier policy selects the pod for the direction. */
export interface SideTiers {
  direction: PolicyType;
  subject: number;
  /** Whether a NetworkPolicy isolates the pod for the direction (then it decides what the Admin tier leaves). */
  npIsolated: boolean;
  admin: TierSets | "per-destination" | undefined;
  baseline: TierSets | "per-destination" | undefined;
  /** Peer pods the tiers allow / deny outright (when neither tier is per-destination). */
  allow?: Bitset;
  deny?: Bitset;
}

export function sideTiers(
  index: ReachabilityIndex,
  direction: PolicyType,
  subject: number,
  traffic: ResolvedTraffic,
  destinationPorts: readonly ContainerPort[] | undefined,
  npIsolated: boolean,
): SideTiers | undefined {
  const tiers = index.tiers;
  if (tiers.policies.length === 0) return undefined;
  const size = index.pods.length;
  const admin = tierSets(tiers, "Admin", direction, subject, traffic, destinationPorts, size);
  // The Baseline tier only speaks when no NetworkPolicy isolates the pod.
  const baseline = npIsolated ? undefined : tierSets(tiers, "Baseline", direction, subject, traffic, destinationPorts, size);
  if (admin === undefined && baseline === undefined) return undefined;
  const side: SideTiers = { direction, subject, npIsolated, admin, baseline };
  if (admin !== "per-destination" && baseline !== "per-destination") Object.assign(side, combined(admin ?? NO_SETS, baseline ?? NO_SETS, size));
  return side;
}

const NO_SETS: TierSets = { accept: new Bitset(0), deny: new Bitset(0) };
/** Admin sets → Baseline sets → what both allow and deny outright; shared like the sets themselves. */
const combinedMemo = new WeakMap<TierSets, WeakMap<TierSets, { allow: Bitset; deny: Bitset }>>();

function combined(admin: TierSets, baseline: TierSets, size: number): { allow: Bitset; deny: Bitset } {
  let byBaseline = combinedMemo.get(admin);
  if (!byBaseline) {
    byBaseline = new WeakMap();
    combinedMemo.set(admin, byBaseline);
  }
  const hit = byBaseline.get(baseline);
  if (hit && hit.allow.size === size) return hit;
  const allow = new Bitset(size);
  const deny = new Bitset(size);
  orInto(allow, admin.accept);
  orInto(deny, admin.deny);
  orInto(deny, baseline.deny, allow);
  const out = { allow, deny };
  byBaseline.set(baseline, out);
  return out;
}

function decisionFor(
  index: ReachabilityIndex,
  sets: TierSets | "per-destination" | undefined,
  tier: TierName,
  side: SideTiers,
  peerEnd: Endpoint,
  traffic: ResolvedTraffic,
  destinationPorts: readonly ContainerPort[] | undefined,
): TierAction | undefined {
  if (sets === undefined) return undefined;
  if (sets !== "per-destination" && peerEnd.kind === "pod") return setsDecision(sets, peerEnd.pod);
  return tierOutcome(index.tiers, tier, side.direction, side.subject, peerEnd, traffic, destinationPorts).decided?.action;
}

/**
 * One side's bit as far as the tiers decide it: true or false, or undefined
 * when the NetworkPolicies that isolate the pod decide (Admin decides first;
 * Baseline only when no NetworkPolicy isolates the pod; then allowed).
 */
export function tierBit(index: ReachabilityIndex, side: SideTiers, peerEnd: Endpoint, traffic: ResolvedTraffic, destinationPorts: readonly ContainerPort[] | undefined): boolean | undefined {
  if (peerEnd.kind === "pod" && side.allow && side.deny) {
    if (side.deny.has(peerEnd.pod)) return false;
    if (side.allow.has(peerEnd.pod)) return true;
    return side.npIsolated ? undefined : true;
  }
  const admin = decisionFor(index, side.admin, "Admin", side, peerEnd, traffic, destinationPorts);
  if (admin !== undefined) return admin === "Accept";
  if (side.npIsolated) return undefined;
  return decisionFor(index, side.baseline, "Baseline", side, peerEnd, traffic, destinationPorts) !== "Deny";
}
